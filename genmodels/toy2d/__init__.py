"""The map of generative models: every family of the course on the same 2-D points (family "toy2d").

Nine estimators of p_model(x), x ∈ R², each one module a student can read top to bottom
(``ESTIMATORS``), trained on the same data (``data``) and scored the same way (``metrics``):

    explicit, tractable density   histogram, kde, gmm (EM), autoregressive (p(x₁)·p(x₂|x₁)), flow
    explicit, approximate         vae (a bound: the ELBO), ebm (unnormalised: −E_θ(x), Z unknown)
    implicit                      gan (a sampler only)
    score-based                   diffusion (ε_θ ∝ −∇ log p; an exact likelihood needs an ODE)

**Standardisation and its Jacobian.** Every estimator works on standardised points
z = (x − m) / σ (m, σ: the training points' mean and standard deviation per axis), so that one
set of defaults fits every shape. A density of z is a density of x after the change of variables

    log p_x(x) = log p_z((x − m) / σ) − Σ_i log σ_i,

which ``Toy2D.log_prob`` applies: every NLL reported here is in nats per point **in the data's own
coordinates** (scaling the data by 10 moves an exact model's NLL by exactly 2·log 10).

The family contract (``genmodels/family.py``): ``Config`` (``model``, ``data``, ``seed``, the budget
``seconds``, …, and ``params``: the estimator's own hyper-parameters as "name=value,…"),
``build`` / ``train`` / ``sample`` / ``save`` / ``load`` / ``evaluate``. The command line:

    python -m genmodels train toy2d --model gmm --data thin_mixture --seed 0 --out ckpt/gmm
    python -m genmodels train toy2d --model kde --data points.npy --params bandwidth=0.1 --out ckpt/kde
    python -m genmodels sample ckpt/gmm --n 1000 --seed 0 --out samples.npy
    python -m genmodels eval ckpt/gmm --data test.npy

Every estimator module defines, in standardised coordinates: ``KIND`` ("exact" | "bound" |
"unnormalised" | "implicit"), a ``Params`` dataclass with ``validate()``, ``fit(params, x, *, seed,
seconds)`` (a generator of Records whose ``.model`` is the live estimator), ``sample(model, n, *,
seed)``, ``log_density(model, x)``, ``evaluations_per_sample``, ``picture(model, extent, res)``, and
optionally ``build(params, *, seed)`` (a fresh, untrained estimator; used to load a checkpoint).
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .. import checkpoints
from ..family import Option
from ..progress import Record

FAMILY = "toy2d"

ESTIMATORS = {                     # --model NAME -> its module (imported when first used)
    "histogram": "genmodels.toy2d.histogram",
    "kde": "genmodels.toy2d.kde",
    "gmm": "genmodels.toy2d.gmm",
    "autoregressive": "genmodels.toy2d.autoregressive",
    "flow": "genmodels.toy2d.flow",
    "vae": "genmodels.toy2d.vae",
    "gan": "genmodels.toy2d.gan",
    "diffusion": "genmodels.toy2d.diffusion",
    "ebm": "genmodels.toy2d.ebm",
}
KINDS = ("exact", "bound", "unnormalised", "implicit")
HAS_NLL = ("exact", "bound")       # kinds whose log_density gives an NLL we report (bound: −ELBO ≥ NLL)


# ---------------------------------------------------------------------------- shared picture pieces
@dataclass
class DensityGrid:
    """log p on a grid: ``log_density[i, j]`` at (xs[j], ys[i]); numpy arrays, for a heat-map or contours."""
    xs: object
    ys: object
    log_density: object


def grid_points(extent, res: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """(xs (res,), ys (res,), points (res·res, 2) row by row: y = ys[i], x = xs[j]) over (x0, x1, y0, y1)."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    xs, ys = np.linspace(x0, x1, res), np.linspace(y0, y1, res)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, torch.from_numpy(np.stack([X.ravel(), Y.ravel()], 1)).float()


