"""Failures worth seeing: the ways the decks' models go wrong, each reproduced by one function.

Every function returns a :class:`Failure`: a picture (uint8 numpy), a two-line explanation in the
decks' notation with the measured numbers filled in, and those numbers in ``values`` (what the
tests check). They call the families' own functions (schedulers, ``sample``); nothing is
re-implemented here, and every random path takes a seed.

DDPM (seed decks 000, 001, 003):
  * :func:`short_schedule`: the seed notebook's linear β from 1e-4 to 0.02 over T = 50 ends at
    ᾱ_T = 0.603, so x_T = √ᾱ_T x_0 + √(1 − ᾱ_T) ε still shows the digit; over T = 1000, ᾱ_T ≈ 4e-5.
  * :func:`ddim_leading`: DDIM with 1 or 2 steps and the old "leading" timestep spacing starts at
    t = 1 (1 step: the sampler returns its input noise) or t = 501 (2 steps: from x_t that was
    never pure noise), while "trailing" starts at t = T.

VAE (seed decks 001-003):
  * :func:`latent_holes`: a plain autoencoder (no KL term) puts its codes μ where it likes; the
    decoder has never been asked about the gaps between them, and decodes them to shapes that are
    no digit. The VAE's KL(q_φ(z|x) ‖ N(0, I)) packs the codes together, so its grid decodes stay
    close to real digits.

Coin GAN (seed decks 000, 001):
  * :func:`coin_collapse`: without the batch feature h̄, D judges one flip at a time, and a flip that
    is always H (or always T) looks real: G says all heads or all tails, flipping between the two.
  * :func:`saturating_run` / :func:`saturating_stall`: once D rejects G's flips (D(G(z)) ≈ 0),
    log(1 − D(G(z))) is flat and G's gradient tiny; −log D(G(z)) is steep there.

DCGAN (seed deck 001):
  * :func:`checkerboard`: a transposed convolution whose kernel size k is not divisible by its stride
    s overlaps unevenly (Odena et al. 2016); resize-then-convolve does not.

CycleGAN (seed deck 001):
  * :func:`hidden_information`: Chu et al. 2017's test for a CycleGAN that hides x in G(x): does
    F(G(x)) still find x's details when G(x)'s faint values are wiped out or noised?
"""
from __future__ import annotations

from dataclasses import dataclass, field

import base64
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from PIL import Image, ImageDraw

from . import coin_gan, cyclegan, data, ddpm, plotting, vae
from .checkpoints import CHECKPOINT_DIR
from .common import grid, init_normal, seeded, to_model, to_unit
from .ddpm import DDPMScheduler, spaced_timesteps


@dataclass
class Failure:
    picture: np.ndarray            # (H, W) uint8
    text: str                      # two lines, the decks' notation, numbers filled in (Markdown)
    values: dict = field(default_factory=dict)


def _rows(rows: list[torch.Tensor], scale: int = 3) -> np.ndarray:
    """Images in [0, 1], one list per row of equal length -> one grid picture."""
    x = torch.cat(rows)
    return grid(x, nrow=len(rows[0]) if rows[0].dim() == 4 else 1, scale=scale, value=1.0)


# ===========================================================================
# DDPM
# ===========================================================================
def short_schedule(indices=(0, 1, 2, 3), seed: int = 0) -> Failure:
    """Test digits and their x_T under q(x_T | x_0) for the seed's T = 50 schedule and for T = 1000.

    Rows: x_0; x_T for T = 50 (linear 1e-4 … 0.02); x_T for T = 1000 (same β range). Same ε for both.
    """
    images = data.load("mnist", "test")[0][list(indices)]
    x0 = to_model(torch.as_tensor(images, dtype=torch.float32))
    eps = torch.randn(x0.shape, generator=seeded(seed))
    rows, ab = [to_unit(x0)], {}
    for T in (50, 1000):
        sched = DDPMScheduler(T, "linear")
        ab[T] = float(sched.alphas_cumprod[T - 1])
        rows.append(to_unit(sched.add_noise(x0, eps, torch.full((len(x0),), T - 1))))
    corr = {T: float(np.corrcoef(r.flatten().numpy(), rows[0].flatten().numpy())[0, 1])
            for T, r in zip((50, 1000), rows[1:])}
    text = (f"Rows: x₀; x_T with the seed notebook's T = 50 (linear β 1e-4 → 0.02): ᾱ_T = {ab[50]:.3f}, "
            f"x_T = {np.sqrt(ab[50]):.2f}·x₀ + {np.sqrt(1 - ab[50]):.2f}·ε (correlation with x₀ {corr[50]:.2f}); "
            f"x_T with T = 1000: ᾱ_T = {ab[1000]:.1e} (correlation {corr[1000]:.2f}).  \n"
            "Sampling starts from x_T ~ N(0, I), which the T = 50 model never saw at t = T: its x_T still "
            "shows the digit, so training and sampling disagree (fix: β × 1000/T, or T = 1000).")
    return Failure(_rows(rows), text, {"alpha_bar_T_50": ab[50], "alpha_bar_T_1000": ab[1000],
                                       "corr_50": corr[50], "corr_1000": corr[1000]})


