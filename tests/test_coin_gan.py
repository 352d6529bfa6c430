import pytest
import torch

from genmodels import coin_gan
from genmodels.coin_gan import Config


def _weights(G):
    return torch.cat([p.detach().flatten() for p in G.parameters()])


def test_shapes_and_flip_reading():
    G, D = coin_gan.build(Config(), torch.Generator().manual_seed(0))
    assert G(torch.zeros(5, 1)).shape == (5, 1)
    assert D(torch.zeros(5, 1)).shape == (5, 1)
    with torch.no_grad():
        d = D(torch.rand(7, 1))
    assert 0 <= float(d.min()) and float(d.max()) <= 1
    assert coin_gan.to_flips(torch.tensor([-1.0, 0.49, 0.51, 2.0])).tolist() == [0, 0, 1, 1]


def test_losses_are_the_slide_equations():
    G, D = coin_gan.build(Config(minibatch_mean=False), torch.Generator().manual_seed(0))
    x_real, x_fake = torch.tensor([[1.0], [0.0], [1.0]]), torch.tensor([[0.2], [0.9]])
    d_r, d_f = D(x_real), D(x_fake)
    expected_d = -torch.log(d_r).mean() - torch.log(1 - d_f).mean()   # l(D(x),1) + l(D(G(z)),0)
    expected_g = -torch.log(d_f).mean()                                # l(D(G(z)),1)
    assert torch.allclose(coin_gan.d_loss(D, x_real, x_fake), expected_d, atol=1e-6)
    assert torch.allclose(coin_gan.g_loss(D, x_fake), expected_g, atol=1e-6)


def test_heads_fraction_counts_forward_and_passes_gradient():
    x = torch.tensor([0.1, 0.7, 0.9, 0.2], requires_grad=True)
    f = coin_gan.heads_fraction(x)
    assert float(f) == pytest.approx(0.5)
    f.backward()
    assert torch.allclose(x.grad, torch.full((4,), 0.25))


def test_same_seed_same_run_different_seed_different_run():
    a = coin_gan.run(Config(p_heads=0.3, steps=60, seed=7), log_every=20)
    b = coin_gan.run(Config(p_heads=0.3, steps=60, seed=7), log_every=20)
    c = coin_gan.run(Config(p_heads=0.3, steps=60, seed=8), log_every=20)
    assert torch.equal(_weights(a[0]), _weights(b[0]))
    assert [r.losses for r in a[2]] == [r.losses for r in b[2]]
    assert not torch.equal(_weights(a[0]), _weights(c[0]))


def test_short_training_moves_toward_p():
    cfg = Config(p_heads=0.8, steps=400, seed=1)
    G0, _ = coin_gan.build(cfg, torch.Generator().manual_seed(cfg.seed))
    before = abs(float(coin_gan.sample(G0, 20_000).mean()) - 0.8)
    G, _, records = coin_gan.run(cfg, log_every=50)
    after = coin_gan.evaluate(G, 0.8, n=20_000)["gap"]
    assert after < 0.05 and after < before / 3
    assert records[-1].done and records[-1].step == 400


def test_closing_the_generator_stops_training():
    gen = coin_gan.train(Config(steps=5000), log_every=10)
    first = next(gen)
    gen.close()
    assert first.step == 10
    with pytest.raises(StopIteration):
        next(gen)


def test_collapse_detector():
    assert coin_gan.collapse(1.0) == "all heads" and coin_gan.collapse(0.0) == "all tails"
    assert coin_gan.collapse(0.3) is None


def test_config_validation_is_clear():
    with pytest.raises(ValueError, match="p_heads must be strictly between 0 and 1"):
        Config(p_heads=1.2).validate()
    with pytest.raises(ValueError, match="steps"):
        Config(steps=0).validate()


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_quality_bar_defaults_all_seeds(p):
    """Issue bar: with defaults, |P(H) - p| <= 0.02 on 100k flips, 5 seeds, none collapsed."""
    for seed in range(5):
        G, _, _ = coin_gan.run(Config(p_heads=p, seed=seed), log_every=250)
        m = coin_gan.evaluate(G, p, n=100_000)
        assert m["gap"] <= 0.02 and not m["collapsed"], (p, seed, m)
