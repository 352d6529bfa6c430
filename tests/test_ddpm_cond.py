"""Class-conditional ε_θ(x_t, t, y) and classifier-free guidance; the shipped checkpoints' quality (slow)."""
from pathlib import Path

import numpy as np
import pytest
import torch

from genmodels import ddpm
from genmodels.common import seeded


def cond_model(seed=0):
    """A class-conditional DDPM whose sampling network (the EMA) has a trained-looking class embedding."""
    m = ddpm.build(ddpm.Config(ch=16, num_classes=10, seed=seed))
    with torch.no_grad():                       # rows clearly different
        m.ema.class_emb.weight.normal_(0, 1, generator=seeded(seed + 1))
    return m.eval()


def test_guidance_mix_one_form():
    m = cond_model().ema
    x, t, y = torch.randn(4, 1, 28, 28, generator=seeded(0)), torch.tensor([999, 500, 20, 1]), torch.tensor([0, 3, 7, 9])
    with torch.no_grad():
        eps_y, eps_null = m(x, t, y), m(x, t)
        assert not torch.allclose(eps_y, eps_null)
        # w = 1 is no guidance: exactly the conditional ε (and the mixed path agrees at w ≈ 1)
        assert torch.equal(ddpm.guided_eps(m, x, t, y, 1.0), eps_y)
        assert torch.allclose(ddpm.guided_eps(m, x, t, y, 1.0 + 1e-6), eps_y, atol=1e-5)
        # w = 0 is the unconditional model; w = 3 follows ε_∅ + w (ε_y − ε_∅)
        assert torch.allclose(ddpm.guided_eps(m, x, t, y, 0.0), eps_null, atol=1e-5)
        assert torch.allclose(ddpm.guided_eps(m, x, t, y, 3.0), eps_null + 3 * (eps_y - eps_null), atol=1e-5)
        # one w per image (the tab's sweep strip runs every w in one batch): each row as with its own w
        per = ddpm.guided_eps(m, x, t, y, torch.tensor([0.0, 1.0, 3.0, 8.0]))
        for i, w in enumerate((0.0, 1.0, 3.0, 8.0)):
            assert torch.allclose(per[i], (eps_null + w * (eps_y - eps_null))[i], atol=1e-5)


def test_null_label_is_the_unconditional_path():
    m = cond_model().ema
    x, t = torch.randn(3, 1, 28, 28, generator=seeded(1)), torch.tensor([10, 400, 900])
    with torch.no_grad():
        assert torch.equal(m(x, t), m(x, t, torch.full((3,), 10)))
        assert torch.equal(ddpm.guided_eps(m, x, t, None, 5.0), m(x, t))


def test_training_drops_labels_with_p_uncond():
    m = cond_model().eps_model
    seen = []
    forward = m.forward
    m.forward = lambda x, t, y=None: seen.append(y.clone()) or forward(x, t, y)
    sched = ddpm.DDPMScheduler(1000)
    x0, y = torch.zeros(2000, 1, 28, 28), torch.arange(2000) % 10
    ddpm.loss_fn(m, sched, x0, seeded(0), y, p_uncond=0.1)
    null = (seen[0] == 10).float().mean().item()
    assert 0.075 < null < 0.125                               # about 10% become ∅
    assert torch.equal(seen[0][seen[0] != 10], y[seen[0] != 10])   # the rest keep their label


def test_conditional_sampling_is_seeded_and_label_dependent():
    m = cond_model()
    a = ddpm.sample(m, 4, seed=0, steps=4, label=3, guidance=2.0)
    b = ddpm.sample(m, 4, seed=0, steps=4, label=3, guidance=2.0)
    c = ddpm.sample(m, 4, seed=0, steps=4, label=5, guidance=2.0)
    d = ddpm.sample(m, 4, seed=1, steps=4, label=3, guidance=2.0)
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, d)
    per_image = ddpm.sample(m, 4, seed=0, steps=4, label=[3, 3, 3, 3], guidance=2.0)
    assert torch.equal(a, per_image)
    with pytest.raises(ValueError, match="digit"):
        ddpm.sample(m, 2, steps=2, label=10)
    with pytest.raises(ValueError, match="unconditional"):
        ddpm.sample(ddpm.build(ddpm.Config(ch=16)), 2, steps=2, label=1)


def test_one_label_per_image_is_each_row_as_if_asked_alone():
    """label=[y_0, …, y_{n-1}]: row i is the image that label=y_i gives for the whole batch (same x_T, same seed)."""
    m = cond_model()
    labels = [0, 3, 7, 9]
    mixed = ddpm.sample(m, 4, seed=0, steps=3, label=labels, guidance=2.0)
    assert torch.equal(mixed, ddpm.sample(m, 4, seed=0, steps=3, label=torch.tensor(labels), guidance=2.0))
    for i, y in enumerate(labels):
        alone = ddpm.sample(m, 4, seed=0, steps=3, label=y, guidance=2.0)
        assert torch.allclose(mixed[i], alone[i], atol=1e-5), y
        assert not torch.allclose(mixed[(i + 1) % 4], alone[(i + 1) % 4], atol=1e-3)   # the neighbour's label differs
    assert torch.equal(mixed, ddpm.sample(m, 4, seed=0, steps=3, label=labels, guidance=2.0))   # same seed, same images