DDIM_ROWS = (("leading", 1), ("leading", 2), ("trailing", 1), ("trailing", 2), ("trailing", 50))


def ddim_leading(model, n: int = 6, seed: int = 0) -> Failure:
    """Samples of the same x_T with DDIM-1 / DDIM-2 under leading and trailing spacing, and DDIM-50.

    Rows in :data:`DDIM_ROWS` order. ``values`` holds each row's first timestep (decks' t) and the
    mean distance of the row from the DDIM-50 row."""
    T = ddpm.config_of(model).T
    rows, starts = [], {}
    for spacing, steps in DDIM_ROWS:
        rows.append(ddpm.sample(model, n, seed=seed, sampler="ddim", steps=steps, spacing=spacing))
        starts[f"{spacing}-{steps}"] = int(spaced_timesteps(T, steps, spacing)[0]) + 1
    ab_2 = float(ddpm.sample_scheduler(model, "ddim", 2, spacing="leading").alphas_cumprod[starts["leading-2"] - 1])
    ref = rows[-1]
    dist = {f"{s}-{k}": float((r - ref).abs().mean()) for (s, k), r in zip(DDIM_ROWS, rows)}
    text = ("Rows: DDIM-1 leading, DDIM-2 leading, DDIM-1 trailing, DDIM-2 trailing, DDIM-50; the same x_T ~ N(0, I). "
            f"Leading spacing starts at t = {starts['leading-1']} (1 step) or t = {starts['leading-2']} (2 steps), "
            f"trailing at t = {starts['trailing-1']}.  \n"
            "Leading DDIM-1 treats the pure noise x_T as x_1 and returns it; leading DDIM-2 tells ε_θ that pure noise "
            f"is x_501, where ᾱ_t = {ab_2:.3f} means signal should remain: blurred digits. Trailing DDIM-1 divides by "
            "√ᾱ_T = 0.006 in x̂_0, so ε_θ's errors become speckle; trailing DDIM-2 is already a blurry digit.")
    return Failure(_rows(rows), text, {"start": starts, "distance_to_ddim50": dist, "alpha_bar_leading_2": ab_2})


# ===========================================================================
# VAE
# ===========================================================================
HOLE_GRID = 15          # decodes per side of the latent grid
HOLE_CODES = 2000       # training digits encoded and scattered on it


def _nearest_digit_distance(images: torch.Tensor, digits: torch.Tensor) -> torch.Tensor:
    """For each image (N, 28, 28), the RMS pixel distance to its nearest digit among ``digits``."""
    a, b = images.reshape(len(images), -1), digits.reshape(len(digits), -1)
    return (torch.cdist(a, b).min(1).values / a.shape[1] ** 0.5)


def _map_with_codes(model, mu: np.ndarray, extent, size: int = 360, shown: int = 600) -> np.ndarray:
    """The decoder's grid over ``extent`` with the first ``shown`` codes ``mu`` inside it as red dots."""
    img = Image.fromarray(plotting.framed(vae.decoded_grid(model, extent, HOLE_GRID), extent, size))
    d = ImageDraw.Draw(img)
    x0, x1, y0, y1 = extent
    for p in mu[:shown]:
        if x0 <= p[0] <= x1 and y0 <= p[1] <= y1:
            x, y = plotting.point_to_pixel(p, extent, size, axes=True)
            d.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(230, 60, 20))
    return np.asarray(img)


