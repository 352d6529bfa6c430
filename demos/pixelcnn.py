"""PixelCNN tab: an autoregressive model with an exact likelihood (seed decks 002, 003; issue 16).

A thin adapter: widgets -> genmodels.pixelcnn (which computes every picture, number and
histogram) -> images, plots and text. No torch here.
"""
from __future__ import annotations

import functools

import gradio as gr
import pandas as pd

from genmodels import checkpoints, pixelcnn as P
from genmodels.imaging import ImageInputError, sketch_to_mnist, to_mnist, upscale

from .links import link
from .common import (LATEX, describe, UploadImage, cards, check_seed, load_checkpoint, long_job, number,
                     seed_input, sketchpad, training_panel)

CHECKPOINT = "pixelcnn-mnist"
VAE_CHECKPOINT = "vae-bin-mnist"
REFERENCE = checkpoints.CHECKPOINT_DIR / "runs" / "pixelcnn-reference.json"
MAX_LIVE_STEPS = 3000
N_SAMPLES = 16
LIGHT = {"concurrency_id": "pixelcnn_light", "concurrency_limit": 2}

INTRO = r"""
### PixelCNN: the chain rule as a model, and an exact likelihood
A fully visible belief network writes the probability of an image with the chain rule, one pixel at a time, in a
fixed **ordering** of its $n = 28 \cdot 28 = 784$ pixels (here the raster scan: row by row from the top, left to right):
$$p_\theta(x) = \prod_{k=1}^{784} p_\theta(x_k \mid x_1, \dots, x_{k-1}), \qquad x_k \text{ is pixel } (r, c) \text{ with } k = 28r + c + 1.$$
The pixels are binary (binarized MNIST), so each factor is a Bernoulli with mean $\sigma(\ell_k)$, where the logit
$\ell_k$ is computed by a convolutional network that sees only $x_{<k}$ (its convolutions are **masked**), and
$$-\log p_\theta(x) = -\sum_{k=1}^{784} \big[x_k \log \sigma(\ell_k) + (1 - x_k) \log(1 - \sigma(\ell_k))\big] \quad\text{nats}, \qquad
\text{bits/dim} = \frac{-\log p_\theta(x)}{784 \ln 2}.$$
This is exact, not a bound (the VAE's $-\text{ELBO}$ is a bound). One pass of the network gives all 784 factors.
"""

CHAIN = r"""
### The chain rule, visible: sampling pixel by pixel
For $k = 1, \dots, 784$ in order: compute $\ell_k$ from the pixels drawn so far, then draw
$x_k = [u_k < \sigma(\ell_k)]$ with $u_k \sim \mathcal U(0, 1)$ (the $u_k$ come from the seed: same seed, same
images), so $x_k \sim \text{Bernoulli}(\sigma(\ell_k))$. Left: the 16 images so far (slate: not drawn yet, red: the
next pixel). Right: $p_\theta(x_k = 1 \mid x_{<k})$ of every pixel when it was drawn; dark purple $= 0$, yellow $= 1$.
Each pixel needs the earlier ones, so sampling takes 784 steps; the rows above stay fixed, so the network's
vertical stack is computed once per row and each pixel only adds its own column (a cache).
"""

FIELD = r"""
### The ordering and the mask: which pixels may $x_k$ depend on?
**Click a pixel** (or give its row and column). Blue: the input pixels its logit $\ell_k$ depends on, computed
through the masked layers (a gradient); red: $x_k$ itself; white: $x_k$ and everything after it, masked out;
orange: earlier pixels within the kernels' reach that it **never** sees, the **blind spot**; grey: earlier pixels
out of reach. The **plain stack** (a $7{\times}7$ mask-A convolution, then $3{\times}3$ mask-B ones: mask A drops the
centre, mask B keeps it) reaches up-right only by also going up a row, so its field is a cone leaning left. The
**gated PixelCNN** (the checkpoint) splits it into a vertical stack (whole rows above) and a horizontal stack (the
row so far, fed the vertical stack's features): no blind spot. Both here have the checkpoint's layers and kernels.
"""

