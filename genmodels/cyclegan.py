"""CycleGAN: unpaired translation horse ↔ zebra (Zhu et al. 2017; seed deck 001).

Two domains X (horses) and Y (zebras), no pairs. Two generators
G: X → Y and F: Y → X, two discriminators D_Y (real zebra?) and D_X (real horse?).

    L_GAN(G, D_Y)  = E_y[(D_Y(y) − 1)²] + E_x[D_Y(G(x))²]        least squares (LSGAN, Mao et al. 2017)
    L_cyc(G, F)    = E_x[‖F(G(x)) − x‖₁] + E_y[‖G(F(y)) − y‖₁]    go there and back
    L_identity     = E_y[‖G(y) − y‖₁] + E_x[‖F(x) − x‖₁]         leave the target domain alone
    L = L_GAN(G, D_Y) + L_GAN(F, D_X) + λ L_cyc + 0.5 λ L_identity,   λ = 10

As in the official repo: ResNet generators with instance norm, 70×70-style
PatchGAN discriminators (here shrunk for 28×28), the discriminator loss halved,
a history pool of 50 generated images, Adam(2e-4, β1 = 0.5), and the learning
rate held for the first half of training then decayed linearly to 0.
D_Y minimises ½[(D_Y(y) − 1)² + D_Y(G(x))²] and G minimises (D_Y(G(x)) − 1)²:
the squared error replaces the decks' log loss because it grows with how far
D's score of a fake is from "real", while the log loss of a sigmoid saturates
and its gradient vanishes (Mao et al. 2017); Zhu et al. found it more stable.
Networks (this file's first half) are kept apart from the model (second half).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, device, device_description, init_normal, seeded, to_model, to_unit
from .progress import Cadence, Record

FAMILY = "cyclegan"
DIRECTIONS = ("horse2zebra", "zebra2horse")


# ===========================================================================
# Networks
# ===========================================================================
class ResidualBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """c7s1-ngf, d2ngf (14×14), d4ngf (7×7), n residual blocks, u2ngf, ungf, c7s1-1 + tanh."""

    def __init__(self, ngf: int = 32, n_blocks: int = 6):
        super().__init__()
        norm = lambda c: nn.InstanceNorm2d(c, affine=True)  # noqa: E731
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(1, ngf, 7), norm(ngf), nn.ReLU(True),
                  nn.Conv2d(ngf, ngf * 2, 3, 2, 1), norm(ngf * 2), nn.ReLU(True),
                  nn.Conv2d(ngf * 2, ngf * 4, 3, 2, 1), norm(ngf * 4), nn.ReLU(True)]
        layers += [ResidualBlock(ngf * 4) for _ in range(n_blocks)]
        layers += [nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1), norm(ngf * 2), nn.ReLU(True),
                   nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1), norm(ngf), nn.ReLU(True),
                   nn.ReflectionPad2d(3), nn.Conv2d(ngf, 1, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """C64 (no norm) → C128 → C256 (stride 1) → 1: one real/fake score per overlapping patch."""

    def __init__(self, ndf: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),                                       # 14
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.InstanceNorm2d(ndf * 2, affine=True), nn.LeakyReLU(0.2, True),  # 7
            nn.Conv2d(ndf * 2, ndf * 4, 4, 1, 1), nn.InstanceNorm2d(ndf * 4, affine=True), nn.LeakyReLU(0.2, True),  # 6
            nn.Conv2d(ndf * 4, 1, 4, 1, 1),                                                             # 5×5 patches
        )

    def forward(self, x):
        return self.net(x)


class ImagePool:
    """History of generated images (Shrivastava et al.): D sees old fakes half the time."""

    def __init__(self, size: int, g: torch.Generator):
        self.size, self.g, self.images = size, g, []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        out = []
        for img in images.detach():
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif float(torch.rand(1, generator=self.g)) < 0.5:
                i = int(torch.randint(self.size, (1,), generator=self.g))
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.stack(out)


# ===========================================================================
# The model: losses and training
# ===========================================================================
@dataclass
class Config:
    ngf: int = 32
    ndf: int = 32
    n_blocks: int = 4
    steps: int = 6000
    batch_size: int = 16
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5       # × lambda_cycle, as in the official repo
    pool_size: int = 50
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0

    def validate(self) -> "Config":
        if not (4 <= self.ngf <= 128 and 4 <= self.ndf <= 128 and 0 <= self.n_blocks <= 12):
            raise ValueError("ngf, ndf must be in 4..128 and n_blocks in 0..12")
        if not (1 <= self.steps <= 1_000_000 and 1 <= self.batch_size <= 512):
            raise ValueError("steps must be in 1..1000000 and batch_size in 1..512")
        return self


class CycleGAN(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.G = ResnetGenerator(cfg.ngf, cfg.n_blocks)   # horse -> zebra
        self.F = ResnetGenerator(cfg.ngf, cfg.n_blocks)   # zebra -> horse
        self.D_X = PatchDiscriminator(cfg.ndf)            # real horse?
        self.D_Y = PatchDiscriminator(cfg.ndf)            # real zebra?

    def networks(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F, "D_X": self.D_X, "D_Y": self.D_Y}


def lsgan(pred: torch.Tensor, real: bool) -> torch.Tensor:
    """(D(·) − 1)² for real, D(·)² for fake."""
    return ((pred - (1.0 if real else 0.0)) ** 2).mean()


def generator_losses(m: CycleGAN, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict, tuple]:
    lam, lam_id = m.cfg.lambda_cycle, m.cfg.lambda_identity * m.cfg.lambda_cycle
    fake_y, fake_x = m.G(x), m.F(y)
    rec_x, rec_y = m.F(fake_y), m.G(fake_x)
    terms = {
        "GAN_G": lsgan(m.D_Y(fake_y), True),              # G fools D_Y
        "GAN_F": lsgan(m.D_X(fake_x), True),              # F fools D_X
        "cycle_X": (rec_x - x).abs().mean() * lam,        # F(G(x)) ≈ x
        "cycle_Y": (rec_y - y).abs().mean() * lam,        # G(F(y)) ≈ y
        "identity_X": (m.F(x) - x).abs().mean() * lam_id,  # F leaves horses alone
        "identity_Y": (m.G(y) - y).abs().mean() * lam_id,  # G leaves zebras alone
    }
    return sum(terms.values()), terms, (fake_x, fake_y)


def discriminator_loss(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """½ [(D(real) − 1)² + D(fake)²]."""
    return 0.5 * (lsgan(D(real), True) + lsgan(D(fake.detach()), False))


def train(cfg: Config, model: CycleGAN | None = None, log_every: int = 50, preview_every: int = 250,
          log_seconds: float = 0.0):
    """Yields Records: every loss term, D_X, D_Y and G_total. Every record's preview holds
    ``"model"`` (the model being trained, itself, not a copy); every ``preview_every`` steps and
    on the last record it also holds ``"panels"`` (held-out translations, see ``panels``)."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    if model is None:
        model = CycleGAN(cfg)
        init_normal(model, g)
    model.cfg = cfg
    model.to(dev).train()
    horses, zebras = (to_model(d) for d in data.horses_and_zebras("train"))
    th, tz = (to_model(d[:4]) for d in data.horses_and_zebras("test"))
    opt_g = torch.optim.Adam(list(model.G.parameters()) + list(model.F.parameters()), cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(list(model.D_X.parameters()) + list(model.D_Y.parameters()), cfg.lr, betas=(cfg.beta1, 0.999))
    half = cfg.steps // 2
    decay = lambda s: 1.0 if s < half else max(0.0, 1 - (s - half) / max(1, cfg.steps - half))  # noqa: E731
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)]
    pool_x, pool_y = ImagePool(cfg.pool_size, g), ImagePool(cfg.pool_size, g)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(log_every, log_seconds)      # records every log_every steps, or log_seconds
    for step in range(1, cfg.steps + 1):
        # unpaired: an independent random batch from each domain
        x = horses[torch.randint(len(horses), (cfg.batch_size,), generator=g)].to(dev)
        y = zebras[torch.randint(len(zebras), (cfg.batch_size,), generator=g)].to(dev)

        loss_g, terms, (fake_x, fake_y) = generator_losses(model, x, y)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        loss_dx = discriminator_loss(model.D_X, x, pool_x.query(fake_x))
        loss_dy = discriminator_loss(model.D_Y, y, pool_y.query(fake_y))
        opt_d.zero_grad(set_to_none=True)
        (loss_dx + loss_dy).backward()
        opt_d.step()
        for s in scheds:
            s.step()

        last = step == cfg.steps or deadline.passed()
        if log.due(step) or last:
            pv = {"model": model}          # on every record, so a run stopped at any record keeps its model
            if step % preview_every == 0 or last:
                pv["panels"] = panels(model, th.to(dev), tz.to(dev))
                model.train()
            losses = {k: v.item() for k, v in terms.items()} | {"D_X": loss_dx.item(), "D_Y": loss_dy.item(),
                                                                  "G_total": loss_g.item()}
            yield Record(step, losses, {}, pv, done=last)
        if last:
            return


