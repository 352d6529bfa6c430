"""The same comparison on MNIST: the image checkpoints side by side (issue 15).

For each shipped image checkpoint: a 4×4 sample grid on the same seed (the family's own
``sample``), the numbers its card holds (FLD / KID / class KL), the likelihood each family can
state, network evaluations per sample, and time per 16 images measured live on this CPU.

Everything goes through the family contract (``genmodels.family``): ``load`` and ``sample``.
Card numbers are read, never recomputed here, except the Inception Score: the cards' values
were computed before the IS input fix, so they are stale and shown as such, not as a claim.
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import family as family_of
from .checkpoints import CHECKPOINT_DIR
from .common import grid

NOT_MEASURED = "not measured"
IS_STALE = "stale (card value predates the IS input fix); not shown"


@dataclass(frozen=True)
class Entry:
    title: str                  # the model's name, as the lectures call it
    checkpoint: str             # checkpoints/NAME.json + .safetensors
    options: dict = field(default_factory=dict)   # SAMPLE_OPTIONS for the grid and the timing
    grid_caption: str = ""      # what the grid shows, when it is not the card's setting
    cycle_labels: bool = False  # class-conditional: image i is asked for digit i mod 10 (0, 1, …, 9, 0, …)


ENTRIES: tuple[Entry, ...] = (
    Entry("DCGAN", "dcgan-mnist"),
    Entry("VAE", "vae-mnist"),
    Entry("DDPM", "ddpm-mnist", {"sampler": "ddim", "steps": 50}),
    Entry("PixelCNN", "pixelcnn-mnist"),
    Entry("cGAN", "cgan-mnist", grid_caption="labels cycle 0, 1, …, 9", cycle_labels=True),
    Entry("conditional DDPM", "ddpm-cond-mnist", {"sampler": "ddim", "steps": 50, "guidance": 2.0},
          grid_caption="labels cycle 0, 1, …, 9, guidance w = 2", cycle_labels=True),
)
GRID_N = 16


def _entry(name: str) -> Entry:
    for e in ENTRIES:
        if e.checkpoint == name or e.title == name:
            return e
    raise ValueError(f"unknown comparison entry '{name}'; available: {', '.join(e.checkpoint for e in ENTRIES)}")


def cycled_labels(n: int, classes: int = 10) -> torch.Tensor:
    """0, 1, …, 9, 0, 1, … (n labels): every digit on the same grid, in reading order."""
    return torch.arange(n) % classes


def sample_options(e: Entry, n: int = GRID_N) -> dict:
    """The keyword arguments of the family's ``sample`` for n images of entry ``e`` (labels included)."""
    return {**e.options, "label": cycled_labels(n)} if e.cycle_labels else dict(e.options)


def read_card(name: str) -> dict:
    """The JSON card of checkpoint ``name``; a ValueError naming the file when it is missing."""
    path = CHECKPOINT_DIR / f"{name}.json"
    if not path.exists() or not (CHECKPOINT_DIR / f"{name}.safetensors").exists():
        raise ValueError(f"checkpoint '{name}' is not available: {CHECKPOINT_DIR / name}.json/.safetensors "
                         f"missing (download or train it: see README, 'Checkpoints')")
    return json.loads(path.read_text())


def likelihood(card: dict) -> str:
    """What the family can say about log p(x), in nats per image of the data as given."""
    fam, m = card["family"], card.get("metrics", {})
    if fam in ("dcgan", "cgan"):
        return "none: implicit"
    if fam == "vae":
        if "test_neg_elbo" in m:
            kind = "bound on −log p(x)" if card["config"].get("binarized") else \
                "a loss on grey levels, not a bound: Bernoulli on grey levels is not a density"
            return f"−ELBO {m['test_neg_elbo']:.1f} nats ({kind})"
        return NOT_MEASURED
    if fam == "pixelcnn":
        if "test_nll" in m:
            return f"exact NLL {m['test_nll']:.1f} nats (binarized MNIST test)"
        return NOT_MEASURED
    if fam == "ddpm":
        if "test_vlb" in m:
            return f"VLB {m['test_vlb']:.1f} nats (a bound)"
        return "not computed (a bound exists: the VLB)"
    return NOT_MEASURED


def evaluations(card: dict, options: dict | None = None) -> int:
    """Network evaluations per sample: GAN and VAE 1, DDPM the sampler's steps, PixelCNN 784."""
    fam = card["family"]
    if fam in ("dcgan", "cgan", "vae"):
        return 1
    if fam == "pixelcnn":
        return 28 * 28
    if fam == "ddpm":
        o = options or {}
        sampler = o.get("sampler", "ddim")
        if sampler == "ddpm":
            steps = card["config"].get("T", 1000)
        else:
            steps = o.get("steps") or {"ddim": 50, "dpmpp": 20}[sampler]
        guided = card["config"].get("num_classes", 0) and o.get("label") is not None \
            and (o.get("guidance") or 1.0) != 1.0
        return steps * (2 if guided else 1)   # classifier-free guidance: ε(x,t,y) and ε(x,t,∅)
    raise ValueError(f"no evaluation count for family '{fam}'")


def _metric(m: dict, key: str, std: str | None = None, fmt: str = "{:.2f}") -> str:
    if key not in m:
        return NOT_MEASURED
    s = fmt.format(m[key])
    if std and std in m:
        s += " ± " + fmt.format(m[std])
    return s


def row(name: str) -> dict:
    """One row of the table from the card alone (no network is loaded)."""
    e = _entry(name)
    card = read_card(e.checkpoint)
    m = card.get("metrics", {})
    return {
        "model": e.title,
        "checkpoint": e.checkpoint,
        "family": card["family"],
        "fld": _metric(m, "fld"),
        "kid": _metric(m, "kid", "kid_std"),
        "inception_score": IS_STALE if "inception_score" in m else NOT_MEASURED,
        "class_kl": _metric(m, "class_kl_from_uniform", fmt="{:.2g}"),
        "likelihood": likelihood(card),
        "evaluations": evaluations(card, sample_options(e)),
        "eval_samples": m.get("eval_samples"),
    }