@dataclass
class LossCurve:
    """The preview of a model fitted by maximum likelihood: the minibatch −log-likelihood, one per record."""
    losses: list = dataclasses.field(default_factory=list)


def seeded_build(Model: type, params, seed: int):
    """``Model(params.validate())`` with torch's global generator seeded by ``seed`` while the layers
    draw their default initial weights (and restored after): fresh networks, the same for a seed."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return Model(params.validate())


def fit_max_likelihood(model: nn.Module, params, x: torch.Tensor, *, seed: int, seconds: float,
                       clip: float | None = None) -> Iterator[Record]:
    """Adam on L(θ) = −mean log p_θ(x) over minibatches of ``x``, the learning rate on a cosine
    schedule over ``params.steps`` (or ``params.max_seconds``, whichever ends first); a Record at
    least every ``seconds`` (and every 500 steps), the last with ``done=True``. ``clip``: a bound
    on the gradient's norm. The autoregressive model and the flow both train this way: only
    their ``log_prob`` differs."""
    from ..common import Deadline, cosine
    from ..progress import Cadence

    x = x.float()
    g = torch.Generator().manual_seed(int(seed) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=params.lr)
    deadline, cadence = Deadline(params.max_seconds), Cadence(500, seconds)
    curve = LossCurve()
    for step in range(1, params.steps + 1):
        for group in opt.param_groups:
            group["lr"] = params.lr * cosine(deadline.used(step - 1, params.steps))
        batch = x[torch.randint(len(x), (min(params.batch_size, len(x)),), generator=g)]
        loss = -model.log_prob(batch).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        done = step == params.steps or deadline.passed()
        if cadence.due(step) or done:
            curve = LossCurve(curve.losses + [loss.item()])
            yield Record(step, {"loss": loss.item()}, {}, curve, done=done, model=model)
        if done:
            return


# ---------------------------------------------------------------------------- the taxonomy
@dataclass(frozen=True)
class Leaf:
    name: str                  # ESTIMATORS key
    label: str                 # what the tab shows
    path: tuple[str, ...]      # branches from the root (deck 002's tree after Goodfellow; deck 003's three routes)
    likelihood: str            # what its test_nll means


TAXONOMY = (
    Leaf("histogram", "Histogram", ("Explicit density", "Tractable density"), "exact NLL"),
    Leaf("kde", "Kernel density estimate", ("Explicit density", "Tractable density"), "exact NLL"),
    Leaf("gmm", "Gaussian mixture (EM)", ("Explicit density", "Tractable density"), "exact NLL"),
    Leaf("autoregressive", "Autoregressive p(x₁)·p(x₂|x₁)", ("Explicit density", "Tractable density"), "exact NLL"),
    Leaf("flow", "Normalizing flow", ("Explicit density", "Tractable density"), "exact NLL (change of variables)"),
    Leaf("vae", "VAE", ("Explicit density", "Approximate density", "Variational bound"),
         "−ELBO, an upper bound on the NLL"),
    Leaf("ebm", "Energy-based model", ("Explicit density", "Approximate density", "Unnormalised energy"),
         "none: −E_θ(x) is log p up to the unknown log Z"),
    Leaf("gan", "GAN", ("Implicit density", "Direct sampling"), "none: implicit, a sampler only"),
    Leaf("diffusion", "Diffusion", ("Score-based",),
         "its KIND decides: the −ELBO over the T steps for a bound (an exact NLL needs the "
         "probability-flow ODE and its Jacobian trace)"),
)


@dataclass(frozen=True)
class Desiderata:
    """One row of deck 003's desiderata table (and issue 15's), before any measurement."""
    name: str
    probability_evaluation: str        # given x, is p_θ(x) efficient to evaluate?
    flexible_family: str               # can any neural network be used?
    easy_sampling: str                 # is sampling cheap?
    latent_space: str
    stable_training: str


DESIDERATA = (
    Desiderata("histogram", "exact: a table look-up", "no: cells on a grid; (1/width)^d of them in d dimensions",
               "yes: a cell, then a uniform point", "no", "yes: counting"),
    Desiderata("kde", "exact: a sum over all n training points", "no: one kernel per training point",
               "yes: a stored point plus noise", "no", "yes: nothing to train; h by cross-validation"),
    Desiderata("gmm", "exact", "no: K Gaussians", "yes: a component, then a Gaussian draw",
               "the component k (discrete)", "mostly: EM never lowers the likelihood, but stops at a local optimum"),
    Desiderata("autoregressive", "exact: the chain rule", "yes, one network per conditional in a fixed order",
               "sequential: one coordinate after another (d passes in d dimensions)", "no",
               "yes: maximum likelihood"),
    Desiderata("flow", "exact: change of variables", "restricted: invertible layers with a cheap Jacobian",
               "yes: one inverse pass", "yes: z, as many dimensions as x", "yes: maximum likelihood"),
    Desiderata("vae", "a bound: the ELBO", "yes", "yes: one decoder pass", "yes: z, fewer dimensions",
               "yes: maximum ELBO"),
    Desiderata("ebm", "unnormalised: −E_θ(x), Z unknown", "yes: any network gives an energy",
               "no: Langevin MCMC, many steps", "no", "fragile: contrastive divergence with short chains"),
    Desiderata("gan", "none: implicit", "yes", "yes: one generator pass", "yes: z",
               "no: a minimax game (mode collapse, oscillation)"),
    Desiderata("diffusion", "not directly: a bound, or an ODE with a Jacobian trace", "yes",
               "slow: one network pass per denoising step", "yes: x_T, as many dimensions as x",
               "yes: a regression on ε"),
)


# ---------------------------------------------------------------------------- estimators, config
def estimator(name: str):
    """The module of an estimator (imported on first use), with a clear error for unknown names."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator '{name}'; choose one of {', '.join(ESTIMATORS)}")
    try:
        return importlib.import_module(ESTIMATORS[name])
    except ModuleNotFoundError as e:
        if e.name == ESTIMATORS[name]:
            raise ValueError(f"estimator '{name}' is not part of this build ({ESTIMATORS[name]} is missing)") from None
        raise


