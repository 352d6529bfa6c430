"""Known cases for the offline metrics (issue: evaluation)."""
import pytest
import torch

from genmodels import classifier, data, metrics


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist", "test")[0], data.load("mnist", "train")[0]


@pytest.fixture(scope="module")
def net():
    return metrics.load_classifier("mnist")


def test_fld_known_cases(mnist, net):
    test, train = mnist
    n = 2000
    same = metrics.fld(test[:n], test[:n], net)
    floor = metrics.fld(test[:n], train[:n], net)
    other_real = metrics.fld(test[n:2 * n], train[n:2 * n], net)
    noise = metrics.fld(test[:n], torch.rand(n, 28, 28, generator=torch.Generator().manual_seed(0)), net)
    assert abs(same) < 1e-2                         # a set against itself
    assert other_real < 2 * floor + 1               # real vs real sits near the floor
    assert noise > 50 * floor                       # real vs noise is far away


def test_kid_real_vs_real_near_zero_and_noise_large(mnist, net):
    test, train = mnist
    real, _ = metrics.kid(test[:1000], train[:1000], net)
    noise, _ = metrics.kid(test[:1000], torch.rand(1000, 28, 28), net)
    assert abs(real) < 0.05 * noise


def test_inception_score_of_real_test_digits(mnist, net):
    mean, _ = metrics.inception_score(mnist[0], net)
    assert mean >= 9.5


def test_class_histogram_of_test_set_is_near_uniform(mnist, net):
    counts, kl = metrics.class_histogram(mnist[0], net)
    assert sum(counts) == 10_000 and kl < 0.01
    _, kl_one = metrics.class_histogram(mnist[0][data.load("mnist", "test")[1] == 3], net)
    assert kl_one > 2.0                              # all one class: KL ≈ log 10


def test_classifiers_reach_their_accuracies_from_checkpoints():
    net = classifier.load("checkpoints/classifier-mnist")
    x, y = data.load("mnist", "test")
    assert classifier.accuracy(net, x, y) >= 0.99
    hz = classifier.load("checkpoints/classifier-horse-zebra")
    xh, yh = classifier.task_data("horse_zebra", "test")
    assert classifier.accuracy(hz, xh, yh) >= 0.95


def test_image_metrics_report_every_key(mnist, net):
    m = metrics.image_metrics(mnist[1][:500], mnist[0], mnist[1][5000:], net=net)
    for key in ("fld", "fld_floor", "kid", "inception_score", "class_counts", "class_kl_from_uniform"):
        assert key in m
    assert m["fld"] < 5 * m["fld_floor"] + 1


def test_bad_shapes_are_refused(net):
    with pytest.raises(ValueError, match="expected images"):
        metrics.fld(torch.rand(10, 32, 32), torch.rand(10, 32, 32), net)
