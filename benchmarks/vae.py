"""Benchmarks for the VAE tab.

    python benchmarks/vae.py [--seconds 60] [--decodes 200]

1. Slider decode: server-side time of the tab's decode_sliders() (16-D model), median of N.
2. Training for the same wall time, ours vs the pytorch/examples VAE recipe (MLP 784-400-20,
   Adam 1e-3, batch 128), interleaved in 5-second slices; prints both test losses: summed BCE +
   KL per image on the 10k MNIST test digits (nats; pytorch/examples reports about 106.7 at epoch 7).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import data, vae  # noqa: E402
from genmodels.common import batches, seeded  # noqa: E402


class ExamplesVAE(nn.Module):
    """pytorch/examples' vae/main.py model: 784-400-20 MLP."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x, g=None):
        h = torch.relu(self.fc1(x.reshape(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = vae.reparameterize(mu, logvar, g)
        return self.fc4(torch.relu(self.fc3(z))), mu, logvar

    def loss(self, x, g=None):
        logits, mu, logvar = self(x, g)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, x.reshape(-1, 784), reduction="none").sum(1)
        return bce + vae.kl_divergence(mu, logvar)


def examples_training(seed: int = 0):
    torch.manual_seed(seed)
    model = ExamplesVAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = seeded(seed)
    stream = batches(data.load("mnist", "train")[0], 128, g)
    step = 0
    while True:
        loss = model.loss(next(stream), g).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        yield step, model


def ours_training(seed: int = 0):
    cfg = vae.Config(latent=16, steps=10**7, device="cpu", seed=seed)
    for r in vae.train(cfg, seconds=0, every=1, preview_every=10**9):
        yield r.step, r.model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="training wall time for each recipe")
    ap.add_argument("--decodes", type=int, default=200)
    a = ap.parse_args()

    from demos import vae as tab
    z = [0.0] * 16
    tab.decode_sliders("VAE, 16-D latent", *z)
    times = []
    for i in range(a.decodes):
        z[i % 16] = (i % 7) / 3 - 1
        t0 = time.perf_counter()
        tab.decode_sliders("VAE, 16-D latent", *z)
        times.append(time.perf_counter() - t0)
    print(f"slider decode (16-D, server side): median {statistics.median(times) * 1000:.2f} ms over {a.decodes}, "
          f"{torch.get_num_threads()} thread(s)")

    runs = {"ours (conv VAE, 16-D)": ours_training(), "pytorch/examples (MLP 784-400-20)": examples_training()}
    used = {k: 0.0 for k in runs}
    steps, models = {}, {}
    while min(used.values()) < a.seconds:
        for name, gen in runs.items():
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 5.0 and used[name] + (time.perf_counter() - t0) < a.seconds:
                steps[name], models[name] = next(gen)
            used[name] += time.perf_counter() - t0
    x_test = data.load("mnist", "test")[0]
    print(f"\ntraining for {a.seconds:.0f} s each (interleaved 5 s slices), then test loss per image (nats):")
    for name, m in models.items():
        with torch.no_grad():
            if isinstance(m, ExamplesVAE):
                loss = float(torch.cat([m.loss(x_test[i:i + 2000], seeded(0)) for i in range(0, 10_000, 2000)]).mean())
            else:
                loss = float(vae.neg_elbo(m, x_test).mean())
        print(f"  {name:36s} {steps[name]:6d} steps  test BCE+KL {loss:7.2f}")


if __name__ == "__main__":
    main()
