"""A public Space that one visitor cannot fill or block (issue 20): the upload limit, one long job
per session and a bounded queue (browser and API alike), and the cache sweep."""
import os
import time

import httpx
import pytest

from demos import common

LONG_COIN = (0.3, 1024, 5000, 2e-3, 2e-3, 4096, 1, False, True)       # a coin GAN run of ~30 s or more


def _client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def _files(folder):
    return {os.path.join(d, f) for d, _, names in os.walk(folder) for f in names}


def _first_output(job, timeout=60.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if job.outputs() or job.done():
            return bool(job.outputs())
        time.sleep(0.05)
    return False


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(app_url, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(int(common.MAX_UPLOAD_MB * 2**20) + 1024))
    before = _files(common.gradio_cache_dir())
    with open(big, "rb") as f:
        r = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("big.png", f, "image/png")}, timeout=60)
    assert r.status_code == 413 and "maximum allowed size" in r.text
    assert {p for p in _files(common.gradio_cache_dir()) - before if "big" in p} == set()
    # a picture of normal size still goes through
    small = tmp_path / "small.png"
    small.write_bytes(big.read_bytes()[:200_000])
    with open(small, "rb") as f:
        assert httpx.post(f"{app_url}gradio_api/upload", files={"files": ("small.png", f)}, timeout=60).status_code == 200


def test_an_upload_over_the_limit_gets_a_message_through_the_api(app_url, tmp_path):
    from gradio_client import handle_file

    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(int(common.MAX_UPLOAD_MB * 2**20) + 1024))
    with pytest.raises(Exception, match="(?i)maximum (allowed|file) size"):
        _client(app_url).predict("horse2zebra", handle_file(str(big)), False, api_name="/cyclegan_upload")


def test_an_upload_over_the_limit_gets_a_message_in_the_browser(page, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(int(common.MAX_UPLOAD_MB * 2**20) + 1024))
    page.get_by_role("tab", name="CycleGAN").click()
    page.locator("#cg-upload input[type=file]").set_input_files(str(big))
    page.wait_for_selector("text=/exceed the maximum allowed size/i", timeout=20_000)


@pytest.mark.slow
def test_one_session_asking_for_twenty_long_jobs_gets_one_and_others_still_start(app_url):
    greedy, other = _client(app_url), _client(app_url)
    jobs = [greedy.submit(*LONG_COIN, api_name="/coin_train") for _ in range(20)]
    try:
        # the twenty requests race: whichever reaches the server first runs, the other nineteen are refused
        end = time.time() + 60
        while time.time() < end and not any(j.outputs() for j in jobs):
            time.sleep(0.05)
        running = [j for j in jobs if j.outputs()]
        assert len(running) == 1, f"{len(running)} of 20 long jobs of one session started"
        first, rest = running[0], [j for j in jobs if j is not running[0]]
        refused = []
        for job in rest:
            with pytest.raises(Exception) as e:
                job.result(timeout=60)
            refused.append(str(e.value))
        assert all("one at a time" in m for m in refused), refused[:3]
        assert not any(j.outputs() for j in rest)
        # another visitor's long job starts while the first still runs (well within its length)
        t0 = time.time()
        mine = other.submit(*LONG_COIN, api_name="/coin_train")
        assert _first_output(mine, timeout=30) and not first.done()
        print(f"the other session's job started after {time.time() - t0:.2f} s")
        mine.cancel()
    finally:
        for job in jobs:
            job.cancel()
    # once its job has ended, the same session may start the next one
    time.sleep(2.0)
    again = greedy.submit("DDIM", 5, 0.0, 0, 1, True, api_name="/ddpm_generate")
    assert again.result(timeout=120) is not None