def latent_holes(ae, vae_model, seed: int = 0) -> Failure:
    """Decode a HOLE_GRID² grid over each 2-D model's code span (1-99%), with training codes on it;
    AE left, VAE right. ``seed`` picks the HOLE_CODES training digits encoded and the z ~ N(0, I).

    values, per model: ``holes``, the share of grid points with no code within one grid spacing;
    ``hole_distance`` / ``code_distance``, the mean RMS pixel distance of the decodes at empty /
    occupied grid points to their nearest of those training digits; ``prior_distance``, the same
    for decodes of 500 z ~ N(0, I), which is how either model would be sampled."""
    x = data.load("mnist", "train")[0]
    pick = torch.randperm(len(x), generator=seeded(seed))[:HOLE_CODES]
    digits = torch.as_tensor(x[pick], dtype=torch.float32)
    z_prior = torch.randn(500, 2, generator=seeded(seed + 1))
    panels, values = [], {}
    for name, model in (("ae", ae), ("vae", vae_model)):
        mu = vae.encode_points(model, digits.numpy())
        extent = vae.map_extent(mu, prior=False)
        z = vae.latent_grid(extent, HOLE_GRID)
        distance = _nearest_digit_distance(vae.decode(model, z), digits)
        spacing = min(extent[1] - extent[0], extent[3] - extent[2]) / (HOLE_GRID - 1)
        empty = torch.cdist(z, torch.as_tensor(mu)).min(1).values > spacing
        values[name] = {"holes": float(empty.float().mean()),
                        "hole_distance": float(distance[empty].mean()),
                        "code_distance": float(distance[~empty].mean()),
                        "prior_distance": float(_nearest_digit_distance(vae.decode(model, z_prior), digits).mean()),
                        "extent": tuple(round(v, 1) for v in extent)}
        panels.append(_map_with_codes(model, mu, extent))
    gap = np.full((panels[0].shape[0], 12, 3), 255, np.uint8)
    a, v = values["ae"], values["vae"]
    text = (f"Decoder grids over the codes' span, red dots: training codes μ. Left, plain autoencoder (ae2d-mnist): "
            f"z₁ {a['extent'][0]}…{a['extent'][1]}, z₂ {a['extent'][2]}…{a['extent'][3]}, {a['holes']:.0%} of the grid "
            f"empty; its decodes there are {a['hole_distance']:.3f} (RMS) from the nearest training digit vs "
            f"{a['code_distance']:.3f} where codes are. Right, VAE (vae2d-mnist): {v['holes']:.0%} empty. "
            f"Decodes of z ~ N(0, I): AE {a['prior_distance']:.3f}, VAE {v['prior_distance']:.3f}.  \n"
            "Without KL(q_φ(z|x) ‖ p(z)) nothing asks the decoder about the gaps, so they decode to stretched "
            "in-between shapes and a draw from p(z) lands in them; the KL term packs the codes around 0.")
    return Failure(np.concatenate([panels[0], gap, panels[1]], 1), text, values)


COLLAPSE_BETA = 30.0
COLLAPSE_STEPS = 150
COLLAPSE_RUN = CHECKPOINT_DIR / "runs" / "failures-vae-collapse.json"


def _kl_and_decodes(model, x: torch.Tensor) -> tuple[float, np.ndarray]:
    """Mean KL(q_φ(z|x) ‖ N(0, I)) over test digits x, and the decodes x̂(μ) of the first 8."""
    with torch.no_grad():
        model.eval()
        mu, logvar = model.encode(x)
        kl = float(vae.kl_divergence(mu, logvar).mean())
    return kl, vae.decode_points(model, mu[:8].numpy())


def spread(images: np.ndarray) -> float:
    """How different images are from each other: the mean over pixels of their standard deviation."""
    return float(np.asarray(images).std(0).mean())


def collapse_run(model, beta: float = COLLAPSE_BETA, steps: int = COLLAPSE_STEPS, seed: int = 0) -> dict:
    """Continue ``model`` (a VAE) with β = ``beta`` for ``steps`` steps of vae.train (batch 64);
    returns the KL curve (nats per image, every 5 steps), and the test KL and decodes before and after."""
    x = torch.as_tensor(data.load("mnist", "test")[0][:500], dtype=torch.float32)
    kl_before, before = _kl_and_decodes(model, x)
    cfg = vae.Config(latent=model.latent, beta=beta, steps=steps, batch_size=64, seed=seed, device="cpu")
    curve = [[r.step, r.losses["loss_kl"], r.losses["loss_recon"]]
             for r in vae.train(cfg, model=model, seconds=60.0, every=5, preview_every=10**9)]
    kl_after, after = _kl_and_decodes(model, x)
    return {"beta": beta, "steps": steps, "seed": seed, "curve": curve, "kl_before": kl_before,
            "kl_after": kl_after, "x": _pack(x[:8].numpy()), "before": _pack(before), "after": _pack(after)}


def _pack(images: np.ndarray) -> str:
    """Images in [0, 1] (8, 28, 28) -> base64 of their uint8 bytes (small on disk)."""
    return base64.b64encode((np.clip(images, 0, 1) * 255).round().astype(np.uint8).tobytes()).decode()


def _unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(-1, 28, 28).astype(np.float32) / 255


LINE_COLOURS = ((213, 94, 0), (0, 114, 178), (0, 0, 0))    # Okabe-Ito vermillion, blue; black (colour-blind safe)