INPUT = r"""
### Your input: a test digit, a drawing, an upload or a simple image
Completion, likelihood and exact-vs-bound below use it. Drawings and uploads are framed as MNIST's digits were made
(strokes of MNIST's thickness, a 20×20 box, centred by centre of mass on 28×28), then **binarized** as the test set
was: each pixel is 1 with probability its grey level, one draw with a fixed seed (the same picture, the same score).
A test digit is taken from the fixed binarized test set as it is.
"""

COMPLETE = r"""
### Completion: condition on the rows above, sample the rest
Rows $< R$ are kept; rows $\ge R$ are sampled in the model's order, each pixel from
$p_\theta(x_k \mid x_{<k})$, several times with different $u_k$. **Why only "the rest after a point in the order"?**
The model gives $p_\theta(x_k \mid x_{<k})$ and nothing else: conditioning on a *prefix* $x_{<k}$ is just continuing
the chain rule. Conditioning on any other set (say the bottom half, or the left half) would need
$p(x_{\text{top}} \mid x_{\text{bottom}}) = p(x)/p(x_{\text{bottom}})$, and $p(x_{\text{bottom}})$ sums $p(x)$ over
all $2^{392}$ top halves. The same prefix is also scored exactly: $-\log p_\theta(x_{<28R}) = $ the first $28R$ terms.
"""

LIKELIHOOD = r"""
### Exact likelihood: is this image an outlier?
$-\log p_\theta(x)$ of your input against histograms of 1,000 binarized test images of each set: MNIST digits (what
the model was trained on), Fashion-MNIST and Animal-MNIST. **The known failure**: an exact likelihood rewards what
is easy to predict, so simple, low-detail images that are not digits at all (a blank image, a bar, a square: choose
"simple image") score as *more* likely than most real digits, the blank image and the bar than almost all of them. A high likelihood does not mean "looks like the
training data" (Nalisnick et al. 2019 found the same for far larger models).
"""

BOUND = r"""
### Exact vs bound: PixelCNN beside a VAE on the same binarized digits
`vae-bin-mnist` (a 16-D VAE trained on the same dynamically binarized MNIST) gives upper bounds on **its own**
$-\log p_{\text{VAE}}(x)$: $-\text{ELBO}$ and the importance-weighted
$-\mathcal L_k = -\log \frac{1}{k} \sum_{i=1}^{k} \frac{p(x \mid z_i)\,p(z_i)}{q(z_i \mid x)}$, $z_i \sim q(z \mid x)$, which
tightens towards $-\log p_{\text{VAE}}(x)$ as $k$ grows ($-\mathcal L_1$ is $-\text{ELBO}$ with another $z$). PixelCNN's
$-\log p_\theta(x)$ needs no $k$: it is exact. Lower is better for every column (nats of the binarized image).
"""


@functools.lru_cache(maxsize=1)
def model():
    return load_checkpoint(P.load, CHECKPOINT, "Train a small PixelCNN live at the bottom of this tab.")


@functools.lru_cache(maxsize=1)
def vae_model():
    return load_checkpoint(P.load_vae, VAE_CHECKPOINT, "The VAE's bounds need it.")


@functools.lru_cache(maxsize=1)
def reference() -> dict:
    """Likelihoods of the reference sets under both checkpoints (computed once, kept in checkpoints/runs/)."""
    try:
        vae = vae_model()
    except gr.Error:
        vae = None
    return P.cached_reference(model(), vae, REFERENCE)


def _error(e: Exception) -> gr.Error:
    return gr.Error(str(e))