def parse_params(params: str | dict, Params: type):
    """The estimator's Params from "name=value,name=value" (or a dict), each value read with the
    type of its default; unknown names get a message listing the known ones."""
    if isinstance(params, str):
        pairs = [p for p in params.replace(";", ",").split(",") if p.strip()]
        raw = {}
        for pair in pairs:
            if "=" not in pair:
                raise ValueError(f"params: '{pair}' is not name=value (e.g. \"bins=30,alpha=0.5\")")
            key, value = pair.split("=", 1)
            raw[key.strip()] = value.strip()
    elif isinstance(params, dict):
        raw = dict(params)
    else:
        raise ValueError(f"params must be \"name=value,…\" or a dict, got {type(params).__name__}")
    fields = {f.name: f for f in dataclasses.fields(Params)}
    values = {}
    for key, value in raw.items():
        if key not in fields:
            raise ValueError(f"params: unknown name '{key}' for {Params.__module__.rsplit('.', 1)[-1]}; "
                             f"known: {', '.join(fields)}")
        typ = type(fields[key].default)
        try:
            values[key] = (value.lower() in ("1", "true", "yes", "on") if typ is bool and isinstance(value, str)
                           else typ(value))
        except (TypeError, ValueError):
            raise ValueError(f"params: {key}={value!r} is not a {typ.__name__}") from None
    return Params(**values).validate()