def _curve_picture(points: list[tuple[float, float]], size=(360, 200), label: str = "KL (nats per digit)",
                   more: dict | None = None, y_max: float | None = None, name: str = "") -> np.ndarray:
    """A minimal line chart of (x, y) points with its y range and label written on it; ``more``:
    further named lines {name: points} in LINE_COLOURS' next colours, named in a legend with the
    first line's ``name``."""
    w, h = size
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    lines = [points, *(more or {}).values()]
    names = [name, *(more or {})] if more else []
    xs = np.array([p[0] for line in lines for p in line], float)
    ys = np.array([p[1] for line in lines for p in line], float)
    top_y = y_max if y_max is not None else ys.max()
    legend = 15 * len(names)                    # the legend goes under the chart
    left, top, right, bottom = 44, 16, w - 8, h - 22 - legend
    sx = lambda v: left + (v - xs.min()) / max(1e-9, xs.max() - xs.min()) * (right - left)  # noqa: E731
    sy = lambda v: bottom - v / max(1e-9, top_y) * (bottom - top)                            # noqa: E731
    d.rectangle([left, top, right, bottom], outline="#999999")
    font = plotting._font(12)
    for i, line in enumerate(lines):
        d.line([(sx(a), sy(b)) for a, b in line], fill=LINE_COLOURS[i % len(LINE_COLOURS)], width=2)
    for i, line_name in enumerate(names):
        y = h - legend + 15 * i + 7
        d.line([(left + 8, y), (left + 24, y)], fill=LINE_COLOURS[i % len(LINE_COLOURS)], width=2)
        d.text((left + 28, y), line_name, fill="black", font=font, anchor="lm")
    d.text((left - 4, top), f"{top_y:.1f}", fill="black", font=font, anchor="rt")
    d.text((left - 4, bottom), "0", fill="black", font=font, anchor="rb")
    d.text((left, bottom + 18), f"step {xs.min():.0f}", fill="black", font=font, anchor="ls")
    d.text((right, bottom + 18), f"{xs.max():.0f}", fill="black", font=font, anchor="rs")
    d.text((left + 6, top + 4), label, fill="black", font=font, anchor="lt")
    return np.asarray(img)


def _cached_run(path: Path, settings: dict, make) -> dict:
    """The run kept as JSON in ``path`` when it was made with ``settings`` (keys of the run), else
    ``make()``'s run, written there for the next time."""
    try:
        run = json.loads(Path(path).read_text())
        if all(run.get(k) == v for k, v in settings.items()):
            return run
    except (OSError, ValueError):
        pass
    run = make()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(run, separators=(",", ":")))
    return run


def load_collapse_run(path: Path = COLLAPSE_RUN) -> dict:
    """The cached β = COLLAPSE_BETA run; computed (from checkpoints/vae-mnist) and written when missing
    or made with other settings."""
    return _cached_run(path, {"beta": COLLAPSE_BETA, "steps": COLLAPSE_STEPS},
                       lambda: collapse_run(vae.load(CHECKPOINT_DIR / "vae-mnist")))


def posterior_collapse(run: dict) -> Failure:
    """The card for a :func:`collapse_run` record: KL curve; test digits, their decodes before, after."""
    kl_step = [(s, kl) for s, kl, _ in run["curve"]]
    kl_step = [(0, run["kl_before"])] + [(s - run["curve"][0][0] + 5, kl) for s, kl in kl_step]
    rows = [torch.from_numpy(_unpack(run[k])) for k in ("x", "before", "after")]
    digits = grid(torch.cat(rows), nrow=8, scale=2)
    chart = _curve_picture(kl_step)
    height = max(chart.shape[0], digits.shape[0])
    pad = lambda a: np.pad(a, ((0, height - a.shape[0]), (0, 0), (0, 0)), constant_values=255)  # noqa: E731
    picture = np.concatenate([pad(chart), np.full((height, 12, 3), 255, np.uint8),
                              pad(np.repeat(digits[..., None], 3, 2))], 1)
    s_before, s_after = spread(_unpack(run["before"])), spread(_unpack(run["after"]))
    text = (f"vae-mnist (16-D) trained on with β = {run['beta']:g} for {run['steps']} steps: test KL(q_φ(z|x) ‖ p(z)) "
            f"{run['kl_before']:.1f} → {run['kl_after']:.2f} nats; right: test digits, decodes x̂(μ) before, after "
            f"(spread between digits {s_before:.3f} → {s_after:.3f}).  \n"
            f"With β·KL in the loss, every nat z carries about x costs β nats; at β = {run['beta']:g} the encoder "
            "gives up: q_φ(z|x) = p(z) for all x (posterior collapse), and the decoder draws one average digit.")
    return Failure(picture, text, {"kl_before": run["kl_before"], "kl_after": run["kl_after"],
                                   "spread_before": s_before, "spread_after": s_after})


# ===========================================================================
# Coin GAN
# ===========================================================================
COIN_COLLAPSE_STEPS = 250
COIN_SETTLED = 100           # readings after this step count for the collapse share


