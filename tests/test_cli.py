"""The command line: one code path over the family contract for every family.

Fast tests run the path on a tiny contract family (tests/cli_gauss_family.py) in-process and on
the shipped checkpoints; the per-family train → sample → eval runs are parametrised over
genmodels.FAMILIES (slow where a family's CARD_EVAL evaluation is)."""
import json
import subprocess
import sys

import numpy as np
import pytest

import genmodels
from conftest import ROOT
from genmodels.__main__ import main
from test_contract import COMMON, TINY

CK = ROOT / "checkpoints"
FAST_FAMILIES = {"coin_gan", "toy2d"}


def _cli(*args):
    """`python -m genmodels ...` as a program (exit status, stdout, stderr)."""
    return subprocess.run([sys.executable, "-m", "genmodels", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _run(capsys, *args):
    """main() in this process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def _error(rc, err, *needles):
    assert rc == 2, err
    assert "error: " in err.strip().splitlines()[-1] and "Traceback" not in err
    for n in needles:
        assert n in err, err


@pytest.fixture
def gauss(monkeypatch):
    monkeypatch.setitem(genmodels.FAMILIES, "gauss2d", "cli_gauss_family")
    import cli_gauss_family
    return cli_gauss_family


# -- the one path, on a tiny family written to the contract --------------------------------------
def test_train_sample_eval_one_path(gauss, capsys, tmp_path):
    out = tmp_path / "g"
    rc, stdout, err = _run(capsys, "train", "gauss2d", "--steps", 200, "--lr", 0.1, "--sizes", 3, 4,
                           "--verbose", "yes", "--out", out)
    assert rc == 0, err
    printed = json.loads(stdout)                               # stdout is the result only
    card = json.loads((tmp_path / "g.json").read_text())
    assert printed == {"checkpoint": str(out), "metrics": card["metrics"]}
    assert card["config"]["learning_rate"] == 0.1 and card["config"]["sizes"] == [3, 4]
    assert card["config"]["verbose"] is True and card["steps"] == 200
    assert card["metrics"]["n"] == gauss.CARD_EVAL["n"]         # evaluate(**CARD_EVAL) went on the card
    assert "--lr 0.1" in card["command"] and card["train_seconds"] > 0
    assert "step     200" in err and "done" in err               # progress on stderr
    model = gauss.load(out)
    assert abs(model.mu[0].item() - 1.0) < 0.3                  # it trained towards the data

    rc, stdout, err = _run(capsys, "sample", out, "--n", 500, "--seed", 3, "--out", tmp_path / "s.npy")
    assert rc == 0, err
    s = np.load(tmp_path / "s.npy")
    assert s.shape == (500, 2) and s.dtype == np.float32
    assert np.array_equal(s, gauss.sample(model, 500, seed=3).numpy())
    _run(capsys, "sample", out, "--n", 500, "--seed", 3, "--temperature", 0.5, "--out", tmp_path / "t.npy")
    t = np.load(tmp_path / "t.npy")                             # the family option arrived
    assert np.allclose(t - t.mean(0), 0.5 * (s - s.mean(0)), atol=1e-5)

    card = json.loads((tmp_path / "g.json").read_text())
    card["metrics"]["extra"] = 7                                # eval keeps what it does not recompute
    (tmp_path / "g.json").write_text(json.dumps(card))
    rc, stdout, err = _run(capsys, "eval", out, "--n", 100, "--split", "train")
    assert rc == 0, err
    printed = json.loads(stdout)
    assert printed == gauss.evaluate(model, n=100, split="train")
    metrics = json.loads((tmp_path / "g.json").read_text())["metrics"]
    assert metrics == {**printed, "extra": 7}


def test_help_lists_family_options(gauss, capsys, tmp_path):
    _run(capsys, "train", "gauss2d", "--steps", 5, "--out", tmp_path / "g")
    rc, out, _ = _run(capsys, "sample", tmp_path / "g", "--help")
    assert rc == 0 and "--temperature" in out and "σ multiplier" in out and "--seed" in out
    rc, out, _ = _run(capsys, "eval", tmp_path / "g", "--help")
    assert rc == 0 and "--split" in out and "--temperature" not in out
    rc, out, _ = _run(capsys, "train", "gauss2d", "--help")
    assert rc == 0 and "--learning_rate" in out and "--lr" in out and "--out" in out
    rc, out, _ = _run(capsys, "train", "--help")
    assert rc == 0 and all(name in out for name in genmodels.FAMILIES)
    rc, out, _ = _run(capsys, "--help")
    assert rc == 0 and "train" in out and "complete" in out


def test_bad_input_is_a_message(gauss, capsys, tmp_path):
    _error(*_run(capsys, "train", "nope", "--out", tmp_path / "x")[::2], "unknown model family 'nope'")
    _error(*_run(capsys, "train", "gauss2d", "--steps", 0, "--out", tmp_path / "x")[::2], "steps must be in 1..100000")
    _error(*_run(capsys, "train", "gauss2d", "--steps", "ten", "--out", tmp_path / "x")[::2], "expected an integer")
    _error(*_run(capsys, "train", "gauss2d", "--verbose", "maybe", "--out", tmp_path / "x")[::2], "true or false")
    _error(*_run(capsys, "train", "gauss2d", "--lr", "nan", "--out", tmp_path / "x")[::2], "finite")
    _error(*_run(capsys, "train", "gauss2d", "--steps", 5)[::2], "--out")
    _error(*_run(capsys, "sample", tmp_path / "missing", "--n", 3, "--out", tmp_path / "x.npy")[::2], "not found")
    _error(*_run(capsys, "fly", "gauss2d")[::2], "unknown command 'fly'")
    _error(*_run(capsys, "sample")[::2], "needs a CHECKPOINT")
    _run(capsys, "train", "gauss2d", "--steps", 5, "--out", tmp_path / "g")
    g = tmp_path / "g"
    _error(*_run(capsys, "sample", g, "--n", 0, "--out", tmp_path / "x.npy")[::2], "--n must be in 1..")
    _error(*_run(capsys, "sample", g, "--temperature", -1, "--out", tmp_path / "x.npy")[::2], "temperature must be > 0")
    _error(*_run(capsys, "sample", g, "--colour", "red", "--out", tmp_path / "x.npy")[::2], "--colour")
    _error(*_run(capsys, "eval", g, "--split", "valid")[::2], "split must be train or test")
    _error(*_run(capsys, "translate", g, "--direction", "horse2zebra", "--input", "x.npy", "--out", "y.npy")[::2],
           "do not translate")
    _error(*_run(capsys, "complete", g, "--input", "x.npy", "--known-rows", 3, "--out", "y.npy")[::2],
           "cannot complete")
    (tmp_path / "g.json").write_text("{not json")
    _error(*_run(capsys, "eval", g)[::2], "not valid JSON")


def test_a_broken_family_breaks_only_itself(gauss, capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(genmodels.FAMILIES, "broken", "genmodels.no_such_module")
    _error(*_run(capsys, "train", "broken", "--out", tmp_path / "x")[::2], "model family 'broken'", "cannot be imported")
    assert _run(capsys, "train", "gauss2d", "--steps", 5, "--out", tmp_path / "g")[0] == 0


def test_program_exit_status_and_messages(tmp_path):
    r = _cli("train", "nope", "--out", tmp_path / "x")
    assert r.returncode == 2 and "unknown model family 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = _cli("sample", tmp_path / "missing", "--n", "3", "--out", tmp_path / "x.npy")
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", "coin_gan", "--p", "2", "--out", tmp_path / "x")
    assert r.returncode == 2 and "p_heads must be strictly between 0 and 1" in r.stderr


# -- every family through the one path ------------------------------------------------------------
def _tiny_args(name):
    mod = genmodels.family(name)
    import dataclasses
    fields = {f.name for f in dataclasses.fields(mod.Config)}
    args = []
    for k, v in {**COMMON, **TINY[name]}.items():
        if k in fields:
            vals = v if isinstance(v, tuple) else (v,)
            args += [f"--{k}", *(str(x).lower() if isinstance(x, bool) else str(x) for x in vals)]
    return args


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in FAST_FAMILIES else pytest.mark.slow)
                                  for n in sorted(genmodels.FAMILIES)])
def test_every_family_trains_samples_evaluates(name, capsys, tmp_path, monkeypatch):
    assert set(TINY) >= set(genmodels.FAMILIES), "add the new family to test_contract.TINY"
    if name == "ddpm":      # the card's default evaluation draws 10,000 DDIM-50 samples: 100 with 2 steps here
        monkeypatch.setattr(genmodels.family(name), "CARD_EVAL", {"n": 100, "steps": 2})
    out = tmp_path / name
    rc, stdout, err = _run(capsys, "train", name, *_tiny_args(name), "--out", out)
    assert rc == 0, err
    card = json.loads((tmp_path / f"{name}.json").read_text())
    assert json.loads(stdout) == {"checkpoint": str(out), "metrics": card["metrics"]}
    assert card["family"] == name and card["command"].startswith(f"python -m genmodels train {name}")

    rc, stdout, err = _run(capsys, "sample", out, "--n", 3, "--seed", 1, "--device", "cpu", "--out", tmp_path / "a.npy")
    if name == "classifier" or (name == "cyclegan" and rc == 2):
        _error(rc, err, "translat" if name == "cyclegan" else "not generative")
    else:
        assert rc == 0, err
        _run(capsys, "sample", out, "--n", 3, "--seed", 1, "--device", "cpu", "--out", tmp_path / "b.npy")
        a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
        assert a.dtype == np.float32 and len(a) == 3 and np.array_equal(a, b)
        assert a.shape[1:] in ((28, 28), (2,), ())
        if a.shape[1:] == (28, 28):
            assert 0 <= a.min() and a.max() <= 1

    rc, stdout, err = _run(capsys, "eval", out, "--n", 100, "--device", "cpu")
    assert rc == 0, err
    metrics = json.loads(stdout)
    assert metrics and json.loads((tmp_path / f"{name}.json").read_text())["metrics"] == {**card["metrics"], **metrics}


def test_coin_gan_program(tmp_path):
    """`python -m genmodels` end to end as a program, with the coin GAN's --p alias."""
    out = tmp_path / "coin"
    r = _cli("train", "coin_gan", "--p", "0.7", "--steps", "500", "--seed", "3", "--out", out)
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "coin.json").read_text())
    assert card["family"] == "coin_gan" and card["config"]["p_heads"] == 0.7 and card["steps"] == 500
    assert abs(card["metrics"]["generated_p_heads"] - 0.7) < 0.05 and "--p 0.7" in card["command"]
    r = _cli("sample", out, "--n", "5000", "--seed", "1", "--out", tmp_path / "s.npy")
    assert r.returncode == 0, r.stderr
    s = np.load(tmp_path / "s.npy")
    assert s.size == 5000 and set(np.unique(s)) <= {0.0, 1.0} and abs(s.mean() - 0.7) < 0.05