def table() -> list[dict]:
    """A row per entry; a missing checkpoint gives a row saying so instead of failing the view."""
    rows = []
    for e in ENTRIES:
        try:
            rows.append(row(e.checkpoint))
        except ValueError as err:
            rows.append({"model": e.title, "checkpoint": e.checkpoint, "error": str(err)})
    return rows


_MODELS: dict[str, torch.nn.Module] = {}


def load(name: str):
    e = _entry(name)
    read_card(e.checkpoint)                      # the clear message when it is missing
    if e.checkpoint not in _MODELS:
        fam = family_of(read_card(e.checkpoint)["family"])
        _MODELS[e.checkpoint] = fam.load(CHECKPOINT_DIR / e.checkpoint)
    return _MODELS[e.checkpoint]


def samples(name: str, seed: int = 0, n: int = GRID_N) -> torch.Tensor:
    """n images (n, 1, 28, 28) in [0, 1] from the family's ``sample`` with the entry's options."""
    e = _entry(name)
    fam = family_of(read_card(e.checkpoint)["family"])
    return fam.sample(load(name), n, seed=seed, **sample_options(e, n))


def sample_grid(name: str, seed: int = 0, scale: int = 2) -> np.ndarray:
    """The 4×4 grid (uint8) of ``samples(name, seed)``."""
    return grid(samples(name, seed), nrow=4, scale=scale)


def time_per_16(name: str, repeats: int = 3) -> float:
    """Median seconds to draw 16 images with one torch thread (the model loaded beforehand)."""
    load(name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = []
        for r in range(repeats):
            t0 = time.perf_counter()
            samples(name, seed=r)
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return statistics.median(times)


def trilemma(rows: list[dict] | None = None, seconds: dict[str, float] | None = None, size: int = 420) -> np.ndarray:
    """The generative learning trilemma as a picture (uint8 RGB, size × size).

    Each model sits at x = speed (log10 network evaluations per sample, or the measured seconds per
    16 images when ``seconds`` has it) and y = quality (log10 FLD from its card, lower is better,
    drawn upward); its label carries coverage (class KL from uniform). A model whose card has no
    FLD is listed under the axes, not placed."""
    from PIL import Image, ImageDraw
    from .plotting import CLASS_COLOURS, _font
    rows = table() if rows is None else rows
    seconds = seconds or {}
    img = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(img)
    font = _font(11)
    left, top, right, bottom = 50, 24, 12, 70
    w, h = size - left - right, size - top - bottom
    d.rectangle([left, top, left + w, top + h], outline="black")
    use_time = bool(seconds)
    xs = {r["checkpoint"]: (np.log10(seconds[r["checkpoint"]]) if use_time else np.log10(r["evaluations"]))
          for r in rows if "error" not in r and (not use_time or r["checkpoint"] in seconds)}
    placed = {r["checkpoint"]: r for r in rows if r["checkpoint"] in xs and r.get("fld") not in (None, NOT_MEASURED)}
    if placed:
        xv = [xs[k] for k in placed]
        yv = [np.log10(float(r["fld"])) for r in placed.values()]
        x0, x1 = min(xv) - 0.3, max(xv) + 0.3
        y0, y1 = min(yv) - 0.2, max(yv) + 0.2
        for i, (k, r) in enumerate(placed.items()):
            px = left + (xs[k] - x0) / (x1 - x0) * w
            py = top + (np.log10(float(r["fld"])) - y0) / (y1 - y0) * h   # low FLD (better) at the top
            c = CLASS_COLOURS[i % len(CLASS_COLOURS)]
            d.ellipse([px - 5, py - 5, px + 5, py + 5], fill=c)
            label = f"{r['model']} (FLD {r['fld']}, KL {r['class_kl']})"
            tx = px + 7 if px < left + w / 2 else px - 7 - d.textlength(label, font=font)
            d.text((tx, py + 6 if px < left + w / 2 else py - 20), label, fill="#222222", font=font)  # dark: legible
    d.text((left, 4), "quality: FLD from the card, log (better = higher up)", fill="black", font=font)
    d.text((left, top + h + 6), ("slower to the right: s per 16 images, log" if use_time else
                                 "slower to the right: network evaluations per sample, log"), fill="black", font=font)
    d.text((left, top + h + 22), "coverage: class KL from uniform (0 = every digit equally often)", fill="black", font=font)
    missing = [r["model"] for r in rows if r["checkpoint"] not in placed]
    if missing:
        d.text((left, top + h + 38), "not placed (no FLD on the card): " + ", ".join(missing), fill="black", font=font)
    return np.asarray(img)


def cached_grid(name: str, seed: int = 0, cache_dir=None) -> np.ndarray:
    """``sample_grid(name, seed)`` kept on disk (checkpoints/runs/compare/NAME-sSEED-SHA.npy, keyed
    by the weights' sha256 on the card), so the view shows the grids at once after the first run."""
    e = _entry(name)
    card = read_card(e.checkpoint)
    d = (CHECKPOINT_DIR / "runs" / "compare") if cache_dir is None else cache_dir
    opts = "-".join([f"{k}{v}" for k, v in sorted(e.options.items())] + (["labels0-9"] if e.cycle_labels else []))
    path = d / f"{e.checkpoint}-s{seed}-{card.get('sha256', 'nosha')[:12]}-{opts}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    g = sample_grid(name, seed)
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, g, allow_pickle=False)
    tmp.replace(path)
    return g