@pytest.mark.slow
def test_the_queue_of_long_jobs_is_bounded(app_url, monkeypatch):
    monkeypatch.setattr(common, "HEAVY_QUEUE", 1)
    clients = [_client(app_url) for _ in range(common.HEAVY_WORKERS + 2)]
    jobs = []
    try:
        for c in clients[:common.HEAVY_WORKERS]:                    # the running ones
            jobs.append(c.submit(*LONG_COIN, api_name="/coin_train"))
            assert _first_output(jobs[-1])
        jobs.append(clients[-2].submit(*LONG_COIN, api_name="/coin_train"))    # waits
        time.sleep(1.0)
        assert not jobs[-1].done()
        refused = clients[-1].submit(*LONG_COIN, api_name="/coin_train")
        with pytest.raises(Exception, match="The class is busy.*Try again in a minute"):
            refused.result(timeout=60)
    finally:
        for job in jobs:
            job.cancel()


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_the_sweep_removes_expired_files_and_keeps_the_rest(tmp_path):
    cache, temp = tmp_path / "gradio", tmp_path / "tmp"
    old, fresh, kept = cache / "aa" / "image.webp", cache / "bb" / "image.webp", cache / "cc" / "start.webp"
    gif_old, gif_fresh = temp / "genmodels-x" / "denoising.gif", temp / "genmodels-y" / "denoising.gif"
    other = temp / "someone-else" / "file.bin"
    for f in (old, fresh, kept, gif_old, gif_fresh, other):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x" * 100)
    for f in (old, kept, gif_old, other):
        _age(f, 7200)
    for d in (old.parent, gif_old.parent):
        _age(d, 7200)
    files, freed = common.sweep(3600, keep={str(kept)}, cache=cache, temp=temp)
    assert (files, freed) == (2, 200)
    assert not old.exists() and not gif_old.exists()
    assert fresh.exists() and kept.exists() and gif_fresh.exists() and other.exists()
    # the emptied folders go at the next sweep, once they too are old
    _age(old.parent, 7200)
    _age(gif_old.parent, 7200)
    common.sweep(3600, keep={str(kept)}, cache=cache, temp=temp)
    assert not old.parent.exists() and not gif_old.parent.exists() and cache.exists()


def test_a_reused_cached_image_counts_as_fresh(tmp_path):
    from PIL import Image

    img = Image.new("L", (8, 8), 128)
    path = common._save_pil_to_cache(img, str(tmp_path))
    _age(path, 7200)
    assert common._save_pil_to_cache(img, str(tmp_path)) == path
    assert time.time() - os.stat(path).st_mtime < 60
    assert common.sweep(3600, cache=tmp_path, temp=tmp_path / "none") == (0, 0)


def test_cached_png_pictures_are_lossless_and_fast_to_encode(tmp_path):
    """The tabs' PNG pictures are written at zlib level 1: the same pixels as Gradio's level-6 PNG."""
    import io
    import numpy as np
    from gradio import processing_utils
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    path = common._save_pil_to_cache(img, str(tmp_path), format="png")
    assert np.array_equal(np.asarray(Image.open(path)), pixels)
    gradio_png = processing_utils.encode_pil_to_bytes(img, "png")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(gradio_png))), pixels)
    assert common.encode_image(img, "png") != gradio_png               # another zlib level, same picture
    assert common.encode_image(img, "webp") == processing_utils.encode_pil_to_bytes(img, "webp")


def test_busy_message_one_per_session_and_a_bounded_queue(monkeypatch):
    class Waiting:
        def __init__(self, s):
            self.session_hash = s

    monkeypatch.setattr(common, "HEAVY_QUEUE", 2)
    monkeypatch.setattr(common, "_running", {"a": common._Run("coin_train")})
    monkeypatch.setattr(common, "_admitted", {})
    assert "one at a time" in common.busy_message("vae_train", "a", [])
    assert "one at a time" in common.busy_message("vae_train", "b", [Waiting("b")])
    assert common.busy_message("vae_train", "c", [Waiting("b")]) is None
    assert "class is busy" in common.busy_message("vae_train", "d", [Waiting("b"), Waiting("c")])


def test_stopped_status_says_where_the_run_stopped():
    assert common.stopped_status("step 12 / 50 · **t = 760**") == "stopped at step 12 / 50 · **t = 760**"
    assert common.stopped_status('<div class="gm-ok">step 40 / 5000</div>') == \
        '<div class="gm-ok">stopped at step 40 / 5000</div>'
    assert "stopped at step 40" in common.stopped_status("⚠ Mode collapse at step 40: all H")
    assert ">stopped at step</div>" in common.stopped_status('<div class="gm-card-title">step</div>')
    assert common.stopped_status(None).startswith("stopped at step 0")


@pytest.mark.slow
def test_a_second_long_job_in_the_browser_gets_a_message_and_no_error_badge(page):
    from test_browser_stop import ERRORS_JS, _press

    page.get_by_role("tab", name="DDPM").click()
    page.locator("#dd-sampler").get_by_text("DDPM", exact=True).click()      # 1000 steps: a long run
    _press(page, "#dd-generate")
    page.wait_for_function("() => /\\bstep \\d+/.test(document.querySelector('#dd-caption').innerText)",
                           timeout=90_000)
    page.get_by_role("tab", name="Coin-flip GAN").click()
    _press(page, "#coin-train")
    page.wait_for_selector("text=/one at a time per visitor/", timeout=30_000)
    assert page.evaluate(ERRORS_JS) == []
    page.get_by_role("tab", name="DDPM").click()
    _press(page, "#dd-stop")
    page.wait_for_function("() => /stopped at step/.test(document.querySelector('#dd-caption').innerText)",
                           timeout=60_000)
