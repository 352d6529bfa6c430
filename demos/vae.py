"""VAE tab: slide through latent space, click the latent map, AE vs VAE, likelihoods (seeds 001-003).

A thin adapter: widgets -> genmodels.vae (encode, decode, train, −ELBO) -> images and plots.
"""
from __future__ import annotations

import copy
import functools

import gradio as gr
import numpy as np
import pandas as pd

from genmodels import arrival as arrival_cache, checkpoints, data, vae
from genmodels.common import grid
from genmodels.imaging import ImageInputError, sketch_to_mnist, to_mnist, upscale
from genmodels.plotting import framed, legend_html, pixel_to_point, scatter_dots, scatter_finish

from .links import link
from .common import (LATEX, PIXELS, describe, RECORD_SECONDS, UploadImage, cards, check_seed, load_checkpoint, number, seed_input,
                     sketchpad, training_panel)

MODELS = {"VAE, 16-D latent": "vae-mnist", "VAE, 2-D latent": "vae2d-mnist", "Plain AE, 2-D latent": "ae2d-mnist"}
LIKELIHOOD_MODEL = "vae-bin-mnist"     # the 16-D VAE trained on binarized MNIST: its −ELBO bounds −log p(x)
CLASS_MIN = 20                         # a digit class "appears" among 1,000 decodes when ≥ 20 are classified as it
MAX_DIMS = 16
MAP_SIZE = 420
GRID_N = 15
MAP_POINTS = 2000
MAX_TRAIN_STEPS = 5000
ELBO_MAX = 3000.0  # the likelihood histogram's range in nats (larger values are drawn at the edge)

INTRO = r"""
### Variational autoencoder: a code pulled towards $\mathcal N(0, I)$
The encoder $q_\phi(z|x)$ maps a digit to a Gaussian over codes $z$; the decoder $p_\theta(x|z)$ maps a code back
to a digit. Training minimises

$$L(\theta,\phi \mid x) = \underbrace{-\mathbb E_{z\sim q_\phi(z|x)}[\log p_\theta(x|z)]}_{\text{reconstruction}}
+ \beta\,\underbrace{\mathrm{KL}(q_\phi(z|x)\,\|\,p(z))}_{\text{regularization}},\qquad z = \mu + \sigma\odot\epsilon,\ \epsilon\sim\mathcal N(0,I)$$

Without the KL term it is a plain **autoencoder** (AE): nothing ties its codes to $p(z)=\mathcal N(0,I)$.
"""

AE_VS_VAE = r"""
**Without regularization (AE) / with regularization (VAE).** Same network, same data; only the KL term differs.
The AE puts its codes wherever reconstruction is easiest: look at the axes of its map, far wider than the grey
circle where $z \sim \mathcal N(0, I)$ falls. So sampling $z \sim \mathcal N(0, I)$ only visits a corner of the AE's
codes and its decodes show a few kinds of digit (or smudges between clusters). The VAE packs its codes around the
origin, inside the circle and without holes, so $\mathcal N(0, I)$ covers every digit: that is what makes it a
*generative* model. The cards count the digit classes among 1,000 decodes of $z \sim \mathcal N(0, I)$, as judged
by our MNIST classifier: a class counts when at least 20 of the 1,000 decodes are that digit (a uniform
share would be 100). **KL** is $\mathrm{KL}(\hat p(y)\,\|\,\text{uniform}) = \sum_y \hat p(y) \log(10\,\hat p(y))$ in nats
over the classifier's labels $y$ of the decodes: 0 when the ten digits are equally common, $\ln 10 = 2.30$ when
every decode is the same digit.
"""

LIKELIHOOD_NOTE = """A Bernoulli decoder is a normalised density only over **binary** pixels, so the likelihood view
uses the 16-D VAE trained on binarized MNIST (`vae-bin-mnist`) and binarizes your input the way the test set was
binarized: each pixel is 1 with probability equal to its grey level (one draw with a fixed seed, so the same picture
always gets the same score). The histograms are the same model on 1,000 images of each set, binarized the same way.
The −ELBO is then an upper bound on −log p(x) of that binary image, in nats; −L₁₀₀, the importance-weighted
bound with k = 100 samples (Burda et al.), is tighter."""


