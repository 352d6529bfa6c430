"""A class of 40 (issue 18 item 6): light calls never wait behind long jobs, slider drags skip
Gradio's queue and send their last value, and sub-10 ms calls show no progress bar."""

import gradio as gr
import httpx
import pytest

from demos import common
from test_limits import LONG_COIN, _client, _first_output    # the same long coin run and helpers

LIGHT_API = ("cyclegan_example", "vae_decode", "vae_decode_point", "ddpm_forward", "ddpm_scrub", "dcgan_grid", "dcgan_pick",
             "dcgan_clear")


def test_slider_drags_skip_the_queue_send_their_last_value_and_show_no_progress():
    import app

    sliders = [fn for fn in app.demo.fns.values() if fn.fn is not None and any(
        event == "change" and isinstance(app.demo.blocks.get(i), gr.Slider) for i, event in fn.targets)]
    names = {fn.name for fn in sliders}
    assert {"decode_sliders", "forward", "scrub"} <= names, names
    for fn in sliders:
        if fn.name in ("decode_sliders", "forward", "scrub"):
            assert fn.trigger_mode == "always_last", fn.name
            assert fn.queue is False, fn.name
            assert fn.show_progress == "hidden", fn.name


def test_light_api_endpoints_skip_the_queue_and_long_jobs_keep_their_limits():
    import app

    by_name = {fn.api_name: fn for fn in app.demo.fns.values() if fn.api_name}
    for name in LIGHT_API:
        assert by_name[name].queue is False, name
        assert by_name[name].show_progress == "hidden", name
    for name in ("coin_train", "vae_train", "ddpm_generate", "dcgan_train", "cyclegan_train"):
        assert by_name[name].concurrency_id == common.HEAVY["concurrency_id"], name
        assert by_name[name].queue is not False, name


@pytest.mark.slow
def test_light_calls_answer_while_both_heavy_workers_are_busy_and_a_long_job_waits(app_url):
    """Two long coin GAN runs hold both heavy workers, a third waits in the queue; every light
    endpoint, through the API (gradio_client joins the queue) and as the browser sends a slider
    drag (one POST, no queue), answers while all three long jobs are still unfinished."""
    import app

    runners = [_client(app_url) for _ in range(2)]
    jobs = [c.submit(*LONG_COIN, api_name="/coin_train") for c in runners]
    waiting = None
    try:
        assert all(_first_output(j) for j in jobs), "the long jobs did not start"
        waiting = _client(app_url).submit(*LONG_COIN, api_name="/coin_train")
        light = _client(app_url)
        light.predict("VAE, 16-D latent", *[0.5] * 16, api_name="/vae_decode")
        light.predict("VAE, 2-D latent", 0.3, -0.2, api_name="/vae_decode_point")
        light.predict(3, 250, "linear (T = 1000)", 0, api_name="/ddpm_forward")
        light.predict("A", 0, 5, api_name="/dcgan_pick")
        light.predict("horse2zebra", 1, False, api_name="/cyclegan_example")
        # a slider drag as the browser sends it: POST /gradio_api/run/predict, no event stream
        forward = next(fn for fn in app.demo.fns.values() if fn.name == "forward" and any(
            event == "change" and isinstance(app.demo.blocks.get(i), gr.Slider) for i, event in fn.targets))
        r = httpx.post(f"{app_url}gradio_api/run/predict", timeout=60,
                       json={"data": [3, 400, "linear (T = 1000)", 0], "fn_index": forward._id,
                             "session_hash": "latency-test", "event_data": None, "trigger_id": None})
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]) == 4 and "error" not in r.json(), r.json()
        # the light calls came back while the long jobs were still running / waiting
        assert not any(j.done() for j in jobs)
        assert not waiting.done() and not waiting.outputs()
    finally:
        for j in [*jobs, *([waiting] if waiting else [])]:
            j.cancel()
