"""Lesson links: ``?tab=ddpm&sampler=DDIM&steps=10&seed=7`` opens a tab with its main controls set.

Each tab's build() registers its main controls right after making them, with ``link(component,
"steps")``; app.py names the tab being built with ``building(tab_id)``. On page load app.py reads the
query through ``parse_query`` (every value checked against its control: choices, min/max, type; what
is ignored is listed in a visible note), and each tab's "Copy link to this view" button builds the
link from the current values with ``build_query`` over the same registry, so a link round-trips.
Torch-free and Gradio-light: the checks read only the controls' settings (see ``Spec``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_QUERY_CHARS = 2048     # a longer query string is ignored as a whole
MAX_PARAMS = 30            # at most this many parameters are read
MAX_TEXT = 200             # a text value longer than this is ignored
RESERVED = ("tab", "present")


@dataclass
class Spec:
    """What a linked control accepts: ``kind`` is "choice", "number" or "bool"."""
    name: str
    kind: str
    choices: tuple = ()            # (label, value) pairs for kind "choice"
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    component: object = None       # the Gradio component (None in unit tests)

    def parse(self, text: str):
        """The control's value for the query text ``text``, or raise ValueError with a short reason."""
        text = text.strip()
        if len(text) > MAX_TEXT:
            raise ValueError("too long")
        if self.kind == "bool":
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError("not true/false")
        if self.kind == "choice":
            for label, value in self.choices:            # by value, then by label, case-insensitive
                if str(value).lower() == text.lower():
                    return value
            for label, value in self.choices:
                if str(label).lower() == text.lower():
                    return value
            raise ValueError("not one of " + ", ".join(str(v) for _, v in self.choices))
        try:
            x = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(x):
            raise ValueError("not a number")
        if self.integer:
            if x != int(x):
                raise ValueError("not a whole number")
            x = int(x)
        if self.minimum is not None and x < self.minimum or self.maximum is not None and x > self.maximum:
            raise ValueError(f"outside {_fmt(self.minimum)} … {_fmt(self.maximum)}")
        return x

    def format(self, value) -> str | None:
        """The query text for the control's current ``value`` (None: leave it out of the link)."""
        try:
            if value is None:
                return None
            if self.kind == "bool":
                return "1" if value else "0"
            if self.kind == "choice":
                return str(value) if any(v == value for _, v in self.choices) else None
            x = float(value)
            if not math.isfinite(x):
                return None
            return str(int(x)) if self.integer or x == int(x) else repr(x)
        except (TypeError, ValueError):
            return None


def _fmt(x) -> str:
    if x is None:
        return "…"
    return str(int(x)) if float(x) == int(x) else str(x)


# tab id -> {short name: Spec}, in registration order
REGISTRY: dict[str, dict[str, Spec]] = {}
_current: list[str] = []


def building(tab_id: str) -> None:
    """Controls registered from now on belong to the tab ``tab_id`` (app.py calls this before build())."""
    _current[:] = [tab_id]
    REGISTRY[tab_id] = {}                  # a second build_demo() starts the tab afresh


def spec_of(component, name: str) -> Spec:
    """The Spec of a Gradio control (Slider, Number, Radio, Dropdown, Checkbox)."""
    kind = type(component).__name__
    if kind in ("Radio", "Dropdown"):
        choices = tuple((str(c[0]), c[1]) if isinstance(c, (tuple, list)) else (str(c), c)
                        for c in (component.choices or ()))
        return Spec(name, "choice", choices=choices, component=component)
    if kind == "Checkbox":
        return Spec(name, "bool", component=component)
    if kind == "Slider":
        step = float(component.step or 1)
        integer = step == int(step) and float(component.minimum) == int(component.minimum)
        return Spec(name, "number", minimum=component.minimum, maximum=component.maximum, integer=integer,
                    component=component)
    if kind == "Number":
        return Spec(name, "number", minimum=component.minimum, maximum=component.maximum,
                    integer=component.precision == 0, component=component)
    raise TypeError(f"link(): a {kind} cannot be linked")


def link(component, name: str):
    """Register ``component`` under the short ``name`` in the tab being built; returns the component."""
    if not _current:
        return component                      # built outside app.py (a test of one tab): no links
    tab = REGISTRY[_current[0]]
    if name in tab or name in RESERVED:
        raise ValueError(f"link name {name!r} is used twice in tab {_current[0]!r}")
    tab[name] = spec_of(component, name)
    return component


