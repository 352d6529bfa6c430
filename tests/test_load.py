"""A 10-second version of benchmarks/load.py (simulated users on every tab at once, no errors), and Stop."""
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.slow
def test_sixteen_users_for_ten_seconds_get_no_errors(app_url):
    from load import run_load

    r = run_load(app_url, users=16, seconds=10)
    assert r["errors"] == []
    assert r["light_calls"] > 0 and r["heavy_calls"] > 0


@pytest.mark.slow
def test_stop_hands_the_worker_to_the_next_queued_job(app_url):
    """Both heavy workers busy, a job waiting: stopping any long job lets the waiting one start."""
    from load import LONG, measure_stop

    waited = measure_stop(app_url, runs=1)
    assert set(waited) == set(LONG) and all(len(v) == 1 for v in waited.values())
