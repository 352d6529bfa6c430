"""The feature classifiers under the family contract: both architectures, training records, the
shipped judges' accuracies, and the second judge (classifier-mnist-b) usable by the metrics."""
from pathlib import Path

import pytest
import torch

from genmodels import classifier, data, metrics


@pytest.mark.parametrize("arch", classifier.ARCHS)
def test_architectures_give_logits_and_features(arch):
    net = classifier.build(classifier.Config(arch=arch, seed=1))
    x = torch.rand(3, 28, 28)
    assert net(x).shape == (3, 10) and net.features(x).shape == (3, net.num_features)
    assert net.cfg.arch == arch and net.steps == 0
    again = classifier.build(classifier.Config(arch=arch, seed=1))
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))


def test_unknown_arch_and_sampling_are_refused():
    with pytest.raises(ValueError, match="arch must be one of lenet, mlp"):
        classifier.Config(arch="resnet").validate()
    with pytest.raises(ValueError, match="not generative"):
        classifier.sample(classifier.build(classifier.Config()), 2, seed=0)


def test_training_records_carry_the_live_network_and_learn(tmp_path):
    cfg = classifier.Config(arch="mlp", epochs=1, batch_size=64, seed=2, device="cpu", max_seconds=4.0)
    x, y = data.load("mnist", "test")
    chance = classifier.accuracy(classifier.build(cfg), x, y)   # the same seed's untrained network
    records = list(classifier.train(cfg, seconds=0, every=10))
    net = records[-1].model
    assert records[-1].done and all(r.model is net for r in records) and net.steps == records[-1].step
    assert all(set(r.losses) == {"loss"} for r in records)
    assert records[-1].metrics["test_accuracy"] > chance + 0.05     # it learns, however few steps 4 s allow
    card = classifier.save(net, tmp_path / "c", classifier.evaluate(net, n=500), command="test", seconds=4.0)
    back = classifier.load(tmp_path / "c")
    assert back.cfg == cfg and back.card["metrics"]["test_images"] == 500 and card["sha256"] == back.card["sha256"]
    with torch.no_grad():
        assert torch.allclose(net.eval()(x[:50]), back(x[:50]), atol=1e-5)


def test_shipped_judges_reach_their_accuracies():
    x, y = data.load("mnist", "test")
    lenet = classifier.load("checkpoints/classifier-mnist")     # cards written before `arch` are LeNets
    assert isinstance(lenet, classifier.LeNet) and lenet.cfg.arch == "lenet"
    assert classifier.accuracy(lenet, x, y) >= 0.99
    if not Path("checkpoints/classifier-mnist-b.json").exists():
        pytest.skip("checkpoints/classifier-mnist-b is not trained yet")
    b = classifier.load("checkpoints/classifier-mnist-b")
    assert isinstance(b, classifier.MLP) and b.cfg.seed != lenet.cfg.seed
    assert classifier.accuracy(b, x, y) == pytest.approx(b.card["metrics"]["test_accuracy"], abs=1e-4)
    assert b.card["metrics"]["test_accuracy"] >= 0.97
    # the metrics take it as the judge: real test digits score a high Inception score under both
    is_a, _ = metrics.inception_score(x[:2000], net=lenet)
    is_b, _ = metrics.inception_score(x[:2000], net=b)
    assert is_a > 9.0 and is_b > 8.5
    counts, kl = metrics.class_histogram(x[:2000], b)
    assert sum(counts) == 2000 and kl < 0.05