# ---------------------------------------------------------------------------
# Cached models and maps (read-only, shared by all sessions)
# ---------------------------------------------------------------------------
def _name(choice: str) -> str:
    if choice not in MODELS:
        raise gr.Error(f"Model must be one of {', '.join(MODELS)}; got {choice!r}.")
    return MODELS[choice]


@functools.lru_cache(maxsize=None)
def load_model(name: str) -> vae.VAE:
    return load_checkpoint(vae.load, name, "You can still train a VAE live below.")


@functools.lru_cache(maxsize=None)
def test_set() -> tuple[np.ndarray, np.ndarray]:
    x, y = data.load("mnist", "test")
    return x.numpy(), y.numpy()


@functools.lru_cache(maxsize=None)
def latent_map(name: str):
    """Encodings of MAP_POINTS test digits, their labels, and the plotted extent (``vae.map_extent``)."""
    x, y = test_set()
    mu, extent = vae.latent_map(load_model(name), x[:MAP_POINTS])
    return mu, y[:MAP_POINTS], extent


@functools.lru_cache(maxsize=None)
def decoded_grid(name: str) -> np.ndarray:
    _, _, extent = latent_map(name)
    return framed(vae.decoded_grid(load_model(name), extent, GRID_N), extent, MAP_SIZE)


def map_image(name: str, marker=None) -> np.ndarray:
    """Encoded test digits; the grey circle is radius 2 around 0, where z ~ N(0, I) lands 86% of the time.
    The dots are drawn once per model; a click redraws only the marker and the axes."""
    return scatter_finish(_map_dots(name), latent_map(name)[2], marker, axes=True)


@functools.lru_cache(maxsize=None)
def _map_dots(name: str):
    mu, labels, extent = latent_map(name)
    return scatter_dots(mu, labels, extent, size=MAP_SIZE, circle=2.0, axes=True)


# ---------------------------------------------------------------------------
# Event handlers (each a plain function of widget values, also the API)
# ---------------------------------------------------------------------------
def decode_sliders(choice: str, *z):
    """Decode the slider values: the image you see while dragging."""
    name = _name(choice)
    model = load_model(name)
    vals = [number(f"z[{i}]", v, -5.0, 5.0) for i, v in enumerate(z[: model.latent])]
    if len(vals) < model.latent:
        raise gr.Error(f"This model needs {model.latent} latent values; got {len(vals)}.")
    return upscale(vae.decode_points(model, [vals])[0], 196)


def on_model_change(choice: str):
    """Show one slider per latent dimension, set them to the code of test digit 0, redraw maps."""
    name = _name(choice)
    model = load_model(name)
    z = vae.encode_points(model, test_set()[0][:1])[0].tolist()
    sliders = [gr.update(visible=i < model.latent, value=round(z[i], 2) if i < model.latent else 0.0)
               for i in range(MAX_DIMS)]
    map_name = _map_name(choice)
    note = ("" if model.latent == 2 else "The map below shows the **2-D VAE** (a 16-D space cannot be drawn); the sliders drive "
            "the 16-D model.")
    return (*sliders, decode_sliders(choice, *z), gr.update(maximum=model.latent - 1, value=0),
            map_image(map_name), decoded_grid(map_name), note)


def _map_name(choice: str) -> str:
    name = _name(choice)
    return name if load_model(name).latent == 2 else "vae2d-mnist"


def click_map(choice: str, evt: gr.SelectData):
    """A click on the map or the decoded grid: decode that point of latent space."""
    name = _map_name(choice)
    px, py = evt.index
    return decode_point(choice, *pixel_to_point(px, py, latent_map(name)[2], MAP_SIZE, axes=True))


def decode_point(choice: str, z1, z2):
    name = _map_name(choice)
    z1, z2 = number("z1", z1, -100, 100), number("z2", z2, -100, 100)
    img = upscale(vae.decode_points(load_model(name), [[z1, z2]])[0], 196)
    return img, map_image(name, marker=(z1, z2)), f"decoded z = ({z1:.2f}, {z2:.2f}) with the {name} model"


