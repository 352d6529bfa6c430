"""Two judges of the same samples: the Inception score (classifier IS) under our two MNIST classifiers.

    python benchmarks/judges.py [--n 10000] [--seed 0] [--device auto]

``classifier-mnist`` (LeNet, seed 0) judges every card; ``classifier-mnist-b`` (a
multilayer perceptron, no convolutions, seed 1; ``genmodels.classifier``'s ``arch="mlp"``) is a
second opinion trained separately (issue 19). For real test digits and for samples of
dcgan-mnist, ddpm-mnist (its default sampler), vae-mnist (decodes of z ~ N(0, I)) and
cgan-mnist (labels cycling 0..9), prints IS under both, and each judge's test accuracy.
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
from genmodels.metrics import inception_score  # noqa: E402

JUDGES = ("classifier-mnist", "classifier-mnist-b")
MODELS = ("dcgan-mnist", "ddpm-mnist", "vae-mnist", "cgan-mnist")


def samples(name: str, n: int, seed: int, dev: torch.device) -> torch.Tensor:
    """n samples of checkpoints/NAME through the family contract: load, then sample with its defaults."""
    path = checkpoints.CHECKPOINT_DIR / name
    mod = importlib.import_module(FAMILIES[checkpoints.read_card(path)["family"]])
    model = mod.load(path)
    if isinstance(model, tuple):        # a family not yet on the contract: (model, ..., card)
        model = model[0]
    return mod.sample(model.to(dev), n, seed=seed).cpu()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    a = p.parse_args()
    dev = device(a.device)
    judges = {name: classifier.load(checkpoints.CHECKPOINT_DIR / name).to(dev) for name in JUDGES}
    x_test, y_test = data.load("mnist", "test")
    print(f"n = {a.n} per set, seed {a.seed}, device {dev}, torch {torch.__version__}")
    print("judge test accuracy: " + ", ".join(
        f"{k} ({v.cfg.arch}, seed {v.cfg.seed}) {classifier.accuracy(v, x_test, y_test):.4f}" for k, v in judges.items()))
    sets = {"real test digits": lambda: x_test[:a.n]}
    sets |= {name: (lambda name=name: samples(name, a.n, a.seed, dev)) for name in MODELS}
    print(f"| images | IS ({JUDGES[0]}) | IS ({JUDGES[1]}) | seconds to sample |")
    print("| --- | --- | --- | --- |")
    for label, make in sets.items():
        t0 = time.perf_counter()
        x = make()
        seconds = time.perf_counter() - t0
        scores = []
        for net in judges.values():
            torch.manual_seed(a.seed)   # torchmetrics shuffles the samples into splits with the global RNG
            scores.append(inception_score(x, net=net)[0])
        print(f"| {label} | {scores[0]:.2f} | {scores[1]:.2f} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
