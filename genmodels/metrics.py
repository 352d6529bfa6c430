"""Offline sample-quality metrics, with our own classifier in Inception's place.

- **FLD** (Fréchet LeNet distance): FID computed on the classifier's 128-d
  penultimate features. 0 for identical feature statistics; always print it
  beside its *floor*, the FLD between two real sets (test vs train).
- **KID**: kernel (polynomial MMD²) distance on the same features; unbiased,
  so it is near 0 for two real sets even with few samples.
- **Inception score** (classifier IS): exp E[KL(p(y|x) || p(y))]: high when
  each sample is confidently one class and all classes appear (max = 10).
- **Class histogram** of samples and its KL from uniform (mode dropping).

FID / KID / IS are torchmetrics' implementations fed our feature network.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
from torch import nn

from . import classifier as classifier_mod
from .checkpoints import CHECKPOINT_DIR

CLASSIFIERS = {"mnist": "classifier-mnist", "fashion": "classifier-fashion", "horse_zebra": "classifier-horse-zebra"}


@functools.lru_cache(maxsize=None)
def load_classifier(task: str = "mnist", path: str | None = None) -> classifier_mod.LeNet:
    return classifier_mod.load(path or CHECKPOINT_DIR / CLASSIFIERS[task])


class _Features(nn.Module):
    """Classifier penultimate features, the shape torchmetrics wants."""

    def __init__(self, net: classifier_mod.LeNet):
        super().__init__()
        self.net, self.num_features = net, net.num_features

    def forward(self, x):
        return self.net.features(x)


class _Logits(nn.Module):
    def __init__(self, net: classifier_mod.LeNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


def _prep(x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x).float()
    if x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[-2:] != (28, 28):
        raise ValueError(f"expected images (N, 28, 28) in [0, 1], got shape {tuple(x.shape)}")
    return x.clamp(0, 1)


def _feed(metric, x: torch.Tensor, batch: int = 1000, **kw) -> None:
    dev = next(metric.parameters(), torch.empty(0)).device
    for i in range(0, len(x), batch):
        metric.update(x[i:i + batch].to(dev), **kw)


def _dev():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def fld(real: torch.Tensor, fake: torch.Tensor, net: classifier_mod.LeNet) -> float:
    from torchmetrics.image.fid import FrechetInceptionDistance

    m = FrechetInceptionDistance(feature=_Features(net.eval()), normalize=True).to(_dev())
    _feed(m, _prep(real), real=True)
    _feed(m, _prep(fake), real=False)
    return float(m.compute())


@torch.no_grad()
def kid(real: torch.Tensor, fake: torch.Tensor, net: classifier_mod.LeNet, subset_size: int = 1000) -> tuple[float, float]:
    from torchmetrics.image.kid import KernelInceptionDistance

    subset = min(subset_size, len(real), len(fake))
    m = KernelInceptionDistance(feature=_Features(net.eval()), subset_size=subset, normalize=True).to(_dev())
    _feed(m, _prep(real), real=True)
    _feed(m, _prep(fake), real=False)
    mean, std = m.compute()
    return float(mean), float(std)


@torch.no_grad()
def inception_score(x: torch.Tensor, net: classifier_mod.LeNet, splits: int = 10) -> tuple[float, float]:
    from torchmetrics.image.inception import InceptionScore

    # normalize=False: torchmetrics' InceptionScore turns [0, 1] images into bytes 0..255 when
    # normalize=True, even for a custom network, and our classifier reads pixels in [0, 1]
    m = InceptionScore(feature=_Logits(net.eval()), splits=splits, normalize=False).to(_dev())
    _feed(m, _prep(x))
    mean, std = m.compute()
    return float(mean), float(std)


@torch.no_grad()
def class_histogram(x: torch.Tensor, net: classifier_mod.LeNet) -> tuple[list[int], float]:
    """(counts per predicted class, KL(histogram || uniform) in nats)."""
    net = net.eval().to(_dev())
    x = _prep(x)
    preds = torch.cat([net(x[i:i + 2000].to(_dev())).argmax(1).cpu() for i in range(0, len(x), 2000)])
    k = net.head[-1].out_features
    counts = torch.bincount(preds, minlength=k).double()
    p = counts / counts.sum()
    kl = float((p[p > 0] * (p[p > 0] * k).log()).sum())
    return counts.long().tolist(), kl


def image_metrics(fake: torch.Tensor, real_test: torch.Tensor, real_train: torch.Tensor,
                  task: str = "mnist", net: classifier_mod.LeNet | None = None) -> dict:
    """Everything a card reports for generated images ``fake`` in [0, 1].

    ``fld_floor`` is the FLD between ``real_test`` and a same-size slice of
    ``real_train``: what a perfect sampler (one drawing real digits) is expected to score with this
    many samples. Not a hard lower bound; it grows as the sample count shrinks.
    """
    net = net or load_classifier(task)
    fake = _prep(fake)
    n = len(fake)
    real = _prep(real_test)[:n]
    floor_ref = _prep(real_train)[:len(real)]
    is_mean, is_std = inception_score(fake, net)
    kid_mean, kid_std = kid(real, fake, net)
    counts, kl = class_histogram(fake, net)
    return {
        "fld": fld(real, fake, net),
        "fld_floor": fld(real, floor_ref, net),
        "kid": kid_mean, "kid_std": kid_std,
        "inception_score": is_mean, "inception_score_std": is_std,
        "class_counts": counts, "class_kl_from_uniform": kl,
        "eval_samples": n,
    }


def nats_to_bits_per_dim(nats: float, dims: int = 784) -> float:
    return nats / (dims * math.log(2))


def default_classifier_available(task: str = "mnist") -> bool:
    return Path(str(CHECKPOINT_DIR / CLASSIFIERS[task]) + ".json").exists()