def _input_image(source: str, index, sketch, upload) -> np.ndarray:
    try:
        if source == "test digit":
            i = number("Test digit index", index, 0, 9999, integer=True)
            return test_set()[0][i]
        if source == "drawing":
            return sketch_to_mnist(sketch)
        if source == "upload":
            return to_mnist(upload)
    except ImageInputError as e:
        raise gr.Error(str(e)) from None
    raise gr.Error(f"Source must be 'test digit', 'drawing' or 'upload'; got {source!r}.")


def reconstruct(choice: str, source: str, index, sketch, upload):
    """x -> x̂ with the chosen model, and where x lands on the 2-D map; also fills the sliders."""
    x = _input_image(source, index, sketch, upload)
    name = _name(choice)
    model = load_model(name)
    r = vae.reconstruct(model, x)
    map_name = _map_name(choice)
    z2 = vae.encode_points(load_model(map_name), x)[0].tolist()
    sliders = [gr.update(value=round(float(r.z[i]), 2)) if i < model.latent else gr.skip() for i in range(MAX_DIMS)]
    items = [("lands at (2-D map)", f"({z2[0]:.2f}, {z2[1]:.2f})", "")]
    if r.neg_elbo is not None:
        items.append(("−ELBO on grey levels: a loss, not −log p(x) (see Likelihood)", f"{r.neg_elbo:.1f} nats", ""))
    else:
        items += [("−ELBO", vae.NO_ELBO, ""),
                  ("reconstruction error at z = μ (BCE)", f"{r.reconstruction_at_mu:.1f} nats", "")]
    info = cards(items)
    return (upscale(x, 196), upscale(r.x_hat, 196), map_image(map_name, marker=tuple(z2)), info, *sliders)


def traverse(choice: str, dim, *z):
    name = _name(choice)
    model = load_model(name)
    dim = number("Dimension", dim, 0, model.latent - 1, integer=True)
    vals = [number(f"z[{i}]", v, -5.0, 5.0) for i, v in enumerate(z[: model.latent])]
    strip = vae.traversal(model, vals, dim, np.linspace(-3, 3, 9))
    return grid(strip, nrow=9, pad=2, scale=3)


def ae_vs_vae(seed):
    from genmodels.metrics import load_classifier

    seed = check_seed(seed)
    out, stats = [], []
    for name, title in (("ae2d-mnist", "AE"), ("vae2d-mnist", "VAE")):
        decodes = vae.prior_decodes(load_model(name), 1000, seed, load_classifier("mnist"))
        counts, kl = decodes.class_counts, decodes.class_kl
        lo, hi = vae.code_span(latent_map(name)[0])
        stats += [(f"{title}: codes span (1-99%)", f"z₁ {lo[0]:.0f}…{hi[0]:.0f}, z₂ {lo[1]:.0f}…{hi[1]:.0f}", ""),
                  (f"{title}: classes among N(0, I) decodes (≥ {CLASS_MIN} of 1,000 each)",
                   f"{sum(c >= CLASS_MIN for c in counts)} of 10 · KL {kl:.2f}", "good" if kl < 0.1 else "bad")]
        out += [map_image(name), grid(decodes.images[:16], nrow=8, pad=2, scale=3)]
    return (*out, cards(stats))


PRIORS = {"z ~ N(0, I), the prior it was trained with": "standard",
          "z ~ a mixture of 10 Gaussians fitted to the training codes": "gmm"}


def prior_samples(prior: str, seed):
    """32 decodes of the 16-D VAE (``vae.sample``) with z from the chosen prior, as one picture."""
    if prior not in PRIORS.values():
        raise gr.Error(f"Prior must be one of {', '.join(PRIORS.values())}; got {prior!r}.")
    seed = check_seed(seed)
    try:
        x = vae.sample(load_model("vae-mnist"), 32, seed=seed, prior=prior)
    except ValueError as e:                         # no GMM fitted to these weights
        raise gr.Error(str(e)) from None
    return grid(x[:, 0], nrow=8, pad=2, scale=3)


@functools.lru_cache(maxsize=1)
def likelihood_model() -> tuple:
    """(model, binarized): vae-bin-mnist, or the grey-level 16-D VAE while that one is missing."""
    try:
        return load_model(LIKELIHOOD_MODEL), True
    except gr.Error:
        return load_model("vae-mnist"), False