def _collapsed_share(rows: list[tuple[int, float]], p_heads: float, after: int = COIN_SETTLED) -> float:
    """The share of readings (step, generated P(H)) after step ``after`` that say all H or all T
    (coin_gan.collapse with the alarm's tolerance)."""
    tol = min(0.005, p_heads / 4, (1 - p_heads) / 4)
    late = [p for s, p in rows if s > after]
    return sum(coin_gan.collapse(p, tol) is not None for p in late) / max(1, len(late))


def _coin_curve(cfg: coin_gan.Config) -> list[tuple[int, float]]:
    """(step, generated P(H)) every 10 steps of ``coin_gan.train(cfg)``."""
    return [(r.step, r.metrics["generated_p_heads"])
            for r in coin_gan.train(cfg, log_every=10, seconds=0.0, preview_every=10**9, eval_flips=4000)]


def coin_collapse(seed: int = 0, steps: int = COIN_COLLAPSE_STEPS) -> Failure:
    """The same seed trained twice for ``steps`` steps: D without the batch feature h̄ (the notebook's
    D(x)) and with it. values: ``collapsed_share`` per run (readings after step COIN_SETTLED that
    are all H or all T), ``final`` generated P(H), and the ``curves``."""
    p = coin_gan.Config().p_heads
    curves = {name: _coin_curve(coin_gan.Config(seed=seed, steps=steps, batch_feature=bf))
              for name, bf in (("D(x)", False), ("D(x, h̄)", True))}
    share = {k: _collapsed_share(v, p) for k, v in curves.items()}
    final = {k: v[-1][1] for k, v in curves.items()}
    target = [(curves["D(x)"][0][0], p), (steps, p)]
    picture = _curve_picture(curves["D(x)"], size=(420, 250), label="generated P(H)", y_max=1.0, name="D(x): one flip",
                             more={"D(x, h): the flip and its batch's heads share h": curves["D(x, h̄)"],
                                   f"target p = {p}": target})
    text = (f"Generated P(H) over {steps} steps, seed {seed}, p_data(H) = {p}: with D(x) judging one flip at a time, "
            f"{share['D(x)']:.0%} of the readings after step {COIN_SETTLED} are all heads or all tails (last: "
            f"{final['D(x)']:.2f}); with D(x, h̄) {share['D(x, h̄)']:.0%} (last: {final['D(x, h̄)']:.2f}).  \n"
            "Mode collapse: every single flip H (or T) is a real-looking flip, so D(x) cannot object; G puts all of "
            "p_model on one outcome, D learns to reject it, G jumps to the other. Seeing h̄ lets D catch it.")
    return Failure(picture, text, {"collapsed_share": share, "final": final, "curves": curves})


SATURATING_HEAD_START = 300  # D's steps alone against G's first flips
SATURATING_STEPS = 400
SATURATING_G_START = -1.0    # G's output bias at the start: every flip far below the data
SATURATING_RUN = CHECKPOINT_DIR / "runs" / "failures-coin-saturating.json"


def _g_gradient_norm(model: coin_gan.CoinGAN, kind: str, seed: int) -> float:
    """‖∇_θG L_G‖ for G's loss ``kind`` on one batch of 256 z ~ N(0, 1)."""
    z = torch.randn(256, 1, generator=seeded(seed))
    model.G.zero_grad(set_to_none=True)
    coin_gan.g_loss(model.D, model.G(z), kind).backward()
    norm = float(sum(p.grad.pow(2).sum() for p in model.G.parameters()) ** 0.5)
    model.G.zero_grad(set_to_none=True)
    return norm


def _poor_start(seed: int) -> coin_gan.CoinGAN:
    """A poor G (every flip near SATURATING_G_START) and a D trained SATURATING_HEAD_START steps on it:
    D rejects G's flips with confidence, the start Goodfellow et al. (2014, section 3) describe."""
    model = coin_gan.build(coin_gan.Config(seed=seed))
    with torch.no_grad():
        model.G.net[2].bias.fill_(SATURATING_G_START)
    g = seeded(seed + 100)
    opt = torch.optim.Adam(model.D.parameters(), lr=coin_gan.Config().lr_d, betas=coin_gan.Config().betas)
    for _ in range(SATURATING_HEAD_START):
        x_real = data.coin_flips(model.cfg.p_heads, 256, g).unsqueeze(1)
        with torch.no_grad():
            x_fake = model.G(torch.randn(256, 1, generator=g))
        loss = coin_gan.d_loss(model.D, x_real, x_fake)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model


