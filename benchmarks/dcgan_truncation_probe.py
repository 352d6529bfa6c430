"""Issue 19 probe (exploration behind docs/figures.md, 'DCGAN and VAE samples under two judges'): python3 benchmarks/dcgan_truncation_probe.py"""
import sys, torch
from pathlib import Path; sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import judge_row, two_judges
from genmodels import dcgan, checkpoints
from genmodels.common import seeded, to_unit
N = 2000
m = dcgan.load(checkpoints.CHECKPOINT_DIR / "dcgan-mnist")
J, xt = two_judges()
def judge(label, x):
    print(judge_row(label, x, J, xt), flush=True)
def trunc(z, psi):
    zt = z.clone(); gg = seeded(1)
    while (bad := zt.abs() > psi).any(): zt[bad] = torch.randn(int(bad.sum()), generator=gg)
    return zt
@torch.no_grad()
def gen_train(G, z):
    G.train(); x = to_unit(G(z)); G.eval(); return x[:, 0]
z = torch.randn(N, 100, generator=seeded(0))
x = dcgan.generate(m.G_ema, z)
judge("base", x)
for psi in (1.0, 1.5):
    judge(f"trunc {psi} batchBN", gen_train(m.G_ema, trunc(z, psi)))
with torch.no_grad():
    pb = torch.softmax(J[1](x[:, None]), 1).max(1).values
    pa = torch.softmax(J[0](x[:, None]), 1).max(1).values
    pr = torch.softmax(J[1](xt[:N, None]), 1).max(1).values
    m.D.eval(); d = m.D(x[:, None] * 2 - 1)
print("frac maxp<0.9 B: gen", float((pb < .9).float().mean()), "real", float((pr < .9).float().mean()))
nz = z.norm(dim=1)
c = lambda a, b: float(torch.corrcoef(torch.stack([a, b]))[0, 1])
print("corr conf-B vs |z|", c(pb, nz), " vs D", c(pb, d), " confA vs confB", c(pa, pb))

