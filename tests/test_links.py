"""demos/links.py: a lesson link's query parsed, every value checked against its control, and the
link a tab's "Copy link to this view" builds reading back to the same values."""
import gradio as gr
import pytest

from demos import links
from demos.links import Spec, build_query, parse_query


@pytest.fixture
def registry():
    with gr.Blocks():
        reg = {
            "ddpm": {
                "sampler": links.spec_of(gr.Radio(["DDIM", "DDPM", "DPM-Solver++"], value="DDIM"), "sampler"),
                "steps": links.spec_of(gr.Slider(1, 1000, value=50, step=1), "steps"),
                "eta": links.spec_of(gr.Slider(0, 1, value=0.0, step=0.05), "eta"),
                "seed": links.spec_of(gr.Number(value=0, precision=0, minimum=0, maximum=2**31 - 1), "seed"),
                "bf16": links.spec_of(gr.Checkbox(value=True), "bf16"),
            },
            "cyclegan": {"direction": links.spec_of(
                gr.Radio([("horse → zebra", "horse2zebra"), ("zebra → horse", "zebra2horse")]), "direction")},
        }
    return reg


def test_the_specs_read_the_controls_settings(registry):
    s = registry["ddpm"]
    assert (s["steps"].kind, s["steps"].minimum, s["steps"].maximum, s["steps"].integer) == ("number", 1, 1000, True)
    assert s["eta"].integer is False
    assert s["seed"].integer and s["seed"].maximum == 2**31 - 1
    assert [v for _, v in s["sampler"].choices] == ["DDIM", "DDPM", "DPM-Solver++"]
    assert s["bf16"].kind == "bool"


def test_a_lesson_link_sets_its_tabs_controls(registry):
    tab, values, ignored = parse_query("?tab=ddpm&sampler=ddim&steps=10&seed=7&eta=0.5&bf16=0", registry)
    assert tab == "ddpm"
    assert values == {"sampler": "DDIM", "steps": 10, "seed": 7, "eta": 0.5, "bf16": False}
    assert isinstance(values["steps"], int)
    assert ignored == []


def test_a_choice_is_found_by_its_value_or_its_label(registry):
    assert parse_query("tab=cyclegan&direction=zebra2horse", registry)[1] == {"direction": "zebra2horse"}
    assert parse_query("tab=cyclegan&direction=horse+%E2%86%92+zebra", registry)[1] == {"direction": "horse2zebra"}


@pytest.mark.parametrize("query, reason", [
    ("tab=ddpm&steps=0", "steps=0 (outside 1 … 1000)"),
    ("tab=ddpm&steps=5000", "outside 1 … 1000"),
    ("tab=ddpm&steps=2.5", "not a whole number"),
    ("tab=ddpm&steps=nan", "not a number"),
    ("tab=ddpm&steps=ten", "not a number"),
    ("tab=ddpm&seed=-1", "seed=-1 (outside"),
    ("tab=ddpm&sampler=euler", "not one of DDIM, DDPM, DPM-Solver++"),
    ("tab=ddpm&bf16=maybe", "not true/false"),
    ("tab=ddpm&colour=red", "colour (not a setting of this tab"),
    ("tab=nope&steps=10", "tab=nope (no such tab"),
])
def test_bad_values_are_ignored_with_a_reason(registry, query, reason):
    tab, values, ignored = parse_query(query, registry)
    assert values == {}
    assert any(reason in r for r in ignored), ignored
    assert links.note_text(ignored).startswith("**Link:** ignored ")


def test_the_good_values_of_a_partly_bad_link_still_apply(registry):
    tab, values, ignored = parse_query("tab=ddpm&steps=10&eta=9&x=1", registry)
    assert values == {"steps": 10} and len(ignored) == 2


def test_size_limits(registry):
    tab, values, ignored = parse_query("tab=ddpm&steps=10&" + "a" * 3000, registry)
    assert (tab, values) == (None, {}) and "more than 2048" in ignored[0]
    many = "tab=ddpm&steps=10&" + "&".join(f"k{i}=1" for i in range(40))
    tab, values, ignored = parse_query(many, registry)
    assert values == {"steps": 10}
    assert any("after the first 30" in r for r in ignored)
    tab, values, ignored = parse_query("tab=ddpm&seed=" + "9" * 300, registry)
    assert values == {} and "too long" in ignored[0]


def test_no_query_means_nothing_to_do(registry):
    assert parse_query("", registry) == (None, {}, [])
    assert links.note_text([]) == ""


def test_a_copied_link_round_trips(registry):
    current = {"sampler": "DPM-Solver++", "steps": 12, "eta": 0.35, "seed": 2**31 - 1, "bf16": True}
    q = build_query("ddpm", current, registry)
    assert q.startswith("?tab=ddpm&sampler=DPM-Solver%2B%2B&steps=12")
    tab, values, ignored = parse_query(q, registry)
    assert (tab, values, ignored) == ("ddpm", current, [])


def test_build_query_leaves_out_what_a_control_would_refuse(registry):
    q = build_query("ddpm", {"sampler": "euler", "steps": 12.0, "eta": None, "seed": -3}, registry)
    assert q == "?tab=ddpm&steps=12"


def test_the_app_registers_every_tab_with_unique_names():
    import app  # noqa: F401  (building the page fills the registry)
    assert list(links.REGISTRY) == ["coin", "vae", "dcgan", "ddpm", "pixelcnn", "cyclegan", "map"]
    assert set(links.REGISTRY["ddpm"]) >= {"sampler", "steps", "seed"}
    for tab, specs in links.REGISTRY.items():
        assert specs, f"tab {tab} links no control"
        for name, spec in specs.items():
            assert spec.component is not None and name not in links.RESERVED


def test_link_outside_a_build_registers_nothing():
    with gr.Blocks():
        s = gr.Slider(0, 1)
    saved = list(links._current)
    links._current.clear()
    try:
        assert links.link(s, "x") is s
    finally:
        links._current[:] = saved


def test_a_textbox_cannot_be_linked():
    with gr.Blocks():
        with pytest.raises(TypeError):
            links.spec_of(gr.Textbox(), "t")
    assert isinstance(Spec("x", "number").parse("3"), float)