def saturating_run(seed: int = 0, steps: int = SATURATING_STEPS) -> dict:
    """From one :func:`_poor_start`, ``coin_gan.train`` with each G loss for ``steps`` steps (same
    seed). Per loss: G's gradient norm at the start, and every 25 steps (step, generated P(H),
    D(G(z)), mean G(z))."""
    import copy
    start = _poor_start(seed)
    with torch.no_grad():
        d_start = float(start.D(start.G(torch.randn(1000, 1, generator=seeded(seed + 5)))).mean())
    run = {"seed": seed, "steps": steps, "head_start": SATURATING_HEAD_START, "g_start": SATURATING_G_START,
           "D_G_z_start": d_start, "runs": {}}
    for kind in coin_gan.G_LOSSES:
        model = copy.deepcopy(start)
        grad = _g_gradient_norm(model, kind, seed)
        curve = []
        for r in coin_gan.train(coin_gan.Config(seed=seed, steps=steps, g_loss=kind), model=model, log_every=25,
                                seconds=0.0, preview_every=10**9, eval_flips=4000):
            with torch.no_grad():
                mean_g = float(model.G(torch.randn(1000, 1, generator=seeded(seed + 5))).mean())
            curve.append([r.step, r.metrics["generated_p_heads"], r.metrics["D_fake"], mean_g])
        run["runs"][kind] = {"grad_start": grad, "curve": curve}
    return run


def load_saturating_run(path: Path = SATURATING_RUN) -> dict:
    """The cached seed-0 :func:`saturating_run`; computed and written when missing or made with other settings."""
    return _cached_run(path, {"steps": SATURATING_STEPS, "head_start": SATURATING_HEAD_START,
                              "g_start": SATURATING_G_START}, saturating_run)


def saturating_stall(run: dict) -> Failure:
    """The card for a :func:`saturating_run` record: generated P(H) of both runs, side by side."""
    ns, sat = run["runs"]["non-saturating"], run["runs"]["saturating"]
    p = coin_gan.Config().p_heads
    chart = lambda i, label, y_max=None: _curve_picture(  # noqa: E731
        [(c[0], c[i]) for c in ns["curve"]], size=(360, 240), label=label, y_max=y_max, name="-log D(G(z))",
        more={"log(1 - D(G(z)))": [(c[0], c[i]) for c in sat["curve"]]})
    picture = np.concatenate([chart(1, "generated P(H)", 1.0), np.full((240, 12, 3), 255, np.uint8),
                              chart(2, "D(G(z))", 1.0)], 1)
    late = lambda r: r["curve"][-1]  # noqa: E731
    ratio = ns["grad_start"] / max(1e-12, sat["grad_start"])
    text = (f"Seed {run['seed']}: G starts with every flip near {run['g_start']:g} and D trained {run['head_start']} steps "
            f"alone rejects them, D(G(z)) = {run['D_G_z_start']:.3f}. G's first gradient ‖∇θ_G L_G‖: −log D(G(z)) "
            f"{ns['grad_start']:.1f}, log(1 − D(G(z))) {sat['grad_start']:.2f} ({ratio:.0f}× smaller). After "
            f"{run['steps']} steps P(H) = {late(ns)[1]:.2f} vs {late(sat)[1]:.2f} (target {p}), D(G(z)) = "
            f"{late(ns)[2]:.2f} vs {late(sat)[2]:.2f}.  \n"
            "Where D(G(z)) ≈ 0, log(1 − D(G(z))) is flat: G barely learns, and once Adam carries it past the data "
            "(here to all heads) a confident D stalls it again. −log D(G(z)) is steepest exactly there.")
    return Failure(picture, text, {"grad_start": {"non-saturating": ns["grad_start"], "saturating": sat["grad_start"]},
                                   "final_p_heads": {"non-saturating": late(ns)[1], "saturating": late(sat)[1]},
                                   "final_D_G_z": {"non-saturating": late(ns)[2], "saturating": late(sat)[2]},
                                   "D_G_z_start": run["D_G_z_start"]})


# ===========================================================================
# DCGAN
# ===========================================================================
CHECKER_SIZE = 8             # side of the constant input
UPSAMPLERS = ("k3-s2", "k4-s2", "resize-conv")


def upsampler(kind: str, c_in: int, c_out: int) -> nn.Module:
    """×2 upsampling as DCGAN-style generators do it: ConvTranspose2d with kernel 3 (not divisible by
    stride 2: uneven overlap) or kernel 4 (the shipped DCGAN's: even overlap), or nearest-neighbour
    resize then a 3×3 Conv2d (Odena et al. 2016's fix)."""
    if kind == "k3-s2":
        return nn.ConvTranspose2d(c_in, c_out, 3, 2, 1, output_padding=1)
    if kind == "k4-s2":
        return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
    if kind == "resize-conv":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1))
    raise ValueError(f"upsampler kind must be one of {', '.join(UPSAMPLERS)}, got {kind!r}")


