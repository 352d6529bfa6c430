"""Three more places to look for GAN mode collapse on MNIST (issue 18's DCGAN card), after
``dcgan_collapse_search.py``'s recipes. Results in docs/figures.md, "DCGAN: looking for mode collapse".

    python benchmarks/dcgan_collapse_more.py stacked [--ngf 32] [--ndf 8] [--steps 10000]
    python benchmarks/dcgan_collapse_more.py mlp [--steps 6000] [--batchnorm]
    python benchmarks/dcgan_collapse_more.py r1-frozen [--gamma 10] [--d-steps 300] [--steps 600]

``stacked``: Metz et al. (2016)'s stacked MNIST, three training digits in the R, G, B channels, so
1,000 modes (digit triples); the DCGAN of genmodels.dcgan with three channels and D of width
``--ndf`` (no dense layer). Every ``--every`` steps: how many of the 1,000 triples 2,000 samples
cover (the MNIST classifier reads each channel) and KL(triple histogram ‖ uniform) in nats.

``mlp``: an MLP GAN (G 100-256-512-1024-784, LeakyReLU, tanh; D 784-512-256-1), BatchNorm in G
only with ``--batchnorm``. ``r1-frozen``: checkpoints/dcgan-mnist with D's BatchNorm fixed to its
running statistics; D trained ``--d-steps`` steps with an R1 penalty (γ/2·‖∇_x D(x)‖² on real
digits) to smooth it, then frozen while G alone chases it. Both record what
``dcgan_collapse_search.record`` does (diversity ratio, largest class, classifier confidence).
Every picture goes to --out (default out/dcgan-collapse-more/MODE).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import dcgan_collapse_search as search  # noqa: E402
from genmodels import data, dcgan, metrics  # noqa: E402
from genmodels.common import grid, init_normal, seeded, to_model, to_unit  # noqa: E402


@torch.no_grad()
def triples(x: torch.Tensor, net) -> tuple[int, float]:
    """Stacked samples (N, 3, 28, 28) in [0, 1] -> (digit triples covered of 1,000, KL to uniform)."""
    c = torch.stack([net(x[:, i:i + 1].clamp(0, 1)).argmax(1) for i in range(3)], 1)
    counts = torch.bincount(c[:, 0] * 100 + c[:, 1] * 10 + c[:, 2], minlength=1000).double()
    p = counts / counts.sum()
    return int((counts > 0).sum()), float((p[p > 0] * (p[p > 0] * 1000).log()).sum())


def stacked(a, out: Path) -> None:
    G = dcgan.Generator(100, a.ngf)
    G.net[6] = nn.ConvTranspose2d(a.ngf * 2, 3, 4, 2, 1)
    D = dcgan.Discriminator(a.ndf, 0)
    D.net[0] = nn.Conv2d(3, a.ndf, 4, 2, 1)
    init_normal(G, seeded(a.seed))
    init_normal(D, seeded(a.seed + 1))
    net = metrics.load_classifier("mnist").eval()
    x_train = torch.as_tensor(data.load("mnist", "train")[0]).float()
    g = torch.Generator().manual_seed(a.seed)
    real = lambda n: x_train[torch.randint(0, len(x_train), (n, 3), generator=g)]  # noqa: E731
    z = dcgan.noise(2000, 100, a.seed + 7)
    print("real digits: %d triples, KL %.2f" % triples(real(2000), net), flush=True)
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    t0 = time.time()
    for step in range(1, a.steps + 1):
        x_real = to_model(real(64))
        x_fake = G(torch.randn(64, 100, generator=g))
        loss = dcgan.d_loss(D, x_real, x_fake.detach())
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        loss = dcgan.g_loss(D, G(torch.randn(64, 100, generator=g)))
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        if step % a.every == 0:
            G.eval()
            with torch.no_grad():
                x = to_unit(G(z))
            G.train()
            print("step %d: %d triples, KL %.2f" % (step, *triples(x, net)), f"({time.time() - t0:.0f} s)", flush=True)
            tile = x[:64].permute(0, 2, 3, 1).reshape(8, 8, 28, 28, 3).permute(0, 2, 1, 3, 4).reshape(224, 224, 3)
            Image.fromarray((tile * 255).round().byte().numpy()).save(out / f"{step:05d}.png")


class _Flat(nn.Module):
    """An MLP generator behind the DCGAN interface (z of any shape -> 1×28×28)."""

    def __init__(self, batchnorm: bool):
        super().__init__()
        block = lambda a, b: [nn.Linear(a, b), *([nn.BatchNorm1d(b)] if batchnorm else []), nn.LeakyReLU(0.2)]  # noqa: E731
        self.net = nn.Sequential(*block(100, 256), *block(256, 512), *block(512, 1024), nn.Linear(1024, 784),
                                 nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))

    def forward(self, z):
        return self.net(z.flatten(1))


def _chase(G, D, a, out: Path, steps: int, d_step=None, g: torch.Generator | None = None) -> None:
    """Train G (and D with ``d_step``, else D stays fixed) ``steps`` steps, drawing from ``g`` (default:
    a new one from --seed); record every --every."""
    net = metrics.load_classifier("mnist").eval()
    x_train = data.load("mnist", "train")[0]
    real_div = dcgan.diversity(x_train[:256])
    z = dcgan.noise(256, 100, a.seed + 1)
    g = g or torch.Generator().manual_seed(a.seed)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    t0 = time.time()
    for step in range(1, steps + 1):
        if d_step:
            d_step(to_model(x_train[torch.randint(0, len(x_train), (64,), generator=g)]),
                   G(torch.randn(64, 100, generator=g)).detach())
        loss = dcgan.g_loss(D, G(torch.randn(64, 100, generator=g)))
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        if step % a.every == 0:
            rec, x = search.record(G, net, z, real_div, step)
            print({k: rec[k] for k in ("step", "ratio", "top", "cls", "conf")}, f"({time.time() - t0:.0f} s)", flush=True)
            Image.fromarray(grid(x[:32, None], nrow=8, scale=1, value=1.0)).save(out / f"{step:05d}.png")


def mlp(a, out: Path) -> None:
    torch.manual_seed(a.seed)
    G = _Flat(a.batchnorm)
    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1), nn.Flatten(0))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))

    def d_step(x_real, x_fake):
        loss = dcgan.d_loss(D, x_real, x_fake)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
    _chase(G, D, a, out, a.steps, d_step)


def r1_frozen(a, out: Path) -> None:
    torch.manual_seed(a.seed)
    model = search.build(search.BASE | {"init": "ckpt"}, a.seed)     # dcgan-mnist, G = its G_ema
    G, D = model.G.train(), model.D.eval()
    x_train = data.load("mnist", "train")[0]
    g = torch.Generator().manual_seed(a.seed)
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    for _ in range(a.d_steps):
        x_real = to_model(x_train[torch.randint(0, len(x_train), (64,), generator=g)]).requires_grad_(True)
        with torch.no_grad():
            x_fake = G(torch.randn(64, 100, generator=g))
        (grad,) = torch.autograd.grad(D(x_real).sum(), x_real, create_graph=True)
        loss = dcgan.d_loss(D, x_real, x_fake) + a.gamma / 2 * grad.pow(2).flatten(1).sum(1).mean()
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
    D.requires_grad_(False)
    _chase(G, D, a, out, a.steps, g=g)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("stacked", "mlp", "r1-frozen"))
    ap.add_argument("--steps", type=int, default=None, help="default: stacked 10000, mlp 6000, r1-frozen 600")
    ap.add_argument("--every", type=int, default=None, help="default: 500 (r1-frozen: 100)")
    ap.add_argument("--ngf", type=int, default=32)
    ap.add_argument("--ndf", type=int, default=8)
    ap.add_argument("--batchnorm", action="store_true")
    ap.add_argument("--gamma", type=float, default=10.0)
    ap.add_argument("--d-steps", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("out/dcgan-collapse-more"))
    a = ap.parse_args()
    a.steps = a.steps or {"stacked": 10000, "mlp": 6000, "r1-frozen": 600}[a.mode]
    a.every = a.every or (100 if a.mode == "r1-frozen" else 500)
    out = a.out / a.mode
    out.mkdir(parents=True, exist_ok=True)
    {"stacked": stacked, "mlp": mlp, "r1-frozen": r1_frozen}[a.mode](a, out)


if __name__ == "__main__":
    main()
