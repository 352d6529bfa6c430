import json

import pytest
import torch
from torch import nn

from genmodels import checkpoints


def _nets():
    torch.manual_seed(0)
    return {"G": nn.Linear(3, 2), "D": nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))}


def test_round_trip_and_card(tmp_path):
    nets = _nets()
    card = checkpoints.save(tmp_path / "m", nets, {"family": "toy", "config": {"a": 1}, "metrics": {}})
    assert (tmp_path / "m.safetensors").exists() and (tmp_path / "m.json").exists()
    tensors, loaded = checkpoints.load(tmp_path / "m", family="toy")
    assert loaded["sha256"] == card["sha256"] == checkpoints.sha256(tmp_path / "m.safetensors")
    g = nn.Linear(3, 2)
    g.load_state_dict(checkpoints.unflatten(tensors, "G"))
    assert torch.equal(g.weight, nets["G"].weight)
    assert all(t.device.type == "cpu" for t in tensors.values())


def test_hash_mismatch_is_refused_with_a_clear_message(tmp_path):
    checkpoints.save(tmp_path / "m", _nets(), {"family": "toy", "command": "python -m genmodels train toy"})
    raw = bytearray((tmp_path / "m.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "m.safetensors").write_bytes(bytes(raw))
    with pytest.raises(checkpoints.CheckpointError, match="corrupted or was replaced.*python -m genmodels train toy"):
        checkpoints.load(tmp_path / "m")


def test_missing_and_wrong_family(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="not found. Train one"):
        checkpoints.load(tmp_path / "absent")
    checkpoints.save(tmp_path / "m", _nets(), {"family": "toy"})
    with pytest.raises(checkpoints.CheckpointError, match="'toy' checkpoint, not 'vae'"):
        checkpoints.load(tmp_path / "m", family="vae")
    (tmp_path / "m.safetensors").unlink()
    with pytest.raises(checkpoints.CheckpointError, match="weights .* not found"):
        checkpoints.load(tmp_path / "m")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(checkpoints.CheckpointError, match="not valid JSON"):
        checkpoints.read_card(tmp_path / "bad")


def test_shipped_cards_match_their_weights():
    cards = sorted(checkpoints.CHECKPOINT_DIR.glob("*.json"))
    assert cards, "checkpoints/ ships at least one checkpoint"
    for card in cards:
        c = json.loads(card.read_text())
        for key in ("family", "config", "dataset", "steps", "seed", "device", "torch", "metrics", "sha256", "command"):
            assert key in c, f"{card.name} lacks '{key}'"
        checkpoints.load(card.with_suffix(""))  # verifies the hash


def test_continuation_counts_this_run_and_all_runs(tmp_path):
    assert checkpoints.continuation("", 300) == (300, {})             # a fresh run: all its steps are its own
    checkpoints.write_card(tmp_path / "first", {"steps": 1000, "command": "train A", "device": "cpu"})
    steps, extra = checkpoints.continuation(tmp_path / "first", 1250)
    assert steps == 250 and extra["steps_total"] == 1250
    assert extra["continued_from"] == {"command": "train A", "steps": 1000, "device": "cpu"}
    checkpoints.write_card(tmp_path / "second", {"steps": 250, "steps_total": 1250, "command": "B", "device": "cpu"})
    assert checkpoints.continuation(tmp_path / "second", 1300)[0] == 50     # counted from steps_total
    with pytest.raises(checkpoints.CheckpointError, match="not found"):
        checkpoints.continuation(tmp_path / "missing", 10)