@torch.no_grad()
def translate(model: CycleGAN, images: torch.Tensor, direction: str = "horse2zebra") -> torch.Tensor:
    """Images (N, 28, 28) in [0, 1] -> translated (N, 28, 28) in [0, 1]."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got '{direction}'")
    model.eval()
    net = model.G if direction == "horse2zebra" else model.F
    dev = next(net.parameters()).device
    return to_unit(net(to_model(images).to(dev))).cpu()[:, 0]


@torch.no_grad()
def panels(model: CycleGAN, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """real → translated → reconstructed, and the identity panel, both directions ([0, 1])."""
    model.eval()
    fy, fx = model.G(x), model.F(y)
    return {k: to_unit(v).cpu()[:, 0] for k, v in {
        "horse": x, "horse2zebra": fy, "horse_reconstructed": model.F(fy), "horse_identity": model.F(x),
        "zebra": y, "zebra2horse": fx, "zebra_reconstructed": model.G(fx), "zebra_identity": model.G(y)}.items()}


# ===========================================================================
# Evaluation, checkpoints, CLI
# ===========================================================================
def evaluate(model: CycleGAN) -> dict:
    """On the held-out split: target-class rate by the horse/zebra classifier, cycle L1, FLD."""
    from .metrics import fld, load_classifier

    clf = load_classifier("horse_zebra")
    horses, zebras = data.horses_and_zebras("test")
    h_tr, z_tr = data.horses_and_zebras("train")
    out = {}
    for direction, src, target_label, target_test in (("horse2zebra", horses, 1, zebras), ("zebra2horse", zebras, 0, horses)):
        fake = translate(model, src, direction)
        back = translate(model, fake, "zebra2horse" if direction == "horse2zebra" else "horse2zebra")
        with torch.no_grad():
            pred = clf.eval().cpu()(fake).argmax(1)
        out[f"{direction}_target_rate"] = float((pred == target_label).float().mean())
        out[f"{direction}_cycle_l1"] = float((back - src).abs().mean())
        out[f"{direction}_fld"] = fld(target_test, fake, clf)
    out["fld_floor_horse"] = fld(horses, h_tr[:len(horses)], clf)
    out["fld_floor_zebra"] = fld(zebras, z_tr[:len(zebras)], clf)
    out["cycle_l1"] = (out["horse2zebra_cycle_l1"] + out["zebra2horse_cycle_l1"]) / 2
    out["heldout_per_domain"] = len(horses)
    return out


def save(path, model: CycleGAN, steps: int, metrics: dict, command: str = "", seconds=None) -> dict:
    cfg = model.cfg
    card = checkpoints.card(FAMILY, cfg, "Animal-MNIST horses (7) and zebras (9), unpaired; held-out split excluded",
                            steps, device_description(next(model.parameters()).device), metrics, command, seconds)
    return checkpoints.save(path, model.networks(), card)


def load(path) -> tuple[CycleGAN, dict]:
    tensors, card = checkpoints.load(path, family=FAMILY)
    model = CycleGAN(Config(**card["config"]))
    for name, net in model.networks().items():
        net.load_state_dict(checkpoints.unflatten(tensors, name))
    return model.eval(), card


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    for r in train(cfg, log_every=max(1, min(500, cfg.steps // 20)), preview_every=10**9):
        echo(f"step {r.step:6d}  " + "  ".join(f"{k} {v:.3f}" for k, v in r.losses.items()))
    model = r.preview["model"]
    return save(out, model, r.step, {}, command, round(time.perf_counter() - t0, 1))


def cli_sample(path, n, seed):
    raise ValueError("CycleGAN translates images rather than sampling: use `python -m genmodels translate`")


def cli_eval(path, n=None, seed=0) -> dict:
    model, _ = load(path)
    return evaluate(model)
