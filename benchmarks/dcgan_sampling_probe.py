"""Issue 19 probe (exploration behind docs/figures.md, 'DCGAN and VAE samples under two judges'): python3 benchmarks/dcgan_sampling_probe.py"""
import sys, copy, torch
from pathlib import Path; sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import judge_row, two_judges
from genmodels import dcgan, checkpoints
from genmodels.common import to_unit
N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
m = dcgan.load(checkpoints.CHECKPOINT_DIR / "dcgan-mnist")
J, xt = two_judges()
def judge(label, x):
    print(judge_row(label, x, J, xt), flush=True)
z = dcgan.noise(N, 100, 0)
@torch.no_grad()
def gen(G, z, train_bn=False, batch=1000):
    G.train(train_bn)
    out = torch.cat([to_unit(G(z[i:i+batch])) for i in range(0, len(z), batch)])
    G.eval(); return out
judge("real", xt[:N])
judge("G_ema eval", gen(m.G_ema, z))
judge("G eval", gen(m.G, z))
judge("G_ema trainBN b1000", gen(m.G_ema, z, True))
judge("G trainBN b1000", gen(m.G, z, True))
# standing stats
def standing(G, n=10000, seed=123):
    G = copy.deepcopy(G)
    for mod in G.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.reset_running_stats(); mod.momentum = None
    G.train()
    zz = dcgan.noise(n, 100, seed)
    with torch.no_grad():
        for i in range(0, n, 500): G(zz[i:i+500])
    return G.eval()
judge("G_ema standing", gen(standing(m.G_ema), z))
judge("G standing", gen(standing(m.G), z))
for name, G in (("G_ema", m.G_ema),):
    bn = [mm for mm in G.modules() if isinstance(mm, torch.nn.BatchNorm2d)]
    S = standing(G)
    bs = [mm for mm in S.modules() if isinstance(mm, torch.nn.BatchNorm2d)]
    for a, b in zip(bn, bs):
        print("bn mean diff", float((a.running_mean-b.running_mean).abs().mean()), "var ratio", float((a.running_var/b.running_var).mean()))
