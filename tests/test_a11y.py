"""Accessibility without a browser (issue 18 item 5): the class colours stay apart for colour-blind
viewers, and every plot that colours by class or by p_data / p_model takes its colours from
genmodels.plotting. The browser checks (text alternatives, keyboard, contrast, phones) are in
tests/test_browser_a11y.py."""
import numpy as np
import pytest

from genmodels import plotting as P

KINDS = ["normal", "protan", "deutan", "tritan"]


def test_simulation_keeps_greys_and_merges_red_with_green_for_deutans():
    greys = ["#000000", "#777777", "#ffffff"]
    for kind in KINDS:
        sim = P.simulate_cvd(greys, kind)
        assert np.allclose(sim, sim[:, :1], atol=2e-3), (kind, sim)      # a grey stays grey
    # the textbook confusion: pure red and a matched green look alike to a deuteranope,
    # unlike to anyone else, and a blue / yellow pair to a tritanope
    assert P.min_distance(["#ff0000", "#9c8c00"], "deutan") < 10 < P.min_distance(["#ff0000", "#9c8c00"], "normal")
    assert P.min_distance(["#0000ff", "#000000"], "tritan") < P.min_distance(["#0000ff", "#000000"], "normal")


@pytest.mark.parametrize("kind", KINDS)
def test_the_ten_class_colours_stay_apart_for_every_colour_vision(kind):
    assert len(P.CLASS_COLOURS) == len(set(P.CLASS_COLOURS)) == 10
    assert P.min_distance(P.CLASS_COLOURS, kind) > 15.0


def test_tableau10_which_the_class_colours_replace_fails_the_same_check():
    """The check tells palettes apart: matplotlib's default has a pair protanopes can hardly tell apart."""
    assert P.min_distance(P.TABLEAU10, "protan") < 5.0
    assert P.min_distance(P.TABLEAU10, "deutan") < 8.0


def test_data_and_model_colours_are_okabe_ito_and_stay_apart():
    assert (P.DATA_COLOUR, P.MODEL_COLOUR) == (P.OKABE_ITO["blue"], P.OKABE_ITO["orange"])
    for kind in KINDS:
        assert P.min_distance([P.DATA_COLOUR, P.MODEL_COLOUR], kind) > 50


def test_the_latent_map_draws_each_digit_in_its_class_colour():
    points = np.array([[i - 4.5, 0.0] for i in range(10)])
    img = P.scatter(points, np.arange(10), extent=(-5, 5, -1, 1), size=200, radius=3)
    for i, (x, y) in enumerate(points):
        px, py = P.point_to_pixel((x, y), (-5, 5, -1, 1), 200)
        assert tuple(img[round(py), round(px)]) == P.hex_to_rgb(P.CLASS_COLOURS[i]), i


def test_the_legend_and_the_coin_plots_use_the_same_palette():
    from demos import coin_gan, common
    legend = common.legend_html()
    assert all(c in legend for c in P.CLASS_COLOURS)
    assert coin_gan.COLOURS[coin_gan.REAL] == P.DATA_COLOUR and coin_gan.COLOURS[coin_gan.GENERATED] == P.MODEL_COLOUR


def test_hex_to_rgb_checks_its_input():
    assert P.hex_to_rgb("#0072B2") == (0, 114, 178)
    with pytest.raises(ValueError):
        P.hex_to_rgb("blue")


def test_describe_sets_an_images_alt_text_and_registers_its_caption():
    import json

    import gradio as gr

    from demos import common
    with gr.Blocks():
        img = gr.Image(elem_id="a11y-test-img")
        cap = gr.Markdown("step 3 / 50", elem_id="a11y-test-cap")
        plain = gr.Image()
    try:
        assert common.describe(img, "x_t, the sample being denoised", state=cap) is img
        assert img.alt_text == "x_t, the sample being denoised"
        registry = json.loads(common.describe_js().split("const REG = ", 1)[1].split(";\n", 1)[0])
        assert registry["a11y-test-img"] == ["x_t, the sample being denoised", "a11y-test-cap"]
        with pytest.raises(ValueError):
            common.describe(plain, "no id")                 # the hook finds components by elem_id
    finally:
        common.DESCRIPTIONS.pop("a11y-test-img", None)


def test_every_described_component_of_the_app_exists_with_its_caption():
    import app
    ids = {b.elem_id for b in app.demo.blocks.values() if getattr(b, "elem_id", None)}
    from demos.common import DESCRIPTIONS
    assert len(DESCRIPTIONS) >= 20
    for elem_id, (text, caption) in DESCRIPTIONS.items():
        assert elem_id in ids and len(text) >= 8, elem_id
        assert caption is None or caption in ids, (elem_id, caption)
