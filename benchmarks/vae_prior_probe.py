"""Issue 19 probe (exploration behind docs/figures.md, 'DCGAN and VAE samples under two judges'): python3 benchmarks/vae_prior_probe.py"""
import sys, torch
from pathlib import Path; sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import judge_row, two_judges
from genmodels import vae, checkpoints, data
from genmodels.common import seeded
m = vae.load(checkpoints.CHECKPOINT_DIR / "vae-mnist")
J, xt = two_judges()
xtr = data.load("mnist", "train")[0][:20000]
N = 2000
def judge(label, x):
    print(judge_row(label, x, J, xt), flush=True)
with torch.no_grad():
    mu, lv = m.encode(xtr)
print("sigma per dim", lv.mul(.5).exp().mean(0))
zq = mu + lv.mul(.5).exp() * torch.randn(mu.shape, generator=seeded(7))
judge("standard", vae.sample(m, N, seed=0))
xe = xt[:500]
print("elbo std analytic", float(vae.neg_elbo(m, xe).mean()), "mc", float(vae.neg_elbo_under(m, xe, vae.standard_log_prob, 10).mean()))
for lab, z in (("mu", mu), ("zq", zq)):
    g, ll = vae.fit_gmm(z, 10, seed=0, iters=100)
    with torch.no_grad(): x = m.decode(g.sample(N, 0))[:, None]
    judge(f"gmm10 on {lab}", x)
    print("elbo", lab, float(vae.neg_elbo_under(m, xe, lambda z: g.log_prob(z), 10).mean()), flush=True)
