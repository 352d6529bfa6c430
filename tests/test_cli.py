import json
import subprocess
import sys

import numpy as np

from conftest import ROOT


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "genmodels", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_train_sample_eval_coin_gan(tmp_path):
    out = tmp_path / "coin"
    r = _cli("train", "coin_gan", "--p", "0.7", "--steps", "500", "--seed", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "coin.json").read_text())
    assert card["family"] == "coin_gan" and card["config"]["p_heads"] == 0.7 and card["steps"] == 500
    assert card["metrics"]["target_p_heads"] == 0.7
    assert abs(card["metrics"]["generated_p_heads"] - 0.7) < 0.05
    assert "--p 0.7" in card["command"]

    r = _cli("sample", str(out), "--n", "5000", "--seed", "1", "--out", str(tmp_path / "s.npy"))
    assert r.returncode == 0, r.stderr
    s = np.load(tmp_path / "s.npy")
    assert s.shape == (5000,) and s.dtype == np.float32 and set(np.unique(s)) <= {0.0, 1.0}
    r2 = _cli("sample", str(out), "--n", "5000", "--seed", "1", "--out", str(tmp_path / "s2.npy"))
    assert r2.returncode == 0 and np.array_equal(s, np.load(tmp_path / "s2.npy"))

    (tmp_path / "coin.json").write_text(json.dumps({**card, "metrics": {}}))
    r = _cli("eval", str(out))
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert printed["generated_p_heads"] == card["metrics"]["generated_p_heads"]
    assert json.loads((tmp_path / "coin.json").read_text())["metrics"] == printed
    # eval keeps metrics it does not recompute (e.g. DDPM's FLD-by-steps table)
    card = json.loads((tmp_path / "coin.json").read_text())
    (tmp_path / "coin.json").write_text(json.dumps({**card, "metrics": {**card["metrics"], "extra": 1}}))
    assert _cli("eval", str(out)).returncode == 0
    assert json.loads((tmp_path / "coin.json").read_text())["metrics"]["extra"] == 1


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    r = _cli("train", "nope", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "unknown model family 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = _cli("sample", str(tmp_path / "missing"), "--n", "3", "--out", str(tmp_path / "x.npy"))
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", "coin_gan", "--p", "2", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "p_heads must be strictly between 0 and 1" in r.stderr