# -- the chain rule ----------------------------------------------------------------------------
def chain_stream(seed):
    seed = check_seed(seed)
    m = model()
    for f in P.chain_frames(m, N_SAMPLES, seed=seed):
        state = "done" if f.done else "sampling"
        status = (f"{state}: step {f.k + 1} of 784, pixel x_{f.k + 1} = ({f.row}, {f.col}) drawn in all {N_SAMPLES} "
                  f"images, {f.seconds:.1f} s. {_last_factor(f.k, f.p_last[0])}")
        yield f.images, f.heat, status


def _last_factor(k: int, p: float) -> str:
    return f"Image 1's last factor: p(x_{k + 1} = 1 | x_<{k + 1}) = {p:.3f}."


# -- the ordering and the mask ---------------------------------------------------------------------
def _cfg():
    try:
        return model().cfg
    except gr.Error:
        return P.Config()


def field(row, col):
    i = number("Row", row, 0, 27, integer=True)
    j = number("Column", col, 0, 27, integer=True)
    (plain, ps), (gated, gs) = (P.field_panel(_cfg(), arch, i, j) for arch in ("plain", "gated"))
    text = (f"Pixel ({i}, {j}) is $x_{{{gs.before + 1}}}$: {gs.before} pixels come before it in the ordering, "
            f"{gs.reach} of them within the kernels' reach. **Plain stack**: its logit depends on {ps.seen}, "
            f"blind spot {ps.blind}. **Gated**: {gs.seen}, blind spot {gs.blind}.")
    return plain, gated, text, i, j


def click_field(evt: gr.SelectData):
    i, j = P.pixel_at(*evt.index[:2])
    return field(i, j)


# -- the input -------------------------------------------------------------------------------------
def _binary(source, index, sketch, upload, simple):
    try:
        if source == "test digit":
            return P.binary_input(source, index=number("Test digit index", index, 0, 9999, integer=True))
        if source == "drawing":
            return P.binary_input(source, grey=sketch_to_mnist(sketch))
        if source == "upload":
            if upload is None:
                raise gr.Error("No upload: choose a picture file first.")
            return P.binary_input(source, grey=to_mnist(upload))
        return P.binary_input(source, simple=simple)
    except (ImageInputError, ValueError) as e:
        raise _error(e) from None


def complete(source, index, sketch, upload, simple, known_rows, n, seed):
    r = number("Known rows R", known_rows, 1, 27, integer=True)
    n = number("Completions", n, 1, 16, integer=True)
    seed = check_seed(seed)
    x = _binary(source, index, sketch, upload, simple)
    c = P.completion_panel(model(), x, r, n, seed=seed)
    return c.given, c.grid, _complete_text(r, n, c.nll_known, c.original_nll, c.nll)


def _complete_text(r: int, n: int, nll_known: float, original_nll: float, nll) -> str:
    return (f"Kept rows 0…{r - 1} ({28 * r} pixels), sampled rows {r}…27 ({28 * (28 - r)} pixels) {n} times. "
            f"−log p(rows < {r}) = **{nll_known:.1f} nats** (exact, the first {28 * r} factors); the whole input "
            f"scores {original_nll:.1f} nats, the completions {min(nll):.1f} … {max(nll):.1f} nats.")


# -- likelihood and bounds -----------------------------------------------------------------------------
X_NAME = "−log p(x) (nats)"


def likelihood(source, index, sketch, upload, simple):
    x = _binary(source, index, sketch, upload, simple)
    return _likelihood_view(x, float(P.nll(model(), x)[0]))