@dataclass
class Config:
    """One run of the 2-D map: which estimator, on which points, for how long.

    --params sets the estimator's own hyper-parameters as name=value,… (the fields of its Params):
      histogram       bins (0 = leave-one-out choice), alpha, margin, max_bins
      kde             bandwidth (0 = cross-validated), h_min, h_max, candidates
      gmm             K, iterations, tol, reg
      autoregressive  K, hidden, steps, batch_size, lr, max_seconds
      flow            layers, bins, hidden, bound, steps, batch_size, lr, max_seconds
      vae, gan, diffusion, ebm: see their modules
    """
    model: str = "gmm"               # which estimator: a key of ESTIMATORS
    data: str = "thin_mixture"       # a shape of data.SHAPES, or a .npy / .csv file of (x, y) points
    seed: int = 0                    # data sampling, held-out split, initialisation, minibatches
    seconds: float = 20.0            # training budget (wall time); histogram / KDE / GMM usually finish sooner
    n_train: int = 2000              # training points (a shape draws this many; a file gives at most this many)
    n_test: int = 2000               # held-out points (a file keeps at most a fifth of its points)
    device: str = "cpu"              # 2-D points: the CPU is the right place
    max_seconds: float = 0.0         # a hard cap on the budget (0 = none)
    params: str = ""                 # the estimator's Params as "name=value,…", e.g. "K=5" or "bandwidth=0.1"

    def validate(self) -> "Config":
        from . import data
        if self.model not in ESTIMATORS:
            raise ValueError(f"unknown --model '{self.model}'; choose one of {', '.join(ESTIMATORS)}")
        if self.data not in data.SHAPES and not str(self.data).lower().endswith((".npy", ".csv", ".txt")):
            raise ValueError(f"--data '{self.data}': a shape ({', '.join(data.SHAPES)}) or a .npy / .csv file")
        if not 0 < self.seconds <= 600 or not math.isfinite(self.seconds):
            raise ValueError(f"seconds (the training budget) must be in (0, 600], got {self.seconds}")
        if not 0 <= self.max_seconds <= 3600:
            raise ValueError(f"max_seconds must be in [0, 3600] (0 = no cap), got {self.max_seconds}")
        if not data.MIN_POINTS <= self.n_train <= data.MAX_POINTS:
            raise ValueError(f"n_train must be in {data.MIN_POINTS}..{data.MAX_POINTS}, got {self.n_train}")
        if not 10 <= self.n_test <= data.MAX_POINTS:
            raise ValueError(f"n_test must be in 10..{data.MAX_POINTS}, got {self.n_test}")
        if self.device != "cpu":
            raise ValueError(f"toy2d runs on the CPU (2-D points are too small for a GPU); got device={self.device!r}")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 63:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        self.estimator_params()
        return self

    @property
    def budget(self) -> float:
        """The wall-time budget of a run: ``seconds``, capped by ``max_seconds`` when set."""
        return min(self.seconds, self.max_seconds) if self.max_seconds > 0 else self.seconds

    def estimator_params(self):
        """The estimator's Params; a budget field (``max_seconds``) it has follows ``budget`` unless given."""
        mod = estimator(self.model)
        p = parse_params(self.params, mod.Params)
        given = self.params if isinstance(self.params, dict) else self.params.replace(" ", "")
        if hasattr(p, "max_seconds") and "max_seconds" not in given:
            p.max_seconds = self.budget
        return p.validate()


# ---------------------------------------------------------------------------- the model
class Toy2D(nn.Module):
    """One fitted estimator with the standardisation it was fitted in: z = (x − mean) / std."""

    def __init__(self, cfg: Config, estimator_model, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.cfg, self.steps, self.card, self.train_seconds = cfg, 0, None, None
        self.estimator = estimator_model
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float64).reshape(2))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float64).reshape(2))

    @property
    def module(self):
        return estimator(self.cfg.model)

    @property
    def kind(self) -> str:
        return self.module.KIND

    def standardise(self, x) -> torch.Tensor:
        return ((torch.as_tensor(np.asarray(x), dtype=torch.float64) - self.mean) / self.std).float()

    def unstandardise(self, z) -> torch.Tensor:
        return (torch.as_tensor(z, dtype=torch.float64) * self.std + self.mean).float()

    def log_jacobian(self) -> float:
        """Σ_i log σ_i: what a density of z loses per point as a density of x."""
        return float(torch.log(self.std).sum())

    def log_prob(self, x) -> torch.Tensor:
        """log p_model(x) (n,) in the data's coordinates: log p_z((x − m)/σ) − Σ log σ_i (float64).
        For a "bound" estimator the ELBO, for "unnormalised" −E_θ (not a density), "implicit": an error."""
        if self.kind == "implicit":
            raise ValueError(f"'{self.cfg.model}' is an implicit model: it can sample, but has no density to evaluate")
        self.on_cpu()
        with torch.no_grad():
            log_pz = self.module.log_density(self.estimator, self.standardise(x))
        return torch.as_tensor(log_pz, dtype=torch.float64) - self.log_jacobian()

    def on_cpu(self) -> "Toy2D":
        """2-D points are computed on the CPU (a caller may have moved the model, e.g. ``--device auto``)."""
        if self.mean.device.type != "cpu":
            self.cpu()
        return self

    def evaluations_per_sample(self) -> int:
        e = self.module.evaluations_per_sample
        return int(e(self.estimator) if callable(e) else e)


