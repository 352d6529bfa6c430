"""Two judges of the same samples: the Inception score (classifier IS) under our two MNIST classifiers.

    python benchmarks/judges.py [--n 10000] [--seed 0] [--device auto] [--models dcgan-mnist vae-mnist]
                                [--dcgan-truncation 1.0 1.5] [--vae-prior standard gmm] [--elbo]

``classifier-mnist`` (LeNet, seed 0) judges every card; ``classifier-mnist-b`` (a
multilayer perceptron, no convolutions, seed 1; ``genmodels.classifier``'s ``arch="mlp"``) is a
second opinion trained separately (issue 19). For real test digits and for samples of
dcgan-mnist, ddpm-mnist (its default sampler), vae-mnist (decodes of z ~ N(0, I)) and
cgan-mnist (labels cycling 0..9), prints IS under both, the FLD (LeNet features) against as many
test digits (for the real digits: training digits against test digits, the floor), the classes
covered (a class is covered when at least 2% of the samples are classified, by the LeNet, as it;
a uniform share is 10%) with KL(class histogram ‖ uniform), and each judge's test accuracy.

Sampling options, one row each: ``--dcgan-truncation ψ …`` (``dcgan.sample``'s truncation; the
default row has none), ``--vae-prior standard gmm`` (``vae.sample``'s prior: N(0, I) or the GMM
fitted to the training codes). ``--elbo``: the VAE's test −ELBO under each prior (Monte Carlo,
``vae.neg_elbo_under``, grey-level test digits: a loss, not a bound, as its card says).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import FAMILIES, checkpoints, classifier, data  # noqa: E402
from genmodels.common import device  # noqa: E402
from genmodels.metrics import class_histogram, fld, inception_score  # noqa: E402

JUDGES = ("classifier-mnist", "classifier-mnist-b")
MODELS = ("dcgan-mnist", "ddpm-mnist", "vae-mnist", "cgan-mnist")
COVERED = 0.02          # a class is covered when at least this share of the samples is classified as it


def load(name: str, dev: torch.device):
    path = checkpoints.CHECKPOINT_DIR / name
    mod = importlib.import_module(FAMILIES[checkpoints.read_card(path)["family"]])
    model = mod.load(path)
    if isinstance(model, tuple):        # a family not yet on the contract: (model, ..., card)
        model = model[0]
    return mod, model.to(dev)


def samples(name: str, n: int, seed: int, dev: torch.device, **options) -> torch.Tensor:
    """n samples of checkpoints/NAME through the family contract: load, then sample (its defaults + options)."""
    mod, model = load(name, dev)
    return mod.sample(model, n, seed=seed, **options).cpu()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--dcgan-truncation", nargs="*", type=float, default=[], metavar="PSI")
    p.add_argument("--vae-prior", nargs="+", default=["standard"], choices=["standard", "gmm"])
    p.add_argument("--elbo", action="store_true", help="also the VAE's test −ELBO under each prior")
    a = p.parse_args()
    dev = device(a.device)
    judges = {name: classifier.load(checkpoints.CHECKPOINT_DIR / name).to(dev) for name in JUDGES}
    lenet = judges[JUDGES[0]]
    x_test, y_test = data.load("mnist", "test")
    x_train = data.load("mnist", "train")[0]
    print(f"n = {a.n} per set, seed {a.seed}, device {dev}, torch {torch.__version__}")
    print("judge test accuracy: " + ", ".join(
        f"{k} ({v.cfg.arch}, seed {v.cfg.seed}) {classifier.accuracy(v, x_test, y_test):.4f}" for k, v in judges.items()))
    sets = {"real test digits": lambda: x_test[:a.n]}
    for name in a.models:
        if name == "dcgan-mnist":
            sets[name] = lambda: samples("dcgan-mnist", a.n, a.seed, dev)
            sets |= {f"{name}, truncation ψ = {psi:g}":
                     (lambda psi=psi: samples("dcgan-mnist", a.n, a.seed, dev, truncation=psi))
                     for psi in a.dcgan_truncation}
        elif name == "vae-mnist":
            sets |= {f"{name}, prior {prior}": (lambda prior=prior: samples("vae-mnist", a.n, a.seed, dev, prior=prior))
                     for prior in a.vae_prior}
        else:
            sets[name] = (lambda name=name: samples(name, a.n, a.seed, dev))
    print(f"| images | IS ({JUDGES[0]}) | IS ({JUDGES[1]}) | FLD | classes covered (≥ {COVERED:.0%}) · KL "
          "| seconds to sample |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, make in sets.items():
        t0 = time.perf_counter()
        x = make()
        seconds = time.perf_counter() - t0
        scores = []
        for net in judges.values():
            torch.manual_seed(a.seed)   # torchmetrics shuffles the samples into splits with the global RNG
            scores.append(inception_score(x, net=net)[0])
        reference = x_train[:len(x)] if label.startswith("real") else x
        distance = fld(x_test[:len(x)], reference, lenet)
        counts, kl = class_histogram(x, lenet)
        covered = sum(c >= COVERED * len(x) for c in counts)
        print(f"| {label} | {scores[0]:.2f} | {scores[1]:.2f} | {distance:.2f} | {covered} · {kl:.3f} "
              f"| {seconds:.1f} |", flush=True)
    if a.elbo and "vae-mnist" in a.models:
        from genmodels import vae
        _, model = load("vae-mnist", dev)
        x = x_test[:a.n]
        print(f"\nvae-mnist test −ELBO, nats per image ({len(x)} grey-level test digits; Monte Carlo, 10 z each):")
        print(f"  analytic KL, prior N(0, I): {float(vae.neg_elbo(model, x, seed=a.seed).mean()):.2f}")
        priors = {"standard": vae.standard_log_prob}
        if model.prior_gmm is not None:
            priors["gmm"] = lambda z: model.prior_gmm.log_prob(z.cpu())
        for prior, log_prob in priors.items():
            v = vae.neg_elbo_under(model, x, log_prob, samples=10, seed=a.seed)
            print(f"  prior {prior}: {float(v.mean()):.2f}")


if __name__ == "__main__":
    main()
