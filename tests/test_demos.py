"""Tab adapters without a browser: fallbacks when a checkpoint is missing or corrupted."""
import shutil

import gradio as gr
import pytest

from demos.common import load_checkpoint
from genmodels import checkpoints, vae


def test_missing_checkpoint_gives_a_message_with_what_still_works(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(gr.Error, match="not found.*You can still train a VAE live below"):
        load_checkpoint(vae.load, "vae-mnist", "You can still train a VAE live below.")


def test_corrupted_checkpoint_gives_a_message(tmp_path, monkeypatch):
    for ext in (".json", ".safetensors"):
        shutil.copy(checkpoints.CHECKPOINT_DIR / f"vae2d-mnist{ext}", tmp_path / f"vae2d-mnist{ext}")
    raw = bytearray((tmp_path / "vae2d-mnist.safetensors").read_bytes())
    raw[-10] ^= 0xFF
    (tmp_path / "vae2d-mnist.safetensors").write_bytes(bytes(raw))
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(gr.Error, match="corrupted or was replaced"):
        load_checkpoint(vae.load, "vae2d-mnist", "Train one below.")