def overlap_counts(kind: str, size: int = CHECKER_SIZE) -> torch.Tensor:
    """How many kernel taps land on each output pixel: the upsampler with every weight 1 and no bias,
    applied to a constant input of ones (size × size); the interior (one input pixel of border cut)."""
    layer = upsampler(kind, 1, 1)
    with torch.no_grad():
        for m in layer.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.fill_(1.0)
                m.bias.zero_()
        y = layer(torch.ones(1, 1, size, size))[0, 0]
    return y[2:-2, 2:-2]


def checker_strength(images: torch.Tensor) -> float:
    """The share of the pixel variance that repeats with a 2 × 2 period, averaged over images: the
    variance of the four phase means (y[a::2, b::2]) over the variance of y. 1 for a pure
    checkerboard, near 0 for smooth images (the 2 × 2-periodic part of y is its phase-mean image)."""
    y = torch.as_tensor(images, dtype=torch.float32).reshape(-1, *images.shape[-2:])
    phases = torch.stack([y[:, a::2, b::2].mean((1, 2)) for a in (0, 1) for b in (0, 1)], 1)
    return float((phases.var(1, unbiased=False) / y.var((1, 2), unbiased=False).clamp_min(1e-12)).mean())


def random_generator(kind: str, seed: int, nz: int = 100, ngf: int = 32) -> nn.Sequential:
    """The shipped DCGAN G's shape (z → 4ngf×7×7 → 2ngf×14×14 → 1×28×28, BatchNorm, ReLU, tanh) with
    its two ×2 steps made by ``upsampler(kind)``; weights ~ N(0, 0.02) from ``seed``, untrained."""
    net = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(),
        upsampler(kind, ngf * 4, ngf * 2), nn.BatchNorm2d(ngf * 2), nn.ReLU(),
        upsampler(kind, ngf * 2, 1), nn.Tanh())
    init_normal(net, seeded(seed))
    return net


def checkerboard(seed: int = 0, n: int = 6) -> Failure:
    """Top row: the overlap counts of each upsampler on a constant input; rows below: ``n`` outputs of
    a random-init generator built with each (same z, BatchNorm on the batch as in training), each image
    stretched to its own range. values: ``overlap`` (distinct counts per upsampler) and
    ``strength`` (:func:`checker_strength` of the generators' outputs)."""
    z = torch.randn(n, 100, 1, 1, generator=seeded(seed))
    rows, overlap, strength = [], {}, {}
    for kind in UPSAMPLERS:
        counts = overlap_counts(kind)
        overlap[kind] = sorted({int(v) for v in counts.flatten().round().tolist()})
        with torch.no_grad():
            y = random_generator(kind, seed).train()(z)[:, 0]
        strength[kind] = checker_strength(y)
        lo, hi = y.amin((1, 2), keepdim=True), y.amax((1, 2), keepdim=True)
        stretched = (y - lo) / (hi - lo).clamp_min(1e-12)
        tile = torch.nn.functional.interpolate(0.75 * counts[None, None] / counts.max(), size=(28, 28), mode="nearest")[0]
        rows.append(torch.cat([tile, stretched]))
    picture = grid(torch.cat(rows), nrow=n + 1, scale=3)
    text = (f"Rows: ConvTranspose2d k = 3, s = 2; k = 4, s = 2 (the shipped DCGAN G's); resize ×2 then 3×3 conv. First column: "
            f"taps per output pixel on a constant input, grey = the most ({', '.join(f'{k}: {overlap[k]}' for k in UPSAMPLERS)}); then "
            f"untrained generators with each, seed {seed}, every image stretched to its range. 2×2-periodic share of the "
            f"pixel variance: {', '.join(f'{k} {strength[k]:.2f}' for k in UPSAMPLERS)}.  \n"
            "k not divisible by s gives output pixels 1, 2 or 4 kernel taps in turn, a checkerboard even for equal weights "
            "(Odena et al. 2016); k = 4 overlaps evenly, but each pixel phase uses its own 4 of the 16 weights, so an "
            "untrained G still starts on a 2×2 pattern to learn away. Resize-then-convolve has neither.")
    return Failure(picture, text, {"overlap": overlap, "strength": strength})


# ===========================================================================
# CycleGAN
# ===========================================================================
FAINT = 0.1                  # G(x) values below this are wiped out in the test (dark: invisible on screen)
NOISE_SIGMA = 4 / 255        # the noise test's standard deviation (4 grey levels)
STEGO_EXAMPLES = 12          # the tab's held-out horses