# -- the shipped checkpoints load and sample through the same path ---------------------------------
SHIPPED = [("coin-gan-p0.3", []), ("vae-mnist", []), ("vae2d-mnist", []), ("ae2d-mnist", []),
           ("dcgan-mnist", []), ("cgan-mnist", ["--label", "3"]),
           pytest.param("pixelcnn-mnist", [], marks=pytest.mark.slow),       # 784 sequential steps
           ("ddpm-mnist", ["--steps", "2"]), ("ddpm-cond-mnist", ["--steps", "2", "--label", "7"])]


@pytest.mark.parametrize("name,opts", SHIPPED)
def test_shipped_checkpoints_sample(name, opts, capsys, tmp_path):
    n = 1 if name.startswith("pixelcnn") else 2
    args = ["sample", CK / name, "--n", n, "--seed", 4, "--device", "cpu", *opts]
    rc, _, err = _run(capsys, *args, "--out", tmp_path / "a.npy")
    assert rc == 0, err
    a = np.load(tmp_path / "a.npy")
    assert a.dtype == np.float32 and len(a) == n and np.isfinite(a).all() and 0 <= a.min() and a.max() <= 1
    assert a.shape[1:] in ((28, 28), ())
    _run(capsys, *args, "--out", tmp_path / "b.npy")
    assert np.array_equal(a, np.load(tmp_path / "b.npy"))


