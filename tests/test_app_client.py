"""gradio_client against the running app: the API a script (or a class) would use."""
import pytest


def test_coin_train_streams_records_and_ends_near_p(client):
    job = client.submit(0.7, 256, 600, 2e-3, 2e-3, 256, 0, False, True, api_name="/coin_train")
    outputs = list(job)
    assert len(outputs) >= 10                       # streamed, not one final answer
    cards_html = outputs[-1][0]
    assert "generated P(H)" in cards_html
    import re
    values = [float(v) for v in re.findall(r'gm-card-value">([0-9.]+)<', cards_html)]
    target, empirical, generated, gap = values
    assert target == 0.7 and abs(generated - 0.7) <= 0.03 and gap <= 0.03
    status = outputs[-1][1]
    assert "600 / 600" in status


def test_coin_train_rejects_bad_values_with_a_message(client):
    with pytest.raises(Exception, match=r"(?i)maximum|between"):
        client.predict(1.5, 256, 100, 2e-3, 2e-3, 256, 0, False, True, api_name="/coin_train")
    with pytest.raises(Exception, match=r"(?i)greater than maximum value 0.05|Learning rate of D must be between"):
        client.predict(0.3, 256, 100, 5.0, 2e-3, 256, 0, False, True, api_name="/coin_train")


def test_coin_reset(client):
    out = client.predict(0.4, api_name="/coin_reset")
    assert "0.400" in out[0] and "Press" in out[1]