@functools.lru_cache(maxsize=1)
def elbo_reference() -> pd.DataFrame:
    """Histograms of −ELBO under the likelihood model: MNIST test digits vs other images."""
    model, binarized = likelihood_model()
    sets = {"MNIST test digits": data.binarized_mnist_test()[0][:1000] if binarized else test_set()[0][:1000]}
    if data.available("fashion"):
        sets["Fashion-MNIST"] = data.load("fashion", "test")[0][:1000]
    try:
        sets["Animal-MNIST"] = data.load("animal", "test")[0][:1000]
    except data.DatasetMissing:
        pass
    edges = np.linspace(0, ELBO_MAX, 61)
    rows = []
    for label, x in sets.items():
        shares = vae.neg_elbo_histogram(model, x if label.startswith("MNIST") else vae.likelihood_input(x, binarized),
                                        edges)
        rows += [{"−ELBO (nats)": float(c), "share": float(s), "images": label}
                 for c, s in zip((edges[:-1] + edges[1:]) / 2, shares)]
    return pd.DataFrame(rows)


def likelihood(source: str, index, sketch, upload):
    model, binarized = likelihood_model()
    if source == "test digit" and binarized:      # the test digit exactly as in the reference histogram
        i = number("Test digit index", index, 0, 9999, integer=True)
        x = data.binarized_mnist_test()[0][i].numpy()
    else:
        x = vae.likelihood_input(_input_image(source, index, sketch, upload), binarized)[0]
    v, iwae = vae.likelihood_scores(model, x, 100)
    ref = elbo_reference()
    mnist = ref[ref["images"] == "MNIST test digits"]
    share_below = float(mnist[mnist["−ELBO (nats)"] < v]["share"].sum())
    peak = float(ref["share"].max())
    mark = pd.DataFrame([{"−ELBO (nats)": min(v, ELBO_MAX - 1.0), "share": 0.0, "images": "your image"},
                         {"−ELBO (nats)": min(v, ELBO_MAX - 1.0), "share": peak, "images": "your image"}])
    verdict = ("looks like a typical digit" if share_below < 0.95 else
               "is less likely than 95% of test digits: an outlier for this model")
    if binarized:
        text = (f"−ELBO = **{v:.1f} nats**, −L₁₀₀ = {iwae:.1f} nats: upper bounds on −log p(x) of the binarized "
                f"image shown; it {verdict}.")
    else:
        text = (f"−ELBO = **{v:.1f} nats** under the grey-level VAE (the binarized model `{LIKELIHOOD_MODEL}` is "
                f"missing): a loss, not a bound on −log p(x); it {verdict}.")
    return pd.concat([ref, mark], ignore_index=True), upscale(x, 140), text