def hiding_verdict(values: dict) -> str:
    """What :func:`hidden_information`'s numbers say, in one sentence: hiding when noise of σ = 4/255
    moves F(G(x)) more than its input (gain > 1) or doubles the cycle L1."""
    c, h, gain = values["cycle_l1"], values["hidden_ink"], values["gain"]
    if gain["noised"] > 1 or c["noised"] > 2 * c["clean"]:
        return (f"Here too: noise moves F(G(x)) {gain['noised']:.1f}× as much as its input and the cycle L1 goes "
                f"{c['clean']:.3f} → {c['noised']:.3f}: x travels hidden in G(x).")
    return (f"This small CycleGAN hides little: noise moves F(G(x)) {gain['noised']:.1f}× its input, and wiping the "
            f"faint values costs {h['clean'] - h['wiped']:.2f} of the restored ink; a trace of x rides in them, the "
            "rest F draws from the visible shape.")


def hidden_information(model, seed: int = 0, n: int = STEGO_EXAMPLES, shown: int = 6) -> Failure:
    """Chu et al. (2017)'s test on the tab's held-out horses x: rows x; G(x); G(x)'s faint values
    (0 … 0.05) stretched ×20; F(G(x)); F of G(x) with every value below FAINT set to 0; F of G(x)
    plus noise N(0, NOISE_SIGMA²) from ``seed``.

    values: ``cycle_l1`` (clean, wiped, noised); ``hidden_ink``: x's ink pixels (x > 0.5) where G(x)
    is dark (< FAINT), their count per image and F's mean value there (clean, wiped); ``gain``: how
    much F's output moves per unit of change to its input, mean |ΔF| / mean |Δ input|."""
    x = data.horses_and_zebras("test")[0][:n].float()
    gx = cyclegan.translate(model, x, "horse2zebra")
    back = lambda y: cyclegan.translate(model, y, "zebra2horse")  # noqa: E731
    wiped = torch.where(gx < FAINT, torch.zeros_like(gx), gx)
    noised = (gx + NOISE_SIGMA * torch.randn(gx.shape, generator=seeded(seed))).clamp(0, 1)
    f_clean, f_wiped, f_noised = back(gx), back(wiped), back(noised)
    hidden = (x > 0.5) & (gx < FAINT)
    change = lambda a, b: float((a - b).abs().mean())  # noqa: E731
    values = {"cycle_l1": {"clean": cyclegan.cycle_l1(x, f_clean), "wiped": cyclegan.cycle_l1(x, f_wiped),
                           "noised": cyclegan.cycle_l1(x, f_noised)},
              "hidden_ink": {"pixels_per_image": float(hidden.sum()) / n, "clean": float(f_clean[hidden].mean()),
                             "wiped": float(f_wiped[hidden].mean())},
              "input_change": {"wiped": change(wiped, gx), "noised": change(noised, gx)},
              "gain": {"wiped": change(f_wiped, f_clean) / max(1e-12, change(wiped, gx)),
                       "noised": change(f_noised, f_clean) / max(1e-12, change(noised, gx))}}
    faint = gx.clamp(0, 0.05) / 0.05
    picture = grid(torch.cat([t[:shown] for t in (x, gx, faint, f_clean, f_wiped, f_noised)]), nrow=shown, scale=3)
    c, h, gain = values["cycle_l1"], values["hidden_ink"], values["gain"]
    text = (f"Rows: held-out horses x; G(x); G(x)'s faint values 0…0.05 stretched ×20; F(G(x)); F(G(x)) with values "
            f"under {FAINT} wiped to 0 (a mean change of {values['input_change']['wiped']:.4f}); F(G(x) + ε), σ = 4/255. "
            f"Cycle L1 over {n} horses: {c['clean']:.4f}, wiped {c['wiped']:.4f}, noised {c['noised']:.4f}. Where x has "
            f"ink but G(x) is dark ({h['pixels_per_image']:.1f} pixels per image) F(G(x)) restores {h['clean']:.2f} of "
            f"it, {h['wiped']:.2f} once the faint values are wiped; F moves {gain['wiped']:.1f}× / {gain['noised']:.1f}× "
            "the change to its input.  \n"
            "Chu et al. 2017 found F rebuilding x from a low-amplitude signal G hid in G(x), so tiny noise wrecked "
            f"F(G(x)) (a large gain). {hiding_verdict(values)}")
    return Failure(picture, text, values)


CACHED_RUNS = {"vae-collapse": (COLLAPSE_RUN, lambda: posterior_collapse(load_collapse_run())),
               "coin-saturating": (SATURATING_RUN, lambda: saturating_stall(load_saturating_run()))}

if __name__ == "__main__":      # python3 -m genmodels.failures [NAME ...]: rebuild the cached runs (default: all)
    import sys
    for name in sys.argv[1:] or CACHED_RUNS:
        if name not in CACHED_RUNS:
            sys.exit(f"error: unknown run {name!r}; choose from {', '.join(CACHED_RUNS)}")
        path, card = CACHED_RUNS[name]
        path.unlink(missing_ok=True)
        print(f"{name}: {card().text}")
