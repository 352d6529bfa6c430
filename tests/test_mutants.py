"""Tests written for survivors of scripts/mutate.py (docs/mutation.md)."""
import torch

from genmodels import metrics
from test_formulas import ProbitFeatures


def test_inception_class_histogram_counts_every_image_once_past_its_2000_chunk():
    # class_histogram classifies in chunks of 2000; 4500 images cross two chunk boundaries, so an
    # overlapping or gappy chunking (x[i:i + 2001], range(0, n, 2001)) changes the counts
    net = ProbitFeatures(1)
    n = 4500
    x = torch.zeros(n, 28, 28)
    x.view(n, -1)[:, 0] = (torch.arange(n) % 10).float() / 10 + 0.05              # 450 of each class, certain
    counts, kl = metrics.class_histogram(x, net)
    assert counts == [450] * 10 and abs(kl) < 1e-9