def _likelihood_view(x, v: float):
    """The likelihood section's outputs for the binary image x with −log p(x) = v nats."""
    ref = reference()
    rows = P.histogram_rows(ref["nll"], x_name=X_NAME)
    peak = max(row["share"] for row in rows)
    mark = min(v, P.NLL_MAX - 1.0)
    frame = pd.DataFrame(rows + [{X_NAME: mark, "share": 0.0, "images": "your image"},
                                 {X_NAME: mark, "share": peak, "images": "your image"}])
    digits = ref["nll"]["MNIST test digits"]
    below = P.share_below(digits, v)
    verdict = ("less likely than 95% of test digits: an outlier for this model" if below >= 0.95 else
               f"more likely than {100 * (1 - below):.0f}% of test digits" if below < 0.05 else
               f"within the test digits' range ({100 * below:.0f}% of them are likelier)")
    text = (f"−log p(x) = **{v:.1f} nats** ({P.bits_per_dim(v):.3f} bits/dim), exact, for the binarized image shown: "
            f"{verdict}.")
    simple_cards = cards([(f"{name}: −log p(x)", f"{nats:.1f} nats",
                           "bad" if P.share_below(digits, nats) < 0.05 else "")
                          for name, nats in ref["simple"].items()])
    return frame, upscale(x, 140), text, simple_cards


def bounds(source, index, sketch, upload, simple, seed):
    seed = check_seed(seed)
    x = _binary(source, index, sketch, upload, simple)
    exact = float(P.nll(model(), x)[0])
    vb = {k: float(v[0]) for k, v in P.vae_bounds(vae_model(), x[None], seed=seed).items()}
    frame, top, table = _bounds_view(exact, vb)
    return gr.BarPlot(frame, y_lim=[0, top]), table


def _bounds_view(exact: float, vb: dict):
    """The exact-vs-bound section's outputs: PixelCNN's −log p(x) = ``exact`` and the VAE's bounds ``vb``."""
    ref = reference().get("bounds", {})
    mine = [{"quantity": "PixelCNN −log p(x)", "nats": exact, "images": "your input"}] + \
        [{"quantity": k, "nats": v, "images": "your input"} for k, v in vb.items()]
    means = [{"quantity": k, "nats": sum(v) / len(v), "images": f"mean of test digits 1…{len(v)}"}
             for k, v in ref.items()]
    table = "| | " + " | ".join(r["quantity"] for r in mine) + " |\n|---|" + "---|" * len(mine) + "\n"
    table += "| your input | " + " | ".join(f"{r['nats']:.1f}" for r in mine) + " |\n"
    if means:
        by = {r["quantity"]: r["nats"] for r in means}
        table += f"| {means[0]['images']} | " + " | ".join(
            f"{by.get(r['quantity'], float('nan')):.1f}" for r in mine) + " |\n"
    top = max(r["nats"] for r in mine) * 1.1                   # bars from 0: their heights compare
    return pd.DataFrame(mine), top, table


