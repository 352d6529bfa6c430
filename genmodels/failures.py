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
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from PIL import Image, ImageDraw

from . import data, ddpm, plotting, vae
from .common import grid, seeded, to_model, to_unit
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