def heldout_nll(model: Toy2D, x) -> float | None:
    """Held-out NLL in nats per point in data coordinates (the −ELBO for a bound); None when the
    estimator has no normalised density (unnormalised energy, implicit)."""
    from . import metrics
    if model.kind not in HAS_NLL or model.estimator is None:
        return None
    return metrics.nll(model.log_prob(x))


def _fresh_estimator(mod, params, seed: int):
    """An untrained estimator of the right shape: ``mod.build`` where it exists, else the first
    Record of a fit on a few points (so that any estimator module can be loaded)."""
    if hasattr(mod, "build"):
        return mod.build(params, seed=seed)
    from . import data
    x = data.sample("thin_mixture", 256, seed)
    gen = mod.fit(params, torch.from_numpy((x - x.mean(0)) / x.std(0)).float(), seed=seed, seconds=0.0)
    try:
        return next(gen).model
    finally:
        gen.close()


def build(cfg: Config) -> Toy2D:
    """A fresh, untrained estimator with the standardisation of cfg's training points."""
    from . import data
    cfg = cfg.validate()
    split = data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed)
    return Toy2D(cfg, _fresh_estimator(estimator(cfg.model), cfg.estimator_params(), cfg.seed),
                 split.train.mean(0), split.train.std(0))


def train(cfg: Config, model: Toy2D | None = None, *, seconds: float = 0.5) -> Iterator[Record]:
    """Fit cfg.model to cfg.data for at most cfg.budget seconds; a Record at least every ``seconds``
    (its ``.model`` the live Toy2D; its metrics carry the held-out ``test_nll`` (None without a
    density) on the first and last record and between at most every ``seconds``, or less often where
    it would take more than a tenth of the time), the last with
    done=True. ``model`` continues a run (same standardisation) where the estimator can."""
    from . import data
    cfg = cfg.validate()
    split = data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed)
    mod, params = estimator(cfg.model), cfg.estimator_params()
    if model is None:
        model, start, before, extra = Toy2D(cfg, None, split.train.mean(0), split.train.std(0)), 0, 0.0, {}
    else:                                    # continue: estimators whose fit takes ``model=`` go on from it
        start, before, model.cfg = model.steps, model.train_seconds or 0.0, cfg
        extra = {"model": model.estimator} if "model" in inspect.signature(mod.fit).parameters else {}
    z = model.standardise(split.train)
    t0 = scored = time.perf_counter()
    cost = 0.0                               # seconds one held-out NLL took (a bound's can be costly)
    gen = mod.fit(params, z, seed=cfg.seed, seconds=seconds, **extra)
    last = None
    try:
        for rec in gen:
            elapsed = time.perf_counter() - t0
            model.estimator, model.steps, model.train_seconds = rec.model, start + rec.step, before + elapsed
            done = rec.done or elapsed >= cfg.budget
            metrics = {**rec.metrics, "seconds": elapsed}
            if done or last is None or time.perf_counter() - scored >= max(seconds, 10 * cost):
                t = time.perf_counter()           # scored at the record cadence, within 10% of the time
                metrics["test_nll"] = heldout_nll(model, split.test)
                scored = time.perf_counter()
                cost = scored - t
            last = Record(model.steps, dict(rec.losses), metrics, rec.preview, done=done, model=model)
            yield last
            if done:
                return
    finally:
        gen.close()
    if last is not None:                     # the estimator stopped without saying done
        yield dataclasses.replace(last, done=True)