def train_stream(latent, use_kl: bool, beta, steps, seed, mode: str, dataset: str = "mnist"):
    if dataset not in ("mnist", "fashion"):
        raise gr.Error(f"Dataset must be 'mnist' or 'fashion'; got {dataset!r}.")
    if not data.available(dataset):
        raise gr.Error("Fashion-MNIST is not installed here: apt-get install dataset-fashion-mnist (needs root).")
    latent = number("Latent size", latent, 2, 16, integer=True)
    beta = number("β", beta, 0.0, 10.0)
    steps = number("Steps", steps, 10, MAX_TRAIN_STEPS, integer=True)
    seed = check_seed(seed)
    model = None
    if mode == "continue from the checkpoint":
        if dataset != "mnist":
            raise gr.Error("The checkpoints were trained on MNIST: train Fashion-MNIST from scratch.")
        name = {(16, True): "vae-mnist", (2, True): "vae2d-mnist", (2, False): "ae2d-mnist"}.get((latent, bool(use_kl)))
        if name is None:
            raise gr.Error("No checkpoint for that combination: choose latent 16 or 2 with the KL term, or 2 without, "
                           "or train from scratch.")
        model = copy.deepcopy(load_model(name))     # never train the shared model
    elif mode != "from scratch":
        raise gr.Error(f"Mode must be 'from scratch' or 'continue from the checkpoint'; got {mode!r}.")
    cfg = vae.Config(dataset=dataset, latent=latent, kl=bool(use_kl), beta=beta, steps=steps, seed=seed, device="cpu")
    history, elbo = [], []
    metric = "test_neg_elbo" if use_kl else "test_reconstruction"
    metric_label = "test −ELBO" if use_kl else "test reconstruction at z = μ"
    every = max(5, steps // 60)
    start = model.steps if model is not None else 0     # the steps of this run, not the checkpoint's
    for r in vae.train(cfg, model=model, seconds=RECORD_SECONDS, every=every, preview_every=every * 5):
        step = r.step - start
        history.append({"step": step, "nats per image": r.losses["loss_recon"], "term": "reconstruction"})
        if "loss_kl" in r.losses:                      # a plain AE has no KL term (no prior)
            history.append({"step": step, "nats per image": r.losses["loss_kl"], "term": "KL"})
        if metric in r.metrics:
            elbo.append({"step": step, "test −ELBO": r.metrics[metric]})
        recon = r.preview.image() if r.preview is not None else gr.skip()
        status = (f"step {step} / {steps}" + (f" · {metric_label} {elbo[-1]['test −ELBO']:.1f} nats" if elbo else "")
                  + ("" if use_kl else " · −ELBO n/a (no prior)"))
        yield pd.DataFrame(history), pd.DataFrame(elbo), recon, status


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------
# On a phone the columns stack: keep the decoded digit in view while the sliders below it move.
PAGE_EXTRAS = """<style>
@media (max-width: 640px) {
  #vae-decoded-col { position: sticky; top: 0; z-index: 20; background: var(--background-fill-primary); }
  #vae-decoded { height: 130px !important; }
  .gradio-container:has(#vae-decoded-col) { overflow: clip; }  /* "hidden" would stop sticky from sticking */
}
.vae-caption p { margin: 0 0 2px 0 !important; font-size: 0.9em; opacity: 0.85; }
</style>"""
def _captioned_image(caption: str, min_width: int = 160, **kwargs) -> gr.Image:
    """An image with its caption above it, not drawn over its top-left corner (where a digit grid's
    first row is) and never cut short. Digit grids also pass ``buttons=[]``: the image toolbar
    would cover the top row's right end."""
    with gr.Column(min_width=min_width):
        gr.Markdown(caption, elem_classes="vae-caption")
        return gr.Image(label=caption, show_label=False, **PIXELS, **kwargs)


ARRIVAL_RUNS = checkpoints.CHECKPOINT_DIR / "runs"


def arrival(init_z) -> dict:
    """What the sections below the sliders open on ({section: outputs}; a section whose checkpoint is
    missing opens empty): test digit 0 traversed, reconstructed and scored, z = (0, 0) decoded, and
    AE vs VAE from seed 0. The slow two (AE vs VAE, the likelihood's histograms) are kept in
    checkpoints/runs/ (``genmodels.arrival``), keyed by their checkpoints' sha256."""
    out, first = {}, "VAE, 16-D latent"
    for section, make in (
            ("traversal", lambda: traverse(first, 0, *init_z)),
            ("reconstruct", lambda: reconstruct(first, "test digit", 0, None, None)[:4]),
            ("point", lambda: decode_point(first, 0.0, 0.0))):
        try:
            out[section] = make()
        except Exception:                               # noqa: BLE001 - opens empty; its button explains
            pass
    try:
        z = arrival_cache.cached(ARRIVAL_RUNS / f"vae-compare-s0-{arrival_cache.key('ae2d-mnist', 'vae2d-mnist', 'classifier-mnist')}.npz",
                                 lambda: dict(zip(("ae_map", "ae_samples", "vae_map", "vae_samples", "cards"), ae_vs_vae(0))))
        out["compare"] = (z["ae_map"], z["ae_samples"], z["vae_map"], z["vae_samples"],
                          "<p><em>On arrival: seed 0.</em></p>" + str(z["cards"]))
    except Exception:                                   # noqa: BLE001
        pass
    try:
        def lik():
            frame, img, text = likelihood("test digit", 0, None, None)
            return {**{f"col{i}": frame[c].to_numpy() for i, c in enumerate(frame.columns)},
                    "columns": np.array(list(frame.columns)), "img": img, "text": text}
        z = arrival_cache.cached(ARRIVAL_RUNS / f"vae-likelihood-{arrival_cache.key(LIKELIHOOD_MODEL, 'vae-mnist')}.npz", lik)
        frame = pd.DataFrame({str(c): z[f"col{i}"] for i, c in enumerate(z["columns"])})
        out["likelihood"] = (frame, z["img"], f"*On arrival: test digit 0.* {z['text']}")
    except Exception:                                   # noqa: BLE001
        pass
    return out


def build() -> None:
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    gr.HTML(PAGE_EXTRAS, padding=False)
    try:
        init = on_model_change("VAE, 16-D latent")
        init_z = [u.get("value", 0.0) for u in init[:MAX_DIMS]]
        init_decoded, init_map, init_grid, init_note = init[MAX_DIMS], init[MAX_DIMS + 2], init[MAX_DIMS + 3], init[-1]
    except gr.Error as e:   # a missing checkpoint leaves the tab usable: train one below
        init_z, init_decoded, init_map, init_grid = [0.0] * MAX_DIMS, None, None, None
        init_note = f"⚠ {e.message}"
    shown = arrival(init_z)
    choice = gr.Radio(list(MODELS), value="VAE, 16-D latent", label="Model", elem_id="vae-model")
    link(choice, 'model')
    with gr.Row():
        with gr.Column(scale=1, min_width=220, elem_id="vae-decoded-col"):
            decoded = _captioned_image("decoded x̂(z)", value=init_decoded, elem_id="vae-decoded", height=200)
        with gr.Column(scale=3):
            gr.Markdown("**Slide through latent space**: the digit is decoded as you drag.")
            sliders = []
            for row in range(MAX_DIMS // 4):
                with gr.Row():
                    sliders += [gr.Slider(-3, 3, value=init_z[i], step=0.05, label=f"z[{i}]", elem_id=f"vae-z{i}",
                                          min_width=120) for i in range(4 * row, 4 * row + 4)]
    with gr.Row(equal_height=True):
        dim = gr.Slider(0, 15, value=0, step=1, label="Traverse dimension", elem_id="vae-dim", scale=2)
        link(dim, 'dim')
        trav_btn = gr.Button("Show traversal", elem_id="vae-trav-btn", scale=1)
    traversal = _captioned_image("Traversal: the chosen dimension from −3 to 3, the others as on the sliders",
                                 elem_id="vae-traversal", height=120, buttons=[], value=shown.get("traversal"))

    gr.Markdown("### The 2-D latent map\nTest digits where the encoder puts them (μ, coloured by class), beside what "
                "the decoder makes of the same area. **Click either picture** to decode that point.")
    note = gr.Markdown(init_note, elem_id="vae-map-note")
    gr.HTML(legend_html())
    with gr.Row():
        map_img = _captioned_image("encoded test digits μ(x), axes z₁, z₂", 300, value=init_map, elem_id="vae-map",
                                   height=MAP_SIZE, interactive=False)
        grid_img = _captioned_image("decoded grid x̂(z) over the same area", 300, value=init_grid, elem_id="vae-grid",
                                    height=MAP_SIZE, interactive=False, buttons=[])
        with gr.Column(min_width=200):
            point0 = shown.get("point", (None, None, ""))
            point_img = _captioned_image("decoded at the click", elem_id="vae-point", height=200, value=point0[0])
            point_info = gr.Markdown(point0[2] and f"On arrival: {point0[2]}.", elem_id="vae-point-info")

    gr.Markdown("### Reconstruct a digit: a test digit, your drawing or an upload\nDrawings and uploads reach the "
                "model as MNIST's digits were made: strokes of MNIST's thickness, a 20×20 box, centred by centre of "
                "mass on 28×28. The left picture is exactly what the model received.")
    with gr.Row():
        with gr.Column():
            source = gr.Radio(["test digit", "drawing", "upload"], value="test digit", label="Input",
                              elem_id="vae-source")
            index = gr.Slider(0, 9999, value=0, step=1, label="Test digit index", elem_id="vae-index")
            link(index, 'index')
            rec_btn = gr.Button("Reconstruct", variant="primary", elem_id="vae-rec-btn")
            with gr.Row():
                sketch = sketchpad("vae-sketch", "Draw a digit", height=260, min_width=200)
                upload = UploadImage(type="filepath", label="…or upload a picture", height=260, min_width=160,
                                     elem_id="vae-upload")
        with gr.Column():
            with gr.Row():
                rec0 = shown.get("reconstruct", (None, None, None, ""))
                rec_in = _captioned_image("x: what the model received", elem_id="vae-rec-in", height=160, value=rec0[0])
                rec_out = _captioned_image("reconstruction x̂", elem_id="vae-rec-out", height=160, value=rec0[1])
            rec_info = gr.HTML(rec0[3] and "<p><em>On arrival: test digit 0, the 16-D VAE.</em></p>" + rec0[3],
                               elem_id="vae-rec-info")
            rec_map = _captioned_image("where x lands on the 2-D map", elem_id="vae-rec-map", height=260, value=rec0[2])

    gr.Markdown("### AE vs VAE")
    gr.Markdown(AE_VS_VAE, latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(scale=1, min_width=160):
            seed_cmp = seed_input("Seed for z ~ N(0, I)")
            cmp_btn = gr.Button("Compare", elem_id="vae-cmp-btn", variant="primary")
        with gr.Column(scale=4):
            cmp0 = shown.get("compare", (None,) * 4 + ("",))
            cmp_cards = gr.HTML(cmp0[4], elem_id="vae-cmp-cards")
    with gr.Row():
        ae_map = _captioned_image("AE: encoded test digits", 200, height=260, elem_id="vae-ae-map", value=cmp0[0])
        ae_samples = _captioned_image("AE: decodes of z ~ N(0, I)", 200, height=130, elem_id="vae-ae-samples", value=cmp0[1],
                                      buttons=[])
        vae_map = _captioned_image("VAE: encoded test digits", 200, height=260, elem_id="vae-vae-map", value=cmp0[2])
        vae_samples = _captioned_image("VAE: decodes of z ~ N(0, I)", 200, height=130, elem_id="vae-vae-samples", value=cmp0[3],
                                       buttons=[])

    gr.Markdown("### Sampling the 16-D VAE: where z comes from\nThe codes of the training digits do not fill "
                "$\\mathcal N(0, I)$: some $z \\sim \\mathcal N(0, I)$ land between digits and decode to blurs. "
                "A mixture of 10 Gaussians fitted to the codes after training (Ghosh et al. 2020) samples where the "
                "digits are; the decoder is the same.", latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(scale=1, min_width=160):
            prior = gr.Radio([(k, v) for k, v in PRIORS.items()], value="standard", label="Sample z from",
                             elem_id="vae-prior")
            seed_prior = seed_input("Seed of the samples", elem_id="vae-prior-seed")
            prior_btn = gr.Button("Sample", elem_id="vae-prior-btn", variant="primary")
        prior_img = _captioned_image("32 decodes x̂(z) of the 16-D VAE, z from the chosen prior", 300, height=170,
                                     elem_id="vae-prior-samples", buttons=[])

    gr.Markdown("### Likelihood: is this image an outlier? (seed 003)\nTypical digits score a low −ELBO; clothes, "
                "animals or scribbles a high one. Scores the input chosen above (test digit, drawing or upload).")
    gr.Markdown(LIKELIHOOD_NOTE)
    with gr.Row():
        with gr.Column(min_width=200, scale=1):
            lik_btn = gr.Button("Score the input", elem_id="vae-lik-btn", variant="primary")
            lik0 = shown.get("likelihood", (None, None, ""))
            lik_img = _captioned_image("scored image (binarized)", height=140, elem_id="vae-lik-img", value=lik0[1])
            lik_text = gr.Markdown(lik0[2], elem_id="vae-lik-text")
        with gr.Column(scale=3):
            lik_plot = gr.LinePlot(x="−ELBO (nats)", y="share", color="images",
                                   title="−ELBO under the binarized 16-D VAE, 1,000 images per set",
                                   elem_id="vae-lik-plot", value=lik0[0])

    _, panel = training_panel("vae", "Train a VAE live (reconstruction and KL stream; Stop works)",
                              (10, MAX_TRAIN_STEPS, 600, 10), modes=["from scratch", "continue from the checkpoint"],
                              steps_label="Steps (batch 128)")
    with panel.controls:
        t_dataset = gr.Radio([("MNIST", "mnist")] + ([("Fashion-MNIST", "fashion")] if data.available("fashion")
                                                     else []), value="mnist", label="Data")
        t_latent = gr.Radio([2, 16], value=2, label="Latent size")
        t_kl = gr.Checkbox(value=True, label="KL term on (off = plain autoencoder)")
        t_beta = gr.Slider(0, 10, value=1.0, step=0.1, label="β (weight of the KL term)")
    with panel.plots:
        t_curves = gr.LinePlot(x="step", y="nats per image", color="term",
                               title="Reconstruction and KL (nats per image; an AE has no KL)",
                               elem_id="vae-t-curves")
        t_elbo = gr.LinePlot(x="step", y="test −ELBO",
                             title="Test −ELBO on grey levels (AE: reconstruction at z = μ), 2,000 test images",
                             elem_id="vae-t-elbo")
        t_recon = _captioned_image("test digits (top) and their reconstructions (bottom)",
                                   elem_id="vae-t-recon", buttons=[])

    light = {"concurrency_id": "vae_light", "concurrency_limit": 8}
    on_model_outputs = [*sliders, decoded, dim, map_img, grid_img, note]
    choice.change(on_model_change, [choice], on_model_outputs, api_name="vae_model", **light)
    for s in sliders:
        s.change(decode_sliders, [choice, *sliders], [decoded], api_name=False, show_progress="hidden",
                 trigger_mode="always_last", queue=False)
    gr.Button(visible=False).click(decode_sliders, [choice, *sliders], [decoded], api_name="vae_decode", queue=False,
                                   show_progress="hidden")
    trav_btn.click(traverse, [choice, dim, *sliders], [traversal], api_name="vae_traverse", **light)
    describe(point_img, "Digit decoded at the clicked point of the map", state=point_info)   # text alternatives
    for image in (rec_in, rec_out, rec_map):
        describe(image, image.label, state=rec_info)
    map_img.select(click_map, [choice], [point_img, map_img, point_info], api_name=False, queue=False)
    grid_img.select(click_map, [choice], [point_img, map_img, point_info], api_name=False, queue=False)
    z1, z2 = gr.Number(visible=False), gr.Number(visible=False)
    gr.Button(visible=False).click(decode_point, [choice, z1, z2], [point_img, map_img, point_info],
                                   api_name="vae_decode_point", queue=False, show_progress="hidden")
    rec_btn.click(reconstruct, [choice, source, index, sketch, upload],
                  [rec_in, rec_out, rec_map, rec_info, *sliders], api_name="vae_reconstruct", **light)
    cmp_btn.click(ae_vs_vae, [seed_cmp], [ae_map, ae_samples, vae_map, vae_samples, cmp_cards], api_name="vae_compare",
                  **light)
    prior_btn.click(prior_samples, [prior, seed_prior], [prior_img], api_name="vae_prior_samples", **light)
    lik_btn.click(likelihood, [source, index, sketch, upload], [lik_plot, lik_img, lik_text],
                  api_name="vae_likelihood", **light)
    # Drawing, uploading or picking a test digit selects that input, so Reconstruct uses what you just gave it
    sketch.change(None, None, source, js="() => 'drawing'", api_name=False)
    upload.upload(None, None, source, js="() => 'upload'", api_name=False)
    index.release(None, None, source, js="() => 'test digit'", api_name=False)
    # on a phone the result column sits below the sketchpad and the upload: bring it into view
    rec_btn.click(None, None, None, api_name=False, js="() => { if (window.innerWidth < 640) "
                  "document.querySelector('#vae-rec-in')?.scrollIntoView({behavior: 'smooth', block: 'start'}); }")
    panel.wire(train_stream, [t_latent, t_kl, t_beta, panel.steps, panel.seed, panel.mode, t_dataset],
               [t_curves, t_elbo, t_recon, panel.status], "vae_train")
    from .failures import gallery; gallery("vae")   # noqa: E702 (the failure gallery, one line)
