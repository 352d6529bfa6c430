"""A GAN that learns a biased coin (seed deck 000, "A Barebones GAN").

Nature flips a coin with p_data(x = H) = p. We never tell the model p: it only
sees real flips x ~ p_data(x) (H = 1, T = 0). The generator turns noise into a
number,

    x = G(z; θ_G),  z ~ p_z = N(0, 1),

and a flip is read off as H when G(z) > 0.5; the flips it makes follow
p_model(x). The discriminator D(x; θ_D) gives the probability that x is real.
The two play the minimax game of deck 001,

    min_G max_D V(G, D) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 − D(G(z)))],

trained as on deck 000's slide with l the binary cross-entropy, each sum a
mean over its batch:

    train D:  min_θD  mean_{x_i ∈ R} l(D(x_i, h̄_R), 1) + mean_{z_j ~ N} l(D(G(z_j), h̄_G), 0)   (= −V)
    train G (non-saturating, the default; deck 000's first form):
              min_θG  mean_{z_j ~ N} l(D(G(z_j), h̄_G), 1)  = mean −log D(G(z_j))
    train G (saturating, deck 001's min_G V; deck 000's "max l(·, 0)" form):
              min_θG  mean_{z_j ~ N} log(1 − D(G(z_j), h̄_G))

Both G losses have the same fixed point (D = ½ everywhere once p_model =
p_data, where L_D = 2 ln 2 and the non-saturating L_G = ln 2; the saturating
one is −ln 2 there), but not the same gradients: while D still rejects G's
flips (D(G(z)) ≈ 0), log(1 − D) is flat and G learns slowly (Goodfellow et al.
2014, section 3).

h̄_B is the fraction of heads in batch B, a *minibatch statistic* that D sees
as a second input beside each flip (Config.batch_feature; this is a simple
batch feature, not Salimans et al.'s minibatch discrimination with its learned
similarity kernel). A generator that says heads too often is caught even when
every single flip looks real. Measured (defaults, p = 0.3, seeds 0-4, 1000
steps): without it the run ends collapsed to all-H or all-T in 5 of 5 seeds,
with G's midpoint start or without it; with it, in 0 of 5 either way.

What else we do differently from the seed notebook, and why:

- fresh flips every step instead of one fixed sample of 1024 flips: a fixed
  sample has its own heads fraction (±0.014 around p), which is what the
  notebook's GAN ends up copying;
- larger batches, Adam with β1 = 0.5 and a learning rate that decays to a
  tenth over the run, so the two players settle instead of orbiting;
- G's output layer starts at 0.5 with a small weight (Config.g_init_midpoint),
  so its first flips are not all on one side by construction. It does not
  prevent collapse (see above); the batch feature does.
"""
from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import checkpoints
from .data import coin_flips
from .progress import Cadence, Record

FAMILY = "coin_gan"
G_LOSSES = ("non-saturating", "saturating")


