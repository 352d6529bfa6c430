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


def test_stop_pressed_between_dequeue_and_start_stops_the_run(monkeypatch):
    """Stop in the gap after Gradio took the job off the queue and before its handler started is
    kept for that run (a busy machine can make the gap seconds long), and not for the next run."""
    from types import SimpleNamespace

    from demos import common

    event = SimpleNamespace(session_hash="s1", fn=SimpleNamespace(api_name="coin_train"),
                            concurrency_id=common.HEAVY["concurrency_id"])
    monkeypatch.setattr(common, "_queue", SimpleNamespace(event_queue_per_concurrency_id={}, active_jobs=[[event]]))
    monkeypatch.setattr(common, "_stop_on_start", {})
    common._stopper("coin_train")(SimpleNamespace(session_hash="s1"))
    assert common._stop_on_start["s1"][0] == "coin_train"

    def endless():
        for step in range(10**6):
            yield (f"step {step}",)

    run = common._with_stop(endless, "coin_train", 1, 0)
    out = list(run(SimpleNamespace(session_hash="s1")))
    assert len(out) == 1 and "stopped at step 0" in out[0]          # stopped as it started
    assert "s1" not in common._stop_on_start                           # the next run is not stopped
    common._queue.active_jobs = []
    common._stopper("coin_train")(SimpleNamespace(session_hash="s1"))  # a late Stop for the run that just ended
    assert "s1" not in common._stop_on_start                           # ... is not kept for the next


def test_stop_pressed_before_the_run_reaches_the_server_stops_it(monkeypatch):
    """A Stop that arrives before its run does (the browser uploads the run's images before it joins
    the queue) stops that run as it starts, if the run arrives within EARLY_STOP_S; later, it is forgotten."""
    from types import SimpleNamespace

    from demos import common

    monkeypatch.setattr(common, "_queue", SimpleNamespace(event_queue_per_concurrency_id={}, active_jobs=[]))
    monkeypatch.setattr(common, "_stop_on_start", {})
    monkeypatch.setattr(common, "_finished", {})

    def endless():
        for step in range(10**6):
            yield (f"step {step}",)

    run = common._with_stop(endless, "ddpm_sdedit", 1, 0)
    common._stopper("ddpm_sdedit")(SimpleNamespace(session_hash="s2"))   # nothing of s2 anywhere yet
    out = list(run(SimpleNamespace(session_hash="s2")))
    assert len(out) == 1 and "stopped at step 0" in out[0]

    common._finished.clear()
    common._stopper("ddpm_sdedit")(SimpleNamespace(session_hash="s3"))
    name, when, early = common._stop_on_start["s3"]
    common._stop_on_start["s3"] = (name, when - common.EARLY_STOP_S - 1, early)   # the run came too late
    steps = run(SimpleNamespace(session_hash="s3"))
    assert [next(steps) for _ in range(3)] == [("step 0",), ("step 1",), ("step 2",)]   # it runs
    steps.close()