def sample(model: Toy2D, n: int, *, seed: int) -> torch.Tensor:
    """(n, 2) points in the data's coordinates; the same seed gives the same points."""
    model.on_cpu()
    return model.unstandardise(model.module.sample(model.estimator, n, seed=seed))


def picture(model: Toy2D, extent, res: int = 100):
    """The estimator's picture over ``extent`` = (x0, x1, y0, y1) in the data's coordinates.

    Estimators draw in standardised coordinates; this maps their dataclass back: ``xs`` / ``ys``
    and the fields a picture class lists in ``POINT_FIELDS`` (arrays of points, last axis 2) go
    through x = m + σ z, those in ``VECTOR_FIELDS`` (arrows) through σ z, and each log-density field
    (``log_density`` by default; a class may list ``LOG_DENSITY_AXES = {field: axes}``) loses
    Σ log σ_i over its axes, the Jacobian, so that a density grid is a density of x."""
    m, s = model.on_cpu().mean.numpy(), model.std.numpy()
    x0, x1, y0, y1 = (float(v) for v in extent)
    z_extent = ((x0 - m[0]) / s[0], (x1 - m[0]) / s[0], (y0 - m[1]) / s[1], (y1 - m[1]) / s[1])
    pic = model.module.picture(model.estimator, z_extent, res)
    log_axes = getattr(pic, "LOG_DENSITY_AXES", {"log_density": (0, 1)})
    changes = {}
    for f in dataclasses.fields(pic):
        v = getattr(pic, f.name)
        if v is None:
            continue
        if f.name == "xs":
            changes[f.name] = np.asarray(v) * s[0] + m[0]
        elif f.name == "ys":
            changes[f.name] = np.asarray(v) * s[1] + m[1]
        elif f.name in log_axes:
            changes[f.name] = np.asarray(v) - float(np.log(s[list(log_axes[f.name])]).sum())
        elif f.name in getattr(pic, "POINT_FIELDS", ()):
            changes[f.name] = np.asarray(v) * s + m
        elif f.name in getattr(pic, "VECTOR_FIELDS", ()):
            changes[f.name] = np.asarray(v) * s
    return dataclasses.replace(pic, **changes)


# ---------------------------------------------------------------------------- checkpoints
class _Tensors:
    """What ``checkpoints.save`` stores: the standardisation and the estimator's tensors."""

    def __init__(self, model: Toy2D):
        self.model = model

    def state_dict(self) -> dict[str, torch.Tensor]:
        est = self.model.estimator
        return {"mean": self.model.mean, "std": self.model.std,
                **{f"estimator.{k}": v for k, v in est.state_dict().items()}}


def save(model: Toy2D, path, metrics: dict, *, command: str = "", seconds: float | None = None) -> dict:
    """Safetensors (``toy2d.mean``, ``toy2d.std``, ``toy2d.estimator.*``) and the card."""
    cfg = model.cfg
    card = checkpoints.card(FAMILY, cfg, str(cfg.data), model.steps, "cpu", metrics, command,
                            seconds if seconds is not None else model.train_seconds,
                            estimator=cfg.model, kind=model.kind)
    return checkpoints.save(path, {"toy2d": _Tensors(model)}, card)