@dataclass
class Config:
    p_heads: float = 0.3          # target p(x = H); the model never sees it
    steps: int = 1000             # one step = one D update and one G update
    real_flips: int = 256         # fresh real flips per step
    batch_size: int = 256         # generated flips per step
    lr_d: float = 2e-3
    lr_g: float = 2e-3
    dataset_size: int = 0         # 0: fresh flips each step; N: one fixed sample of N flips (the notebook)
    d_hidden: int = 32            # D: 1 -> 32 ReLU -> 1 sigmoid (as in the notebook)
    batch_feature: bool = True    # D also sees its batch's heads fraction h̄, a minibatch statistic (off = the notebook's D)
    g_hidden: int = 64            # G: 1 -> 64 ReLU -> 1 linear (as in the notebook)
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: bool = True         # linear decay of the learning rate ...
    lr_decay_to: float = 0.1      # ... down to this fraction of it
    g_init_midpoint: bool = True  # start G's output at 0.5
    g_loss: str = "non-saturating"  # "non-saturating": min −log D(G(z)); "saturating": min log(1 − D(G(z)))
    seed: int = 0

    def validate(self) -> "Config":
        checks = [
            (0.0 < self.p_heads < 1.0, f"p_heads must be strictly between 0 and 1, got {self.p_heads}"),
            (1 <= self.steps <= 100_000, f"steps must be in 1..100000, got {self.steps}"),
            (1 <= self.real_flips <= 65_536, f"real_flips must be in 1..65536, got {self.real_flips}"),
            (1 <= self.batch_size <= 65_536, f"batch_size must be in 1..65536, got {self.batch_size}"),
            (0 < self.lr_d <= 1 and 0 < self.lr_g <= 1, "learning rates must be in (0, 1]"),
            (0 <= self.dataset_size <= 1_000_000, "dataset_size must be in 0..1000000"),
            (self.g_loss in G_LOSSES, f"g_loss must be one of {', '.join(G_LOSSES)}, got {self.g_loss!r}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)
        return self


# --------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------
def _init_linear(layer: nn.Linear, g: torch.Generator) -> None:
    """PyTorch's default Linear init, drawn from our own generator (reproducible, thread-safe)."""
    bound = 1.0 / math.sqrt(layer.in_features)
    nn.init.uniform_(layer.weight, -bound, bound, generator=g)
    nn.init.uniform_(layer.bias, -bound, bound, generator=g)


class Generator(nn.Module):
    """G(z; θ_G): 1 -> hidden ReLU -> 1, a real number read as a flip by > 0.5."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def heads_fraction(x: torch.Tensor) -> torch.Tensor:
    """Fraction of the batch read as heads (x > 0.5).

    Forward it is the exact count a person would make; backward it lets the
    gradient through as if it were the plain mean of x (a straight-through
    estimator), so G still learns from it.
    """
    soft = x.mean()
    return soft + ((x > 0.5).float().mean() - soft).detach()


class Discriminator(nn.Module):
    """D(x, h̄; θ_D): hidden ReLU -> 1 sigmoid, the probability that x is real.

    With ``batch_feature`` D sees each flip x together with h̄, the fraction
    of heads in its batch (a minibatch statistic fed as a feature), so a
    generator that says "heads" too often is caught even when every single
    flip looks fine. That is what stops the collapse to all-H or all-T.
    Without it, D(x) sees the flip alone, as in the notebook.
    """

    def __init__(self, hidden: int = 32, batch_feature: bool = True):
        super().__init__()
        self.batch_feature = batch_feature
        self.net = nn.Sequential(nn.Linear(2 if batch_feature else 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def logits(self, x: torch.Tensor, h_bar: torch.Tensor | float | None = None) -> torch.Tensor:
        """Logits for a batch x of shape (n, 1); h̄ defaults to the batch's own heads fraction."""
        if self.batch_feature:
            h = heads_fraction(x) if h_bar is None else h_bar
            x = torch.cat([x, torch.as_tensor(h, dtype=x.dtype).expand_as(x)], dim=1)
        return self.net(x)

    def forward(self, x: torch.Tensor, h_bar=None) -> torch.Tensor:
        return torch.sigmoid(self.logits(x, h_bar))


class CoinGAN(nn.Module):
    """The family's networks under their names, G and D; ``cfg``, ``steps`` (updates so far) and
    ``card`` (set by :func:`load`)."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg, self.steps, self.card = cfg, 0, None
        self.G = Generator(cfg.g_hidden)
        self.D = Discriminator(cfg.d_hidden, cfg.batch_feature)


def _build(cfg: Config, generator: torch.Generator) -> CoinGAN:
    model = CoinGAN(cfg)
    for m in (*model.G.net, *model.D.net):
        if isinstance(m, nn.Linear):
            _init_linear(m, generator)
    if cfg.g_init_midpoint:
        with torch.no_grad():
            model.G.net[2].weight.mul_(0.1)
            model.G.net[2].bias.fill_(0.5)
    return model


def build(cfg: Config) -> CoinGAN:
    """Fresh networks drawn from cfg.seed (PyTorch's default init; G's output at 0.5 with g_init_midpoint)."""
    return _build(cfg.validate(), torch.Generator().manual_seed(cfg.seed))


# --------------------------------------------------------------------------
# Losses, written as on the slide (l = binary cross-entropy, means over batches)
# --------------------------------------------------------------------------
_bce = nn.functional.binary_cross_entropy_with_logits

# The equilibrium p_model = p_data, where the best D says ½ everywhere.
EQUILIBRIUM_D = 0.5
EQUILIBRIUM_LOSS_D = 2 * math.log(2)                   # −log ½ − log(1 − ½)
EQUILIBRIUM_LOSS_G = {"non-saturating": math.log(2),   # −log ½
                      "saturating": -math.log(2)}      # log(1 − ½)


def d_loss(D: Discriminator, x_real: torch.Tensor, x_fake: torch.Tensor) -> torch.Tensor:
    """mean l(D(x_i, h̄_R), 1) over real flips + mean l(D(G(z_j), h̄_G), 0) over generated ones (= −V)."""
    real, fake = D.logits(x_real), D.logits(x_fake)
    return _bce(real, torch.ones_like(real)) + _bce(fake, torch.zeros_like(fake))


def g_loss(D: Discriminator, x_fake: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    """G's loss on its batch x_fake = G(z).

    non-saturating: mean l(D(G(z_j)), 1) = mean −log D(G(z_j)); G wants its flips labelled real.
    saturating:     mean log(1 − D(G(z_j))) = −mean l(D(G(z_j)), 0); G minimises V directly.
    """
    fake = D.logits(x_fake)
    if kind == "non-saturating":
        return _bce(fake, torch.ones_like(fake))
    if kind == "saturating":
        return -_bce(fake, torch.zeros_like(fake))      # log(1 − σ(a)) = −softplus(a), computed stably
    raise ValueError(f"g_loss must be one of {', '.join(G_LOSSES)}, got {kind!r}")


# --------------------------------------------------------------------------
# Sampling and measuring
# --------------------------------------------------------------------------
@torch.no_grad()
def generate_raw(G: Generator, n: int, seed: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Raw generator outputs G(z) for n draws of z ~ N(0, 1), shape (n,)."""
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
    z = torch.randn(n, 1, generator=generator)
    return G(z).squeeze(1)


def to_flips(raw: torch.Tensor) -> torch.Tensor:
    """Read raw outputs as flips: H = 1 when G(z) > 0.5, else T = 0."""
    return (raw > 0.5).float()


def flips(G: Generator, n: int, seed: int = 0) -> torch.Tensor:
    """n flips (float 0/1) of generator G."""
    return to_flips(generate_raw(G, n, seed=seed))


def sample(model: CoinGAN, n: int, *, seed: int) -> torch.Tensor:
    """n generated flips (float 0/1, shape (n,)), H = 1."""
    return flips(model.G, n, seed=seed)


SAMPLE_OPTIONS = ()
EVAL_OPTIONS = ()
CARD_EVAL: dict = {}


def collapse(p_generated: float, tolerance: float = 0.005) -> str | None:
    """'all heads' / 'all tails' when one reading of the generator is all on one side."""
    if p_generated >= 1.0 - tolerance:
        return "all heads"
    if p_generated <= tolerance:
        return "all tails"
    return None


ALARM_WARMUP, ALARM_WINDOW, ALARM_SHARE = 250, 150, 0.8


def collapse_alarm(steps: list[int], p_generated: list[float], p_heads: float, warmup: int = ALARM_WARMUP,
                   window: int = ALARM_WINDOW, share: float = ALARM_SHARE) -> str | None:
    """The mode-collapse alarm: fires only on a sustained collapse after a warm-up.

    ``steps`` / ``p_generated`` are the readings so far (step, generated P(H)).
    In its first steps a healthy run often says all-H or all-T for a few
    readings while G finds the threshold (default runs do up to step ~120), so
    the alarm stays quiet until step ``warmup`` and then fires only when at
    least ``share`` of the readings in the last ``window`` steps (at least 3
    readings) are all heads or all tails. "All" allows a tolerance of
    min(0.005, p/4, (1 − p)/4), so a healthy run at p = 0.01 is not called
    all tails. Returns 'all heads', 'all tails', 'all heads and all tails in
    turn', or None.
    """
    if not steps or steps[-1] < warmup:
        return None
    tol = min(0.005, p_heads / 4, (1 - p_heads) / 4)
    recent = [p for s, p in zip(steps, p_generated) if s > steps[-1] - window]
    if len(recent) < 3:
        recent = list(p_generated[-3:])
    sides = [collapse(p, tol) for p in recent]
    hits = [side for side in sides if side]
    if len(recent) < 3 or len(hits) < share * len(recent):
        return None
    return hits[0] if len(set(hits)) == 1 else "all heads and all tails in turn"


def heads_region(z: list[float], G_z: list[float]) -> str:
    """Where z ~ N(0, 1) gives heads (G(z) > 0.5) on an increasing grid of z, in words.

    G may rise or fall: training decides which side of its threshold says heads.
    """
    heads = [g > 0.5 for g in G_z]
    if all(heads):
        return "every z"
    if not any(heads):
        return "no z"
    changes = [i for i in range(1, len(z)) if heads[i] != heads[i - 1]]
    cut = lambda i: (z[i - 1] + z[i]) / 2  # noqa: E731
    if len(changes) == 1:
        return f"z > {cut(changes[0]):.2f}" if heads[-1] else f"z < {cut(changes[0]):.2f}"
    if len(changes) == 2 and not heads[0]:
        return f"{cut(changes[0]):.2f} < z < {cut(changes[1]):.2f}"
    return f"{sum(heads)} of {len(z)} grid points of z"


# The histogram of G's raw outputs: RAW_BINS bins over RAW_RANGE (outputs outside are counted in the
# end bins). One definition for the counts and for their labels on the tab's axis.
RAW_RANGE, RAW_BINS = (-0.25, 1.25), 15


def raw_bin_centres() -> list[float]:
    lo, hi = RAW_RANGE
    width = (hi - lo) / RAW_BINS
    return [lo + width * (i + 0.5) for i in range(RAW_BINS)]


def bin_label(centre: float) -> str:
    """'0.3': a histogram bin's name on the tab's axis (never '-0.0')."""
    return f"{centre:.1f}".replace("-0.0", "0.0")


RAW_BIN_LABELS = [bin_label(c) for c in raw_bin_centres()]


@dataclass
class Preview:
    """What the tab draws for one record. ``raw_hist`` / ``raw_counts``: bin centres and counts of G's
    raw outputs; ``z`` / ``G_z``: the mapping on a grid of z, ``heads_for`` where it says H in
    words; ``x`` / ``D_x``: D's verdict on a flip x in a batch whose heads fraction is ``h_bar``;
    ``strip``: 40 flips from fixed z; ``collapse``: :func:`collapse_alarm` over the readings so far;
    ``readings``: the rows (``Record.as_row()``) of every reading since the previous record, this
    one included (more than one only when ``train`` thins its records with ``frame_seconds``)."""
    raw_hist: list[float]
    raw_counts: list[float]
    z: list[float]
    G_z: list[float]
    heads_for: str
    x: list[float]
    D_x: list[float]
    h_bar: float
    strip: str
    collapse: str | None = None
    readings: list[dict] = field(default_factory=list)

    @property
    def raw_labels(self) -> list[str]:
        return [bin_label(c) for c in self.raw_hist]

    @property
    def raw_shares(self) -> list[float]:
        total = max(1.0, sum(self.raw_counts))
        return [c / total for c in self.raw_counts]

    def saved(self) -> dict:
        """The preview as JSON-able values, without the readings."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "readings"}


@torch.no_grad()
def preview(G: Generator, D: Discriminator, p_heads: float, n: int = 4000, seed: int = 1234, strip: int = 40) -> Preview:
    """What the tab draws: raw-output histogram, z -> G(z), D(x, h̄ = p) and a strip of flips.

    The D(x) curve is D's verdict on a flip x in a batch whose heads fraction
    h̄ is p, the batch feature of a typical real batch (not the grid's own).
    """
    raw = generate_raw(G, n, seed=seed)
    z_grid = torch.linspace(-3, 3, 61).unsqueeze(1)
    x_grid = torch.linspace(-0.5, 1.5, 81).unsqueeze(1)
    counts, _ = torch.histogram(raw.clamp(*RAW_RANGE), bins=RAW_BINS, range=RAW_RANGE)
    G_z = G(z_grid).squeeze(1).tolist()
    return Preview(
        raw_hist=raw_bin_centres(),
        raw_counts=counts.tolist(),
        z=z_grid.squeeze(1).tolist(),
        G_z=G_z,
        heads_for=heads_region(z_grid.squeeze(1).tolist(), G_z),
        x=x_grid.squeeze(1).tolist(),
        D_x=D(x_grid, p_heads).squeeze(1).tolist(),
        h_bar=p_heads,
        strip="".join("H" if f else "T" for f in to_flips(raw[:strip]).tolist()),
    )


# --------------------------------------------------------------------------
# Training: a generator of progress records
# --------------------------------------------------------------------------
def train(cfg: Config, model: CoinGAN | None = None, *, seconds: float = 0.25, frame_seconds: float = 0.0,
          log_every: int = 25, preview_every: int | None = None, eval_flips: int = 20_000):
    """Train a coin GAN, yielding :class:`Record` s; every record's ``model`` is the live :class:`CoinGAN`.

    A *reading* is taken every ``log_every`` steps and at least every ``seconds``: metrics
    ``target_p_heads``, ``empirical_p_heads`` (heads fraction of the real flips seen so far),
    ``generated_p_heads`` (on ``eval_flips`` fresh draws of z), ``gap`` = |generated − target|,
    ``D_real``, ``D_fake``. Each reading is a record, except that with ``frame_seconds`` > 0
    readings closer than that to the previous record are held back (a run can take 100 readings a
    second; a UI redraws 15 times); they arrive in the next record's ``preview.readings``. A
    :class:`Preview` is attached every ``preview_every`` steps (default: every record); the final
    record has ``done=True`` and a preview. ``model`` continues training it (in place).
    """
    cfg.validate()
    rng = torch.Generator().manual_seed(cfg.seed)
    model = model if model is not None else _build(cfg, rng)
    G, D = model.G, model.D
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    if cfg.lr_decay:
        decay = lambda s: 1.0 - (1.0 - cfg.lr_decay_to) * s / max(1, cfg.steps)  # noqa: E731
        sched = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_d, opt_g)]
    else:
        sched = []
    dataset = coin_flips(cfg.p_heads, cfg.dataset_size, rng) if cfg.dataset_size else None
    eval_rng_seed = cfg.seed + 1
    heads_seen = flips_seen = 0
    read_steps: list[int] = []
    read_p: list[float] = []
    held: list[dict] = []                       # readings not yet handed out
    reading = Cadence(log_every, seconds)
    shown = -math.inf                           # the first reading is always handed out

    for step in range(1, cfg.steps + 1):
        # Real flips x ~ p_data(x): fresh ones, or a minibatch of the fixed sample.
        if dataset is None:
            x_real = coin_flips(cfg.p_heads, cfg.real_flips, rng)
        else:
            x_real = dataset[torch.randint(len(dataset), (cfg.real_flips,), generator=rng)]
        heads_seen += int(x_real.sum())
        flips_seen += len(x_real)
        x_real = x_real.unsqueeze(1)
        z = torch.randn(cfg.batch_size, 1, generator=rng)

        # 1) train D: real -> 1, generated -> 0 (G frozen: detach)
        x_fake = G(z)
        loss_d = d_loss(D, x_real, x_fake.detach())
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # 2) train G: make D call its flips real (non-saturating) or minimise V (saturating)
        loss_g = g_loss(D, x_fake, cfg.g_loss)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for s in sched:
            s.step()
        model.steps += 1

        last = step == cfg.steps
        if not (reading.due(step) or last):
            continue
        with torch.no_grad():
            p_gen = float(flips(G, eval_flips, seed=eval_rng_seed).mean())
            d_real = float(D(x_real).mean())
            d_fake = float(D(x_fake).mean())
        metrics = {
            "target_p_heads": cfg.p_heads,
            "empirical_p_heads": heads_seen / flips_seen if dataset is None else float(dataset.mean()),
            "generated_p_heads": p_gen,
            "gap": abs(p_gen - cfg.p_heads),
            "D_real": d_real,
            "D_fake": d_fake,
        }
        losses = {"loss_D": loss_d.item(), "loss_G": loss_g.item()}
        read_steps.append(step)
        read_p.append(p_gen)
        held.append({"step": step, **losses, **metrics})
        now = time.perf_counter()
        if not (last or now - shown >= frame_seconds):
            continue
        shown = now
        pv = None
        if last or preview_every is None or step % preview_every == 0:
            pv = preview(G, D, cfg.p_heads)
            pv.collapse = collapse_alarm(read_steps, read_p, cfg.p_heads)
            pv.readings = held
        held = []
        yield Record(step, losses, metrics, pv, done=last, model=model)


@torch.no_grad()
def untrained(cfg: Config, eval_flips: int = 20_000) -> Record:
    """Step 0 of ``train(cfg)``: the freshly built networks, before any update."""
    model = build(cfg)
    p_gen = float(sample(model, eval_flips, seed=cfg.seed + 1).mean())
    metrics = {"target_p_heads": cfg.p_heads, "generated_p_heads": p_gen, "gap": abs(p_gen - cfg.p_heads)}
    return Record(0, {}, metrics, preview(model.G, model.D, cfg.p_heads), model=model)


def run(cfg: Config, **kw) -> tuple[CoinGAN, list[Record]]:
    """Train to the end; returns (model, records)."""
    records = list(train(cfg, **kw))
    return records[-1].model, records


def recorded_run(cfg: Config, log_every: int, path) -> tuple[list[dict], Preview]:
    """``train(cfg, log_every=log_every)`` as (rows, final preview): one ``Record.as_row()`` per
    reading and the last record's preview.

    Read from the JSON file at ``path`` when it was written for this config and
    log interval; else trained now and written there (skipped if not writable).
    The tab opens on the default run this way without training at start-up.
    """
    key = json.loads(json.dumps({"config": dataclasses.asdict(cfg), "log_every": log_every}))
    try:
        saved = json.loads(Path(path).read_text())
        if saved.get("key") == key:
            return saved["rows"], Preview(**saved["preview"])
    except (OSError, ValueError, TypeError):
        pass
    rows = []
    for r in train(cfg, log_every=log_every, seconds=0.0, preview_every=10**9):
        rows.append(r.as_row())
    final = r.preview
    final.readings = []
    try:
        Path(path).write_text(json.dumps({"key": key, "torch": torch.__version__, "rows": rows, "preview": final.saved()}))
    except OSError:
        pass
    return rows, final


# --------------------------------------------------------------------------
# Checkpoints and evaluation
# --------------------------------------------------------------------------
def evaluate(model: CoinGAN, *, n: int | None = None, seed: int = 0) -> dict:
    """Generated P(H) on n flips (default 100,000) against the target p, and whether G has collapsed."""
    n = n or 100_000
    p = float(sample(model, n, seed=seed).mean())
    p_heads = model.cfg.p_heads
    return {"target_p_heads": p_heads, "generated_p_heads": p, "gap": abs(p - p_heads),
            "eval_flips": n, "collapsed": collapse(p) is not None}


def save(model: CoinGAN, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    cfg = model.cfg
    dataset = (f"fresh Bernoulli({cfg.p_heads}) flips" if not cfg.dataset_size
               else f"{cfg.dataset_size} fixed Bernoulli({cfg.p_heads}) flips")
    card = checkpoints.card(FAMILY, cfg, dataset, model.steps, "cpu", metrics, command, seconds)
    return checkpoints.save(path, {"G": model.G, "D": model.D}, card)


_RENAMED = {"minibatch_mean": "batch_feature"}   # Config fields renamed since older cards were written


def load(path) -> CoinGAN:
    """The model in eval mode with ``model.card``; older cards' renamed fields are read too."""
    tensors, card = checkpoints.load(path, family=FAMILY)
    saved = {_RENAMED.get(k, k): v for k, v in card["config"].items()}
    model = CoinGAN(Config(**{k: tuple(v) if k == "betas" else v for k, v in saved.items()}))
    model.G.load_state_dict(checkpoints.unflatten(tensors, "G"))
    model.D.load_state_dict(checkpoints.unflatten(tensors, "D"))
    model.steps, model.card = int(card.get("steps", 0)), card
    return model.eval()


CLI_ALIASES = {"p": "p_heads"}
