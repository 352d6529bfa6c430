"""CycleGAN model side: each loss term on networks whose answer is known, and a stopped run's model."""
import pytest
import torch
from torch import nn

from genmodels import cyclegan
from genmodels.common import init_normal, seeded


class Constant(nn.Module):
    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, x):
        return torch.full_like(x, self.value)


class Scale(nn.Module):
    def __init__(self, a: float, b: float = 0.0):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return self.a * x + self.b


def _model(**kw) -> cyclegan.CycleGAN:
    return cyclegan.CycleGAN(cyclegan.Config(ngf=8, ndf=8, n_blocks=1, **kw))


def _batch(seed: int) -> torch.Tensor:
    return torch.rand(3, 1, 28, 28, generator=seeded(seed)) * 2 - 1


def test_identity_generators_have_zero_cycle_and_identity_terms():
    m = _model()
    m.G, m.F = nn.Identity(), nn.Identity()
    m.D_X, m.D_Y = Constant(0.25), Constant(0.75)
    x, y = _batch(0), _batch(1)
    total, terms, _ = cyclegan.generator_losses(m, x, y)
    for k in ("cycle_X", "cycle_Y", "identity_X", "identity_Y"):
        assert float(terms[k]) == 0.0, k
    # LSGAN: G's adversarial term is (D_Y(G(x)) − 1)², F's is (D_X(F(y)) − 1)²
    assert float(terms["GAN_G"]) == pytest.approx((0.75 - 1) ** 2)
    assert float(terms["GAN_F"]) == pytest.approx((0.25 - 1) ** 2)
    assert float(total) == pytest.approx((0.75 - 1) ** 2 + (0.25 - 1) ** 2)


def test_constant_G_gives_cycle_term_lambda_mean_abs_F_c_minus_x():
    lam, c = 10.0, 0.3
    m = _model(lambda_cycle=lam, lambda_identity=0.5)
    m.G, m.F = Constant(c), Scale(0.5, -0.1)
    m.D_X, m.D_Y = Constant(0.0), Constant(1.0)
    x, y = _batch(2), _batch(3)
    _, terms, (fake_x, fake_y) = cyclegan.generator_losses(m, x, y)
    F_c = 0.5 * c - 0.1
    assert float(terms["cycle_X"]) == pytest.approx(lam * float((F_c - x).abs().mean()), rel=1e-6)
    # the other cycle G(F(y)) = c, and the identity terms, weighted 0.5·λ
    assert float(terms["cycle_Y"]) == pytest.approx(lam * float((c - y).abs().mean()), rel=1e-6)
    assert float(terms["identity_Y"]) == pytest.approx(0.5 * lam * float((c - y).abs().mean()), rel=1e-6)
    assert float(terms["identity_X"]) == pytest.approx(0.5 * lam * float((0.5 * x - 0.1 - x).abs().mean()), rel=1e-6)
    assert torch.equal(fake_y, torch.full_like(x, c))
    assert float(terms["GAN_G"]) == 0.0 and float(terms["GAN_F"]) == 1.0


def test_discriminator_loss_is_half_the_least_squares_sum():
    D = Scale(0.0, 0.6)                         # scores every image 0.6
    loss = cyclegan.discriminator_loss(D, _batch(4), _batch(5))
    assert float(loss) == pytest.approx(0.5 * ((0.6 - 1) ** 2 + 0.6 ** 2))


def test_every_record_hands_out_the_model_so_a_stopped_run_keeps_it():
    cfg = cyclegan.Config(ngf=8, ndf=8, n_blocks=1, steps=1000, batch_size=2, seed=0, device="cpu")
    fresh = cyclegan.CycleGAN(cfg)
    init_normal(fresh, seeded(0))
    run = cyclegan.train(cfg, log_every=1, preview_every=10**9)
    records = [next(run) for _ in range(3)]
    run.close()                                  # what Stop does
    assert all("model" in r.preview for r in records)
    assert not any("panels" in r.preview for r in records)       # panels only when due
    model = records[-1].preview["model"]
    assert isinstance(model, cyclegan.CycleGAN) and records[-1].step == 3
    # it is the trained model (three optimizer steps away from the same seed's initial weights) ...
    assert not torch.equal(model.G.net[1].weight, fresh.G.net[1].weight)
    # ... and it translates
    zebras = cyclegan.translate(model, torch.rand(2, 28, 28), "horse2zebra")
    assert zebras.shape == (2, 28, 28) and 0 <= float(zebras.min()) and float(zebras.max()) <= 1