def _assign(module, state: dict[str, torch.Tensor]) -> None:
    """Load ``state`` into an estimator whose buffers may differ in shape from a fresh one
    (a KDE's stored points, a histogram's cells): buffers are replaced, parameters copied."""
    if not isinstance(module, nn.Module):
        module.load_state_dict(state)
        return
    expected = set(module.state_dict())
    if expected != set(state):
        raise checkpoints.CheckpointError(
            f"checkpoint tensors do not match the estimator: missing {sorted(expected - set(state))[:3]}, "
            f"unexpected {sorted(set(state) - expected)[:3]}")
    params = dict(module.named_parameters())
    for key, value in state.items():
        if key in params:
            if params[key].shape != value.shape:
                raise checkpoints.CheckpointError(f"{key}: shape {tuple(value.shape)} in the checkpoint, "
                                                  f"{tuple(params[key].shape)} in the estimator")
            params[key].data.copy_(value)
        else:
            owner_path, _, name = key.rpartition(".")
            owner = module.get_submodule(owner_path) if owner_path else module
            setattr(owner, name, value.clone())


def load(path) -> Toy2D:
    tensors, card = checkpoints.load(path, family=FAMILY)
    cfg = Config(**card["config"])
    mod = estimator(cfg.model)
    est = _fresh_estimator(mod, cfg.estimator_params(), cfg.seed)
    _assign(est, checkpoints.unflatten(tensors, "toy2d.estimator"))
    if isinstance(est, nn.Module):
        est.eval()
    model = Toy2D(cfg, est, tensors["toy2d.mean"], tensors["toy2d.std"]).eval()
    model.steps, model.card, model.train_seconds = card.get("steps", 0), card, card.get("train_seconds")
    return model


# ---------------------------------------------------------------------------- evaluation
SAMPLE_OPTIONS: tuple[Option, ...] = ()
EVAL_OPTIONS = (
    Option("data", str, None, "held-out points: a .npy / .csv of (x, y) or a shape name "
                              "(default: the held-out split of the training data)"),
)
CARD_EVAL: dict = {}


def evaluate(model: Toy2D, *, n: int | None = None, seed: int = 0, data: str | None = None) -> dict:
    """test_nll (nats per point, data coordinates; −ELBO for a bound; None without a density),
    true_nll and nll_gap where the shape's density is known, sample_distance (energy distance of n
    samples to the held-out points), its value for a single fitted Gaussian, speed and train_seconds."""
    from . import data as toy_data, metrics
    cfg = model.cfg
    n = n or 2000
    if not 10 <= n <= toy_data.MAX_POINTS:
        raise ValueError(f"--n must be in 10..{toy_data.MAX_POINTS}, got {n}")
    if data is None:
        source, test = cfg.data, toy_data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed).test
    elif data in toy_data.SHAPES:
        source, test = data, toy_data.sample(data, cfg.n_test, seed + 1_000_003)
    else:
        source, test = data, toy_data.read_points(data)
    out = {"estimator": cfg.model, "kind": model.kind, "test_points": len(test),
           "test_nll": heldout_nll(model, test)}
    if source in toy_data.KNOWN_DENSITY:
        out["true_nll"] = metrics.nll(toy_data.true_log_density(source, test))
        if out["test_nll"] is not None:
            out["nll_gap"] = out["test_nll"] - out["true_nll"]
    samples = sample(model, n, seed=seed).numpy()
    out["sample_distance"] = metrics.sample_distance(samples, test, n=2000, seed=seed)
    out["sample_distance_gaussian"] = metrics.sample_distance(gaussian_samples(model, n, seed), test, n=2000, seed=seed)
    ms = metrics.ms_per_1000(lambda k: sample(model, k, seed=seed))
    out.update(ms_per_1000=ms, samples_per_second=1e6 / ms,
               evaluations_per_sample=model.evaluations_per_sample(), train_seconds=model.train_seconds)
    return out


def gaussian_samples(model: Toy2D, n: int, seed: int) -> np.ndarray:
    """n samples of the single Gaussian fitted to the training points (mean and full covariance):
    the baseline every estimator's sample distance is compared with."""
    from . import data as toy_data
    cfg = model.cfg
    train = toy_data.load(cfg.data, cfg.n_train, cfg.n_test, cfg.seed).train
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(train.mean(0), np.cov(train.T), size=n)