def test_shipped_family_options_in_help(capsys):
    for ck, verb, flags in [("ddpm-mnist", "sample", ["--sampler", "--steps", "--eta", "--label", "--guidance"]),
                            ("cgan-mnist", "sample", ["--label"]),
                            ("vae-bin-mnist", "eval", ["--iwae-images"]),
                            ("pixelcnn-mnist", "eval", ["--data"])]:
        rc, out, _ = _run(capsys, verb, CK / ck, "--help")
        assert rc == 0 and all(f in out for f in flags), (ck, out)


def test_shipped_option_errors(capsys, tmp_path):
    _error(*_run(capsys, "sample", CK / "ddpm-mnist", "--steps", 2000, "--out", tmp_path / "x.npy")[::2], "--steps")
    _error(*_run(capsys, "sample", CK / "cgan-mnist", "--label", 12, "--out", tmp_path / "x.npy")[::2], "label")
    _error(*_run(capsys, "sample", CK / "classifier-mnist", "--n", 2, "--out", tmp_path / "x.npy")[::2])


def _blocks(tmp_path):
    x = np.zeros((2, 28, 28), np.float32)
    x[:, 6:22, 8:20] = 1.0
    np.save(tmp_path / "x.npy", x)
    return x


def test_translate(capsys, tmp_path):
    x = _blocks(tmp_path)
    rc, _, err = _run(capsys, "translate", CK / "cyclegan-horse2zebra", "--direction", "horse2zebra",
                      "--input", tmp_path / "x.npy", "--out", tmp_path / "y.npy")
    assert rc == 0, err
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (2, 28, 28) and 0 <= y.min() and y.max() <= 1 and not np.allclose(y, x)
    np.save(tmp_path / "bad.npy", np.zeros((2, 5)))
    _error(*_run(capsys, "translate", CK / "cyclegan-horse2zebra", "--direction", "horse2zebra",
                 "--input", tmp_path / "bad.npy", "--out", tmp_path / "y.npy")[::2], "(N, 28, 28)")
    _error(*_run(capsys, "translate", CK / "cyclegan-horse2zebra", "--direction", "sideways",
                 "--input", tmp_path / "x.npy", "--out", tmp_path / "y.npy")[::2], "--direction")


def test_complete_errors(capsys, tmp_path):
    _blocks(tmp_path)
    _error(*_run(capsys, "complete", CK / "pixelcnn-mnist", "--input", tmp_path / "x.npy", "--known-rows", 40,
                 "--out", tmp_path / "c.npy")[::2], "--known-rows must be in 0..28")
    _error(*_run(capsys, "complete", CK / "vae-mnist", "--input", tmp_path / "x.npy", "--known-rows", 3,
                 "--out", tmp_path / "c.npy")[::2], "cannot complete")


@pytest.mark.slow
def test_complete(capsys, tmp_path):
    x = _blocks(tmp_path)
    rc, _, err = _run(capsys, "complete", CK / "pixelcnn-mnist", "--input", tmp_path / "x.npy", "--known-rows", 20,
                      "--n", 2, "--seed", 1, "--out", tmp_path / "c.npy")
    assert rc == 0, err
    c = np.load(tmp_path / "c.npy")
    assert c.shape == (4, 28, 28) and set(np.unique(c)) <= {0.0, 1.0}
    assert np.array_equal(c[:, :20], np.repeat(x[:, :20], 2, 0))      # the known rows are kept
