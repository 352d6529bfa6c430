"""Fit the ex-post GMM prior of a VAE checkpoint (two-stage sampling, Ghosh et al. 2020).

    python3 scripts/fit_vae_prior.py checkpoints/vae-mnist [--k 10] [--seed 0]

EM for K full-covariance Gaussians on one code z ~ q_φ(z|x) per training image;
writes ``NAME-gmm.safetensors`` beside the checkpoint (tied to its weights by their sha256),
which ``vae.load`` picks up and ``vae.sample(..., prior="gmm")`` samples from.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import data, vae  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--k", type=int, default=vae.PRIOR_K)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    model = vae.load(a.checkpoint)
    if not model.cfg.kl:
        sys.exit("error: a plain autoencoder has no prior to replace")
    t0 = time.perf_counter()
    gmm, ll = vae.fit_prior(model, data.load(model.cfg.dataset, "train")[0], a.k, a.seed)
    command = "python3 scripts/fit_vae_prior.py " + shlex.join(sys.argv[1:])
    out = vae.save_prior(gmm, a.checkpoint, command, ll)
    print(f"{out}: K = {a.k}, mean log p_GMM(z) = {ll:.3f} nats, {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