def parse_query(query: str, registry: dict[str, dict[str, Spec]] | None = None, default_tab: str | None = None):
    """Read a query string (without or with the leading "?").

    Returns ``(tab, values, ignored)``: the tab id (or None), ``{short name: value}`` for that tab's
    controls, every value checked, and a list of human-readable reasons for what was ignored.
    """
    registry = REGISTRY if registry is None else registry
    query = (query or "").lstrip("?")
    if not query:
        return None, {}, []
    if len(query) > MAX_QUERY_CHARS:
        return None, {}, [f"the link's settings ({len(query)} characters, more than {MAX_QUERY_CHARS})"]
    pairs = parse_qsl(query, keep_blank_values=True)
    ignored = []
    if len(pairs) > MAX_PARAMS:
        ignored.append(f"{len(pairs) - MAX_PARAMS} parameters after the first {MAX_PARAMS}")
        pairs = pairs[:MAX_PARAMS]
    params = {}
    for key, value in pairs:
        if key in params:
            ignored.append(f"{key}={value} (given twice; the first is used)")
        else:
            params[key] = value
    tab = params.pop("tab", None)
    params.pop("present", None)
    if tab is not None and tab not in registry:
        ignored.append(f"tab={tab} (no such tab; tabs: {', '.join(registry)})")
        tab = None
    specs = registry.get(tab or default_tab, {}) if (tab or default_tab) else {}
    values = {}
    for key, text in params.items():
        spec = specs.get(key)
        if spec is None:
            known = ", ".join(specs) or "none"
            ignored.append(f"{key} (not a setting of this tab; it has: {known})")
            continue
        try:
            values[key] = spec.parse(text)
        except ValueError as e:
            ignored.append(f"{key}={text[:40]} ({e})")
    return tab, values, ignored


def build_query(tab: str, values: dict, registry: dict[str, dict[str, Spec]] | None = None) -> str:
    """The query string ("?tab=...&name=value...") for ``tab`` with its controls at ``values``
    (``{short name: current value}``); values a control would not accept are left out."""
    registry = REGISTRY if registry is None else registry
    pairs = [("tab", tab)]
    for name, spec in registry.get(tab, {}).items():
        text = spec.format(values.get(name))
        if text is None:
            continue
        try:
            if spec.parse(text) is None:
                continue
        except ValueError:
            continue
        pairs.append((name, text))
    return "?" + urlencode(pairs)


def note_text(ignored: list[str]) -> str:
    """The visible note for what a link set that was ignored ("" when nothing was)."""
    if not ignored:
        return ""
    return "**Link:** ignored " + "; ".join(ignored) + "."


# Presentation mode: ?present=1 or the header's toggle puts ``gm-present`` on <body>.
PRESENT_JS = """() => {
  const q = new URLSearchParams(window.location.search);
  if (q.get('present') === '1') document.body.classList.add('gm-present');
}"""
TOGGLE_PRESENT_JS = "() => { document.body.classList.toggle('gm-present'); }"
# Copies the link (the query the server built, made absolute) and shows it in the textbox.
COPY_JS = """(q) => {
  if (!q) return q;
  const url = window.location.origin + window.location.pathname + q;
  try { if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {}); }
  catch (e) {}
  return url;
}"""

PRESENT_CSS = """
body.gm-present { font-size: 22px; }
body.gm-present .gradio-container { --text-md: 22px; --text-sm: 20px; --text-lg: 26px; --text-xl: 30px;
  --block-label-text-size: 20px; --block-info-text-size: 19px; --block-title-text-size: 22px;
  --input-text-size: 22px; --button-large-text-size: 24px; --button-small-text-size: 20px;
  --section-header-text-size: 22px; max-width: none !important; }
body.gm-present .prose, body.gm-present .md, body.gm-present label span, body.gm-present button,
body.gm-present input, body.gm-present textarea { font-size: 22px !important; }
body.gm-present .katex { font-size: 1.25em; }
body.gm-present .js-plotly-plot text, body.gm-present svg text { font-size: 18px !important; }
body.gm-present .gm-advanced, body.gm-present .gm-explain, body.gm-present #gm-link-box,
body.gm-present .gm-link-row { display: none !important; }
/* the result first: a row marked gm-result-row puts its gm-result columns on the first line and its
   controls on a line of their own below */
body.gm-present .gm-result-row { flex-wrap: wrap !important; }
body.gm-present .gm-result-row > .gm-result { order: -1; }
body.gm-present .gm-result-row > :not(.gm-result) { order: 1; flex: 1 1 100% !important; min-width: 100% !important; }
/* plots (Vega, drawn on a canvas) are laid out for a narrower box and scaled up: their text too */
body.gm-present .vega-embed { zoom: 1.4; }
.gm-link-row { align-items: end; }
#gm-link-note:empty { display: none; }
/* phones: formulas scroll inside their block instead of being clipped */
.katex-display { overflow-x: auto; overflow-y: hidden; max-width: 100%; }
@media (max-width: 600px) { .katex { font-size: 1em; } .katex-display > .katex { white-space: normal; } }
"""
