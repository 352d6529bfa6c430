"""Malformed values through the API, to every named endpoint: each call gets an answer with a
clear message (never a hung worker, an empty error or a traceback's text), and the server still
serves a normal call after.

The app launches with show_error=True, so the client sees the text of *any* exception; what
tells a clear refusal from a crash is its type, which only the server knows. The app runs in this
process (conftest.app_url), so the test records the type of every exception gradio turns into an
error message and accepts only the documented clear refusals: gr.Error (the app's checks:
demos.common.check_number, check_seed, load_or_explain, and the tabs' own messages), and gradio's
refusal of a value of the wrong type for its widget before our code runs: ComponentProcessingError
("Could not preprocess input component at index 0 (a `slider` component) … Expected a `float`"),
or, for a sketchpad (gr.ImageEditor), pydantic's ValidationError ("1 validation error for
EditorData: Input should be a valid dictionary or instance of EditorData")."""
import random

import gradio
import pytest
from gradio.exceptions import ComponentProcessingError
from pydantic import ValidationError

CLEAR = (gradio.Error, ComponentProcessingError, ValidationError)
BAD = [None, "", "abc", -1, 10**9, 1e308, -1e308, [], {}, True, 0.5]
STREAMING = {"/coin_train", "/cyclegan_train", "/vae_train", "/dcgan_train", "/ddpm_generate", "/ddpm_sdedit",
             "/ddpm_toy", "/pixelcnn_sample", "/pixelcnn_train", "/compare_speed", "/map_compare"}


@pytest.fixture
def server_errors(monkeypatch):
    """Every exception the server reports to a client during the test, as (type, message)."""
    seen = []
    original = gradio.utils.error_payload

    def recording(error, show_error):
        if error is not None:
            seen.append((type(error), str(error)))
        return original(error, show_error)

    monkeypatch.setattr(gradio.utils, "error_payload", recording)
    monkeypatch.setattr(gradio.queueing, "error_payload", recording)
    return seen


@pytest.mark.slow
def test_every_endpoint_survives_malformed_values(client, server_errors):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert len(endpoints) >= 20
    rng = random.Random(0)
    calls = seen = 0
    unclear = []                            # (endpoint, arguments, exception type, message) of every crash
    for name, ep in endpoints.items():
        n = len(ep["parameters"])
        for _ in range(4 if name in STREAMING else 10):
            # streaming jobs get only non-numbers, so none of them starts a long run
            pool = [None, "abc", [], {}] if name in STREAMING else BAD
            args = [rng.choice(pool) for _ in range(n)]
            try:
                client.predict(*args, api_name=name)
            except Exception as e:  # noqa: BLE001 - the server's side is checked below
                msg = str(e)
                assert msg.strip() not in ("", "None"), (name, args)
                assert "verbose error reporting" not in msg, (name, args, msg)   # an unexpected exception
            unclear.extend((name, repr(args), t.__name__, m[:200]) for t, m in server_errors[seen:]
                           if not issubclass(t, CLEAR))
            seen = len(server_errors)
            calls += 1
    assert calls >= 150
    assert not unclear, "\n".join(map(str, unclear))                          # only the clear refusals
    assert any(issubclass(t, gradio.Error) for t, _ in server_errors)         # our own checks did refuse some
    out = client.predict(0.3, 256, 20, 2e-3, 2e-3, 256, 0, False, True, api_name="/coin_train")
    assert "generated P(H)" in out[0]