@pytest.mark.parametrize("label, match", [([1, 2, 3], "3 labels for 4 images"), ([0, 1, 2, 10], "digit 0..9"),
                                          ([0.5, 1, 2, 3], "integers"), ([[0, 1], [2, 3]], "integers"),
                                          ("3", "digit"), ([True] * 4, "integers"), ([], "empty")])
def test_a_bad_label_list_is_a_clear_value_error(label, match):
    with pytest.raises(ValueError, match=match):
        ddpm.sample(cond_model(), 4, seed=0, steps=2, label=label)


def test_parse_labels_reads_one_digit_or_a_comma_list():
    assert ddpm.parse_labels("7") == 7 and ddpm.parse_labels("0, 1,2") == [0, 1, 2]
    with pytest.raises(ValueError, match="comma-separated digits"):
        ddpm.parse_labels("0;1")


def test_conditional_checkpoint_round_trip_and_old_card(tmp_path):
    cfg = ddpm.Config(ch=16, num_classes=10, steps=2, batch_size=8, device="cpu")
    *_, last = ddpm.train(cfg, every=1, preview_every=10**9)
    ddpm.save(last.model, tmp_path / "c", {})
    loaded = ddpm.load(tmp_path / "c")
    assert loaded.num_classes == 10 and loaded.card["config"]["num_classes"] == 10 and loaded.steps == 2
    x, t = torch.randn(2, 1, 28, 28), torch.tensor([5, 600])
    with torch.no_grad():
        for net in ("ema", "eps_model"):                     # both networks come back (EMA and raw)
            a = getattr(loaded, net)(x, t, torch.tensor([1, 2]))
            assert torch.equal(a, getattr(last.model, net).eval()(x, t, torch.tensor([1, 2])))
    old = ddpm.load("checkpoints/ddpm-mnist")     # a card written before these fields existed
    assert old.ema(x, t).shape == x.shape and old.steps == old.card["steps"]


def test_cli_sampler_label_and_guidance(tmp_path, capsys):
    from genmodels.__main__ import main

    out = tmp_path / "s.npy"
    assert main(["sample", "checkpoints/ddpm-mnist", "--n", "2", "--sampler", "dpmpp", "--steps", "3",
                 "--out", str(out)]) == 0
    assert out.exists()
    assert main(["sample", "checkpoints/ddpm-mnist", "--n", "2", "--label", "3", "--out", str(out)]) == 2
    assert "unconditional" in capsys.readouterr().err
    assert main(["sample", "checkpoints/ddpm-mnist", "--n", "2", "--sampler", "euler", "--out", str(out)]) == 2
    assert "sampler" in capsys.readouterr().err
    assert main(["sample", "checkpoints/ddpm-mnist", "--n", "2", "--steps", "0", "--out", str(out)]) == 2
    if COND.exists():                                  # one digit per image, comma-separated
        assert main(["sample", "checkpoints/ddpm-cond-mnist", "--n", "3", "--steps", "2", "--label", "0,4,9",
                     "--out", str(out)]) == 0
        assert np.load(out).shape[0] == 3
        assert main(["sample", "checkpoints/ddpm-cond-mnist", "--n", "3", "--steps", "2", "--label", "0,4",
                     "--out", str(out)]) == 2
        assert "2 labels for 3 images" in capsys.readouterr().err
        assert main(["sample", "checkpoints/ddpm-cond-mnist", "--n", "3", "--label", "0;4", "--out", str(out)]) == 2
        assert "comma-separated" in capsys.readouterr().err


COND = Path("checkpoints/ddpm-cond-mnist.json")


@pytest.mark.slow
@pytest.mark.skipif(not COND.exists(), reason="ddpm-cond-mnist is trained on the GPU run")
def test_shipped_conditional_checkpoint_draws_the_asked_digit():
    """At the default guidance, ≥ 97% of the images asked to be k are classified as k (n = 50 per digit)."""
    model = ddpm.load("checkpoints/ddpm-cond-mnist")
    card = model.card
    labels = torch.arange(500) % 10
    x = ddpm.sample(model, 500, seed=11, steps=50, label=labels, bf16=True)
    from genmodels.metrics import load_classifier

    pred = ddpm.predict(load_classifier("mnist"), x)
    acc = [float((pred[labels == k] == k).float().mean()) for k in range(10)]
    assert min(acc) >= 0.94, acc                      # 50 per digit: 47 of 50; the card's 10k figure is the claim
    assert card["metrics"]["min_class_accuracy"] >= 0.97


@pytest.mark.slow
def test_shipped_ddpm_quality():
    """The shipped ddpm-mnist, default sampler (DDIM-50, trailing), 1,000 samples: FLD near the floor."""
    from genmodels import data
    from genmodels.metrics import fld, load_classifier

    model = ddpm.load("checkpoints/ddpm-mnist")
    net = load_classifier("mnist")
    real, train = data.load("mnist", "test")[0][:1000], data.load("mnist", "train")[0][:1000]
    x = ddpm.sample(model, 1000, seed=0, steps=50, bf16=True)
    excess = fld(real, x, net) - fld(real, train, net)
    assert excess < 10.0, excess
