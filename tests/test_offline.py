"""Offline: from start-up through a call on every tab, the app opens no connection off this machine.

The app runs as its own process with a sitecustomize that records every socket connect and name
lookup whose target is not loopback; the test then uses each tab through the API and the page.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, _free_port

SITECUSTOMIZE = r'''
import json, os, socket
_log = os.environ["GENMODELS_NET_LOG"]
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")

def _record(kind, target):
    host = target[0] if isinstance(target, tuple) else target
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host and not host.startswith(_LOCAL) and not host.startswith("/"):
        with open(_log, "a") as f:
            f.write(json.dumps([kind, host]) + "\n")

_connect, _connect_ex, _gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect", address)
    return _connect(self, address)

def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect", address)
    return _connect_ex(self, address)

def getaddrinfo(host, *a, **k):
    _record("lookup", host if host is not None else "")
    return _gai(host, *a, **k)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''


@pytest.mark.slow
def test_app_makes_no_outside_connection(tmp_path, browser):
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "GENMODELS_NET_LOG": str(log), "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    env.pop("GRADIO_ANALYTICS_ENABLED", None)          # the app must switch analytics off by itself
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("the app did not start")
                time.sleep(0.5)
        from gradio_client import Client
        c = Client(url, verbose=False)
        c.predict(0.3, 64, 20, 2e-3, 2e-3, 64, 0, False, True, api_name="/coin_train")
        c.predict("VAE, 16-D latent", *([0.0] * 16), api_name="/vae_decode")
        c.predict("A", 0, 1, api_name="/dcgan_pick")
        c.predict(0, 300, "linear (T = 1000)", 0, api_name="/ddpm_forward")
        list(c.submit("DDIM", 5, 0.0, 0, 2, True, api_name="/ddpm_generate"))
        c.predict("horse2zebra", 1, False, api_name="/cyclegan_example")
        page = browser.new_page()
        page.goto(url)
        for tab in ("Coin-flip GAN", "VAE", "DCGAN", "DDPM", "CycleGAN"):
            page.get_by_role("tab", name=tab).click()
            time.sleep(0.5)
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    outside = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert outside == [], f"outside connections or lookups: {outside[:10]}"


def test_the_recorder_itself_catches_outside_targets(tmp_path, monkeypatch):
    """The check above can fail: its recorder logs outside targets and ignores loopback (no traffic sent)."""
    import socket

    saved = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    monkeypatch.setenv("GENMODELS_NET_LOG", str(tmp_path / "net.log"))
    ns: dict = {}
    try:
        exec(SITECUSTOMIZE, ns)
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = saved
    for target in (("127.0.0.1", 80), ("::1", 80), "localhost", ("10.1.2.3", 443), "huggingface.co"):
        ns["_record"]("connect", target)
    logged = [json.loads(line)[1] for line in (tmp_path / "net.log").read_text().splitlines()]
    assert logged == ["10.1.2.3", "huggingface.co"]
