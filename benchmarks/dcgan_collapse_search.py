"""A search for a DCGAN recipe that collapses to one repeated digit (issue 18's failure card).

    python benchmarks/dcgan_collapse_search.py [RECIPE ...] [--steps 5000] [--every 250]
                                                [--out DIR] [--device cuda] [--seed 0]

Each recipe changes the tab's DCGAN (genmodels.dcgan: ngf = ndf = 64, a dense layer of 1024 in D,
nz = 100, Adam lr 2e-4, β1 = 0.5, batch 64, the non-saturating G loss) in one or two ways, and
trains from scratch (or from checkpoints/dcgan-mnist, ``init="ckpt"``) with the slide's losses
``dcgan.d_loss`` / ``dcgan.g_loss``. Every ``--every`` steps it samples G (eval mode) on 256 fixed
z and records: the diversity ratio (``dcgan.diversity`` of the samples over that of 256 real
digits; ~1 healthy, → 0 when every z gives the same picture), the MNIST classifier's histogram
of the samples (``top``: the largest class's share; ``cls``: that class) and its mean top-class
probability ``conf`` (how digit-like the samples are: 0.99 for real test digits). A collapse worth
showing needs both a low ratio or a large ``top`` AND ``conf`` near real digits: a repeated
digit, not a repeated texture the classifier happens to call "8".

Writes DIR/RECIPE/log.json (rewritten at every record) and DIR/RECIPE/STEP.png (32 samples), and
prints one line per recipe. Results (2026-11-27, on an H100, 5,000-6,000 steps each; the ``ck_point*``
and ``point*`` recipes on the CPU, 1,000-1,500 steps each) are in docs/figures.md, "DCGAN: looking for
mode collapse".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import data, dcgan, metrics  # noqa: E402
from genmodels.checkpoints import CHECKPOINT_DIR  # noqa: E402
from genmodels.common import grid, to_model, to_unit  # noqa: E402

BASE = dict(init="scratch", lr_g=2e-4, lr_d=2e-4, beta1=0.5, batch=64, ngf=64, ndf=64, dense=1024, nz=100,
            kg=1, kd=1, bn_g=True, bn_d=True, d_eval=False, g_eval=False, z_scale=1.0, g_loss="non-saturating")
RECIPES = {
    "control": {},
    "b09": dict(beta1=0.9),
    "lr1e3_b09": dict(lr_g=1e-3, lr_d=1e-3, beta1=0.9),
    "g1e3_d1e4": dict(lr_g=1e-3, lr_d=1e-4),
    "g2e3_d2e4": dict(lr_g=2e-3, lr_d=2e-4),
    "d1e3_g1e4": dict(lr_g=1e-4, lr_d=1e-3),
    "kg5": dict(kg=5),                       # 5 G steps per D step
    "kd5": dict(kd=5),                       # 5 D steps per G step
    "nobn_d": dict(bn_d=False),              # D judges each image alone (no batch statistics)
    "nobn_g": dict(bn_g=False),              # Radford et al.: BN keeps G from collapsing to a point
    "nobn": dict(bn_g=False, bn_d=False),
    "b09_nobn_d": dict(beta1=0.9, bn_d=False),
    "nobn_g_b09": dict(bn_g=False, beta1=0.9),
    "nobn_d_kg3": dict(bn_d=False, kg=3),
    "weakD": dict(ndf=16, dense=0),
    "weakD_kg3": dict(ndf=16, dense=0, kg=3),
    "dense0": dict(dense=0),                 # the paper's all-conv D
    "batch8": dict(batch=8),
    "lr5e4_b16": dict(lr_g=5e-4, lr_d=5e-4, batch=16),
    "nz2": dict(nz=2),
    "minimax": dict(g_loss="minimax"),       # G minimises log(1 − D(G(z))), the saturating loss
    "minimax_nobn_d": dict(g_loss="minimax", bn_d=False),
    "ck_lr1e3_b09": dict(init="ckpt", lr_g=1e-3, lr_d=1e-3, beta1=0.9),
    "ck_g2e3_d2e5": dict(init="ckpt", lr_g=2e-3, lr_d=2e-5),
    # D judges each image alone: the checkpoint's D with its BatchNorm fixed to the running statistics
    "ck_pointD": dict(init="ckpt", d_eval=True),
    "ck_pointD_frozen": dict(init="ckpt", d_eval=True, kd=0),
    "ck_pointD_g1e3_d1e4": dict(init="ckpt", d_eval=True, lr_g=1e-3, lr_d=1e-4),
    "ck_pointD_g2e3_d2e5": dict(init="ckpt", d_eval=True, lr_g=2e-3, lr_d=2e-5),
    # no batch statistics anywhere: G's BatchNorm fixed too, so each z is drawn and judged alone
    "ck_point": dict(init="ckpt", d_eval=True, g_eval=True),
    "ck_point_frozen": dict(init="ckpt", d_eval=True, g_eval=True, kd=0),
    "ck_point_g1e3_d1e4": dict(init="ckpt", d_eval=True, g_eval=True, lr_g=1e-3, lr_d=1e-4),
    # from scratch, every BatchNorm a fixed affine map (running statistics 0 and 1): each z drawn and
    # judged alone; z_scale < 1 scales G's first layer so that G starts drawing one picture for every z
    "point": dict(d_eval=True, g_eval=True),
    "point_z01": dict(d_eval=True, g_eval=True, z_scale=0.01),
}


def without_batchnorm(net: nn.Module) -> None:
    """Replace every BatchNorm layer of ``net`` by the identity, in place."""
    for name, child in list(net.named_children()):
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            setattr(net, name, nn.Identity())
        else:
            without_batchnorm(child)


def build(r: dict, seed: int) -> dcgan.DCGAN:
    if r["init"] == "ckpt":
        model = dcgan.DCGAN.from_checkpoint(CHECKPOINT_DIR / "dcgan-mnist.safetensors")
        model.G.load_state_dict(model.G_ema.state_dict())
    else:
        model = dcgan.build(dcgan.Config(ngf=r["ngf"], ndf=r["ndf"], d_dense=r["dense"], nz=r["nz"], seed=seed))
    with torch.no_grad():
        model.G.net[0].weight.mul_(r["z_scale"])
    if not r["bn_g"]:
        without_batchnorm(model.G)
    if not r["bn_d"]:
        without_batchnorm(model.D)
    return model


@torch.no_grad()
def record(G, net, z, real_div: float, step: int) -> tuple[dict, torch.Tensor]:
    was_training = G.training
    G.eval()
    x = to_unit(G(z)).float().cpu()[:, 0]
    G.train(was_training)
    counts, _ = metrics.class_histogram(x[:, None], net)
    p = torch.softmax(net(metrics._prep(x[:, None]).to(z.device)), 1)
    return dict(step=step, ratio=round(dcgan.diversity(x) / real_div, 3), top=round(max(counts) / len(x), 3),
                cls=int(np.argmax(counts)), conf=round(float(p.max(1).values.mean()), 3), counts=counts), x


def run(name: str, steps: int, every: int, out: Path, device: str, seed: int = 0) -> dict:
    r = BASE | RECIPES[name]
    dev = torch.device(device)
    model = build(r, seed)
    G, D = model.G.to(dev).train(), model.D.to(dev).train()
    if r["d_eval"]:
        D.eval()
    if r["g_eval"]:
        G.eval()
    net = metrics.load_classifier("mnist").to(dev).eval()
    x_train = data.load("mnist", "train")[0]
    real_div = dcgan.diversity(x_train[:256])
    x_train = x_train.to(dev)
    z_fixed = dcgan.noise(256, r["nz"], seed + 1).to(dev)
    opt_d = torch.optim.Adam(D.parameters(), lr=r["lr_d"], betas=(r["beta1"], 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=r["lr_g"], betas=(r["beta1"], 0.999))
    g = torch.Generator(device=dev).manual_seed(seed)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    log, t0 = [], time.time()
    for step in range(1, steps + 1):
        for _ in range(r["kd"]):
            x_real = to_model(x_train[torch.randint(0, len(x_train), (r["batch"],), device=dev, generator=g)])
            x_fake = G(torch.randn(r["batch"], r["nz"], device=dev, generator=g))
            loss_d = dcgan.d_loss(D, x_real, x_fake.detach())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        for _ in range(r["kg"]):
            x_fake = G(torch.randn(r["batch"], r["nz"], device=dev, generator=g))
            if r["g_loss"] == "minimax":                     # log(1 − D(G(z))) = −BCE(D(G(z)), 0)
                logits = D(x_fake)
                loss_g = -nn.functional.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            else:
                loss_g = dcgan.g_loss(D, x_fake)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        if step % every == 0:
            rec, x = record(G, net, z_fixed, real_div, step)
            log.append(rec)
            Image.fromarray(grid(x[:32, None], nrow=8, scale=1, value=1.0)).save(folder / f"{step:05d}.png")
            (folder / "log.json").write_text(json.dumps(dict(name=name, recipe=r, device=str(dev), log=log,
                                                             seconds=time.time() - t0)))
    return dict(name=name, log=log, seconds=time.time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recipes", nargs="*", help=f"any of {', '.join(RECIPES)} (default: all)")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--out", type=Path, default=Path("out/dcgan-collapse"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    unknown = [n for n in a.recipes if n not in RECIPES]
    if unknown:
        ap.error(f"unknown recipe(s) {', '.join(unknown)}; choose from {', '.join(RECIPES)}")
    for name in a.recipes or RECIPES:
        res = run(name, a.steps, a.every, a.out, a.device, a.seed)
        late = [rec for rec in res["log"] if rec["step"] > a.steps // 2]
        print(f"{name:16s} {res['seconds']:6.0f} s  second half: ratio {min(r['ratio'] for r in late):.2f}-"
              f"{max(r['ratio'] for r in late):.2f}, largest class {max(r['top'] for r in late):.2f}, "
              f"classifier confidence {min(r['conf'] for r in late):.2f}-{max(r['conf'] for r in late):.2f}", flush=True)


if __name__ == "__main__":
    main()
