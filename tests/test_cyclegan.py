"""CycleGAN model side: each loss term on networks whose answer is known, the round trip the tab shows,
training under the family contract (a stopped run keeps its model), and the shipped checkpoint."""
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from genmodels import classifier, cyclegan, data
from genmodels.common import seeded


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


def test_shapes_losses_and_pool():
    m = _model()
    x, y = torch.rand(2, 1, 28, 28) * 2 - 1, torch.rand(2, 1, 28, 28) * 2 - 1
    assert m.G(x).shape == x.shape and m.D_X(x).shape == (2, 1, 5, 5)
    total, terms, _ = cyclegan.generator_losses(m, x, y)
    assert set(terms) == {"GAN_G", "GAN_F", "cycle_X", "cycle_Y", "identity_X", "identity_Y"}
    assert torch.isclose(total, sum(terms.values()))
    pool = cyclegan.ImagePool(3, seeded(0))
    out = pool.query(torch.zeros(5, 1, 28, 28))
    assert out.shape == (5, 1, 28, 28) and len(pool.images) == 3


def test_round_trip_on_known_generators():
    """G(x) = 0.5x (in [-1, 1] model space), F(y) = −y: the panels the tab shows, in [0, 1] pixels."""
    m = _model()
    m.G, m.F = Scale(0.5), Scale(-1.0)
    u = torch.rand(28, 28, generator=seeded(6))               # a horse in [0, 1]; model space 2u − 1
    to_px = lambda v: (v.clamp(-1, 1) + 1) / 2                 # noqa: E731
    g_u, f_u = to_px(0.5 * (2 * u - 1)), to_px(-(2 * u - 1))
    fg_u = to_px(-0.5 * (2 * u - 1))                           # F(G(x))
    c = cyclegan.cycle(m, u.numpy(), "horse2zebra")
    assert np.allclose(c.received, u.numpy()) and np.allclose(c.translated, g_u.numpy(), atol=1e-6)
    assert np.allclose(c.reconstructed, fg_u.numpy(), atol=1e-6)
    assert np.allclose(c.identity, f_u.numpy(), atol=1e-6)      # the other generator, F, on the horse
    assert c.cycle_l1 == pytest.approx(float((fg_u - u).abs().mean()), rel=1e-5)
    z = cyclegan.cycle(m, u.numpy(), "zebra2horse")             # a zebra: F first, G back, G's identity
    assert np.allclose(z.translated, f_u.numpy(), atol=1e-6) and np.allclose(z.identity, g_u.numpy(), atol=1e-6)
    assert torch.allclose(cyclegan.reconstruct(m, u[None], "zebra2horse")[0], torch.from_numpy(z.reconstructed))
    assert torch.equal(cyclegan.identity(m, u[None], "horse2zebra")[0], torch.from_numpy(c.identity))
    with pytest.raises(ValueError, match="direction must be one of"):
        cyclegan.cycle(m, u.numpy(), "cat2dog")


def test_it_translates_rather_than_samples():
    with pytest.raises(ValueError, match="translates"):
        cyclegan.sample(_model(), 2, seed=0)


def test_every_record_hands_out_the_model_so_a_stopped_run_keeps_it():
    cfg = cyclegan.Config(ngf=8, ndf=8, n_blocks=1, steps=1000, batch_size=2, seed=0, device="cpu")
    fresh = cyclegan.build(cfg)
    run = cyclegan.train(cfg, seconds=0, every=1, preview_every=10**9)
    records = [next(run) for _ in range(3)]
    run.close()                                  # what Stop does
    model = records[-1].model
    assert all(r.model is model for r in records)
    assert all(r.preview is None for r in records)              # previews only when due
    assert isinstance(model, cyclegan.CycleGAN) and records[-1].step == model.steps == 3
    assert set(records[0].losses) == {"loss", "loss_D_X", "loss_D_Y", "loss_GAN_G", "loss_GAN_F", "loss_cycle_X",
                                      "loss_cycle_Y", "loss_identity_X", "loss_identity_Y"}
    # it is the trained model (three optimizer steps away from the same seed's initial weights) ...
    assert not torch.equal(model.G.net[1].weight, fresh.G.net[1].weight)
    # ... and it translates
    zebras = cyclegan.translate(model, torch.rand(2, 28, 28), "horse2zebra")
    assert zebras.shape == (2, 28, 28) and 0 <= float(zebras.min()) and float(zebras.max()) <= 1


def test_previews_are_held_out_translations(tmp_path):
    cfg = cyclegan.Config(ngf=8, ndf=8, n_blocks=1, steps=2, batch_size=2, seed=0, device="cpu")
    last = list(cyclegan.train(cfg, seconds=0, every=1, preview_every=10**9))[-1]
    p, model = last.preview, last.model                          # the last record always has one
    horses, zebras = (d[:4] for d in data.horses_and_zebras("test"))
    assert isinstance(p, cyclegan.Preview) and p.step == 2 and np.allclose(p.horse, horses.numpy())
    assert np.allclose(p.horse2zebra, cyclegan.translate(model, horses, "horse2zebra").numpy())
    assert np.allclose(p.zebra_reconstructed, cyclegan.reconstruct(model, zebras, "zebra2horse").numpy(), atol=1e-6)
    assert p.image().shape == (6 * 28 * 4, 4 * 28 * 4)
    card = cyclegan.save(model, tmp_path / "cg", {"probe": 2.0})
    assert {k.split(".")[0] for k in load_file(str(tmp_path / "cg.safetensors"))} == {"G", "F", "D_X", "D_Y"}
    back = cyclegan.load(tmp_path / "cg")
    assert back.steps == 2 and back.card["sha256"] == card["sha256"] and back.cfg == cfg


def test_shipped_cyclegan_translates_and_cycles_back():
    model = cyclegan.load("checkpoints/cyclegan-horse2zebra")
    assert model.steps == model.card["steps"]
    horses, zebras = data.horses_and_zebras("test")
    clf = classifier.load("checkpoints/classifier-horse-zebra")
    fake_z = cyclegan.translate(model, horses, "horse2zebra")
    fake_h = cyclegan.translate(model, zebras, "zebra2horse")
    with torch.no_grad():
        assert float((clf(fake_z).argmax(1) == 1).float().mean()) >= 0.95
        assert float((clf(fake_h).argmax(1) == 0).float().mean()) >= 0.95
    back = cyclegan.translate(model, fake_z, "zebra2horse")
    assert cyclegan.cycle_l1(horses, back) <= 0.08