# -- train live ------------------------------------------------------------------------------------------
def train_stream(channels, layers, steps, seed):
    channels = number("Channels", channels, 4, 64, integer=True)
    layers = number("Gated layers", layers, 1, 8, integer=True)
    steps = number("Steps", steps, 20, MAX_LIVE_STEPS, integer=True)
    seed = check_seed(seed)
    cfg = P.Config(**{**P.LIVE_CONFIG.__dict__, "channels": channels, "layers": layers, "steps": steps, "seed": seed})
    for f in P.live_run(cfg, eval_every=max(20, steps // 10)):
        loss = pd.DataFrame([{"step": s, "nats per image": v} for s, v in f.loss])
        test = pd.DataFrame([{"step": s, "test −log p(x)": v} for s, v in f.test_nll])
        last = f"test −log p(x) {f.test_nll[-1][1]:.1f} nats on {f.test_images} images" if f.test_nll else \
            "first test evaluation at step " + str(max(20, steps // 10))
        status = f"{'done' if f.done else 'training'}: step {f.step} of {steps}, batch −log p(x) {f.loss[-1][1]:.1f} nats; {last}"
        yield loss, test, (f.samples if f.samples is not None else gr.skip()), status


# -- layout --------------------------------------------------------------------------------------------------
def _image(label: str, elem_id: str, **kw) -> gr.Image:
    """An output picture, sent as PNG: pixel art stays crisp and its colours exact (WebP blurs both)."""
    return gr.Image(label=label, elem_id=elem_id, interactive=False, buttons=[], format="png", **kw)


def _card_text() -> str:
    try:
        c = model().card
    except gr.Error as e:
        return f"⚠ {e.message}"
    m = c["metrics"]
    return (f"Checkpoint `{CHECKPOINT}`: {c['kind']}, {c['parameters']:,} parameters, {c['steps']:,} steps on "
            f"{c['device']}. Test −log p(x) = **{m['test_nll']:.2f} nats** per image = {m['bits_per_dim']:.3f} bits/dim "
            f"on all {m['test_images']:,} images of the fixed binarized test set.")


def arrival() -> dict | None:
    """The tab's opening results (``P.recorded_arrival``, kept in checkpoints/runs/, keyed by the
    checkpoints' sha256): {section: its outputs}, each caption naming the settings; None without the
    checkpoint (the tab still opens; its buttons explain)."""
    try:
        m = model()
        try:
            vae = vae_model()
        except gr.Error:
            vae = None
        sha = lambda x: (getattr(x, "card", None) or {}).get("sha256", "nosha")[:12] if x is not None else "novae"
        path = checkpoints.CHECKPOINT_DIR / "runs" / f"pixelcnn-arrival-{sha(m)}-{sha(vae)}.npz"
        a = P.recorded_arrival(m, vae, path)
        s = a["settings"]
        digit = f"test digit {s['index']} (binarized test set)"
        out = {"chain": (a["chain_images"], a["chain_heat"],
                         f"*On arrival: a finished run, {s['n']} samples from seed {s['seed']}, computed once and kept "
                         f"on disk. Press **Sample** to watch the chain rule draw them pixel by pixel.* done: step 784 "
                         f"of 784. {_last_factor(783, a['chain_p_last'][0])}"),
               "complete": (a["given"], a["grid"],
                            f"*On arrival: {digit}, R = {s['known_rows']}, {s['completions']} completions from seed "
                            f"{s['seed']}.* " + _complete_text(s["known_rows"], s["completions"], a["nll_known"],
                                                               a["original_nll"], a["nll"]))}
        frame, img, text, simple = _likelihood_view(a["x"], a["nll_x"])
        out["likelihood"] = (frame, img, f"*On arrival: {digit}.* {text}", simple)
        if a["bounds"]:
            frame, top, table = _bounds_view(a["nll_x"], a["bounds"])
            out["bounds"] = (frame, top, f"*On arrival: {digit}, z ~ q(z | x) from seed {s['bound_seed']}.*\n\n{table}")
        return out
    except Exception:                                   # noqa: BLE001 - the tab still opens; the buttons explain
        return None


def build() -> None:
    shown = arrival() or {}
    chain0 = shown.get("chain", (None, None, ""))
    complete0 = shown.get("complete", (None, None, ""))
    lik0 = shown.get("likelihood", (None, None, "", ""))
    bound0 = shown.get("bounds", (None, None, ""))
    gr.Markdown(INTRO, latex_delimiters=LATEX)
    gr.Markdown(_card_text(), elem_id="pcnn-card")

    gr.Markdown(CHAIN, latex_delimiters=LATEX)
    with gr.Row(equal_height=False, elem_classes="gm-result-row"):
        with gr.Column(min_width=200, scale=1):
            c_seed = seed_input(elem_id="pcnn-seed")
            with gr.Row():
                c_btn = gr.Button(f"Sample {N_SAMPLES} images", variant="primary", elem_id="pcnn-sample-btn")
                c_stop = gr.Button("Stop", variant="stop", elem_id="pcnn-sample-stop")
            c_status = gr.Markdown(chain0[2], elem_id="pcnn-chain-status")
        with gr.Column(min_width=260, scale=2, elem_classes="gm-result"):
            c_images = _image("the images so far (slate: not drawn yet, red: next pixel)", "pcnn-chain-images",
                              value=chain0[0])
        with gr.Column(min_width=260, scale=2, elem_classes="gm-result"):
            c_heat = _image("p(x_k = 1 | x_<k) of each pixel drawn", "pcnn-chain-heat", value=chain0[1])
            gr.Markdown("colour scale: p = 0 (left) … p = 1 (right)")
            gr.Image(P.heat_scale(), show_label=False, interactive=False, buttons=[], height=30,
                     elem_id="pcnn-heat-scale", container=False)

    gr.Markdown(FIELD, latex_delimiters=LATEX)
    plain0, gated0, text0, i0, j0 = field(14, 10)
    with gr.Row():
        with gr.Column(min_width=160, scale=1):
            f_row = gr.Number(value=i0, precision=0, minimum=0, maximum=27, label="Row (0 = top)", elem_id="pcnn-row")
            f_col = gr.Number(value=j0, precision=0, minimum=0, maximum=27, label="Column (0 = left)",
                              elem_id="pcnn-col")
            f_btn = gr.Button("Show", elem_id="pcnn-field-btn")
            f_text = gr.Markdown(text0, elem_id="pcnn-field-text", latex_delimiters=LATEX)
        f_plain = _image("plain stack (mask A, then mask B): click a pixel", "pcnn-field-plain", value=plain0,
                         min_width=200)
        f_gated = _image("gated PixelCNN (vertical + horizontal stacks): click a pixel", "pcnn-field-gated",
                         value=gated0, min_width=200)

    gr.Markdown(INPUT)
    with gr.Row():
        with gr.Column(min_width=220):
            source = gr.Radio(list(P.INPUT_KINDS), value="test digit", label="Input", elem_id="pcnn-source")
            index = gr.Slider(0, 9999, value=0, step=1, label="Test digit index", elem_id="pcnn-index")
            link(index, 'index')
            simple = gr.Dropdown(list(P.simple_images()), value="blank (all black)", label="Simple image",
                                 elem_id="pcnn-simple")
        sketch = sketchpad("pcnn-sketch", min_width=200)
        upload = UploadImage(type="filepath", label="…or upload a picture", height=260, min_width=160,
                             elem_id="pcnn-upload")
    inputs = [source, index, sketch, upload, simple]

    gr.Markdown(COMPLETE, latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(min_width=200, scale=1):
            k_rows = gr.Slider(1, 27, value=14, step=1, label="Known rows R (rows 0 … R − 1 kept)",
                               elem_id="pcnn-known-rows")
            link(k_rows, 'rows')
            k_n = gr.Slider(1, 16, value=8, step=1, label="Completions", elem_id="pcnn-n", elem_classes="gm-advanced")
            link(k_n, 'n')
            k_seed = seed_input(elem_id="pcnn-complete-seed")
            link(k_seed, 'seed')
            k_btn = gr.Button("Complete", variant="primary", elem_id="pcnn-complete-btn")
        k_given = _image("the binarized input: rows ≥ R hidden (below the red line)", "pcnn-given", min_width=160,
                         value=complete0[0])
        with gr.Column(min_width=240, scale=2):
            k_grid = _image("completions: rows ≥ R sampled by the model", "pcnn-completions", value=complete0[1])
            k_text = gr.Markdown(complete0[2], elem_id="pcnn-complete-text")

    gr.Markdown(LIKELIHOOD, latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(min_width=200, scale=1):
            l_btn = gr.Button("Score the input", variant="primary", elem_id="pcnn-lik-btn")
            l_img = _image("scored image (binarized)", "pcnn-lik-img", height=160, value=lik0[1])
            l_text = gr.Markdown(lik0[2], elem_id="pcnn-lik-text")
        with gr.Column(scale=3):
            l_plot = gr.LinePlot(x=X_NAME, y="share", color="images",
                                 title="−log p(x) under the PixelCNN, exact, 1,000 binarized images per set",
                                 elem_id="pcnn-lik-plot", value=lik0[0])
            l_simple = gr.HTML(lik0[3], elem_id="pcnn-lik-simple")

    gr.Markdown(BOUND, latex_delimiters=LATEX)
    with gr.Row():
        with gr.Column(min_width=200, scale=1):
            b_seed = seed_input("Seed for z ~ q(z | x)", elem_id="pcnn-bound-seed")
            b_btn = gr.Button("Compare on the input", variant="primary", elem_id="pcnn-bound-btn")
        with gr.Column(scale=3):
            b_plot = gr.BarPlot(x="quantity", y="nats", title="your input: nats of the binarized image (lower is better)",
                                elem_id="pcnn-bound-plot", x_label_angle=-20, sort=None, value=bound0[0],
                                y_lim=None if bound0[1] is None else [0, bound0[1]])
            b_table = gr.Markdown(bound0[2], elem_id="pcnn-bound-table")

    _, panel = training_panel("pcnn", "Train a small PixelCNN live (test −log p(x) falls; samples improve)",
                              (20, MAX_LIVE_STEPS, 300, 10), steps_label="Steps (batch 32, Adam 3e-3, cosine decay)")
    with panel.controls:
        t_channels = gr.Slider(4, 64, value=P.LIVE_CONFIG.channels, step=4, label="Channels per stack",
                               elem_id="pcnn-t-channels")
        t_layers = gr.Slider(1, 8, value=P.LIVE_CONFIG.layers, step=1, label="Gated layers after the first",
                             elem_id="pcnn-t-layers")
    with panel.plots:
        t_loss = gr.LinePlot(x="step", y="nats per image", title="batch −log p(x), dynamically binarized training digits",
                             elem_id="pcnn-t-loss")
        t_test = gr.LinePlot(x="step", y="test −log p(x)",
                             title=f"test −log p(x), nats per image, {P.LIVE_CONFIG.eval_images} fixed binarized test digits",
                             elem_id="pcnn-t-test")
        t_samples = _image("8 samples from the live model (same seed each time), after the latest test evaluation",
                           "pcnn-t-samples")

    describe(c_images, "PixelCNN images being sampled pixel by pixel", state=c_status)   # text alternatives
    describe(c_heat, "p(x_k = 1 | x_<k) of each pixel drawn", state=c_status)
    describe(k_grid, "Completions: the hidden rows sampled by the model", state=k_text)
    long_job(c_btn, chain_stream, [c_seed], [c_images, c_heat, c_status], "pixelcnn_sample", stop=c_stop,
             status=c_status)
    f_btn.click(field, [f_row, f_col], [f_plain, f_gated, f_text, f_row, f_col], api_name="pixelcnn_field", **LIGHT)
    for img in (f_plain, f_gated):
        img.select(click_field, None, [f_plain, f_gated, f_text, f_row, f_col], api_name=False, **LIGHT)
    k_btn.click(complete, [*inputs, k_rows, k_n, k_seed], [k_given, k_grid, k_text], api_name="pixelcnn_complete",
                **LIGHT)
    l_btn.click(likelihood, inputs, [l_plot, l_img, l_text, l_simple], api_name="pixelcnn_likelihood", **LIGHT)
    b_btn.click(bounds, [*inputs, b_seed], [b_plot, b_table], api_name="pixelcnn_bounds", **LIGHT)
    panel.wire(train_stream, [t_channels, t_layers, panel.steps, panel.seed], [t_loss, t_test, t_samples],
               "pixelcnn_train")
    # Drawing, uploading or moving the index selects that input
    sketch.change(None, None, source, js="() => 'drawing'", api_name=False)
    upload.upload(None, None, source, js="() => 'upload'", api_name=False)
    index.release(None, None, source, js="() => 'test digit'", api_name=False)
    simple.input(None, None, source, js="() => 'simple image'", api_name=False)
