"""Every family in genmodels.FAMILIES follows the contract written in genmodels/family.py.

Written against the contract only (never a family's extras), with tiny Configs, so a new family
is checked by adding it to FAMILIES and one line to TINY."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import re

import pytest
import torch

import genmodels
from genmodels import family
from genmodels.family import NAMES, Option, missing
from genmodels.progress import Record

# Overrides that make a run take a second or two on a CPU; fields a family lacks are ignored
# (and max_seconds bounds every run that has it).
TINY = {
    "coin_gan": dict(steps=60, batch_size=64, real_flips=64),
    "classifier": dict(epochs=1, batch_size=64),
    "vae": dict(steps=4, batch_size=16, hidden=32),
    "dcgan": dict(steps=3, batch_size=8, ngf=8, ndf=8, d_dense=16),
    "cgan": dict(steps=3, batch_size=8, ngf=8, ndf=8, d_dense=16, nz=8),
    "ddpm": dict(steps=3, batch_size=4, ch=8, T=50, bf16=False, warmup=1),
    "cyclegan": dict(steps=3, batch_size=2, ngf=8, ndf=8, n_blocks=1),
    "pixelcnn": dict(steps=3, batch_size=4, channels=8, layers=2, head=16, eval_images=16, bf16=False),
    "toy2d": dict(model="gmm", data="moons", seconds=1.0, n_train=500, n_test=200),
}
COMMON = dict(seed=0, device="cpu", max_seconds=3.0)
LOSS_KEY = re.compile(r"^loss(_[A-Za-z0-9]+(_[A-Za-z0-9]+)*)?$")
NON_GENERATIVE = {"classifier"}          # sample raises a clear ValueError
FAST_SAMPLE = {"ddpm": dict(steps=2)}    # sample options that keep a check quick
SLOW_SAMPLE = {"pixelcnn"}               # 784 sequential network calls per sample: minutes on a busy CPU
# (cyclegan translates: its sample either raises a clear ValueError or returns translations)


def tiny_config(mod):
    names = {f.name for f in dataclasses.fields(mod.Config)}
    over = {k: v for k, v in {**COMMON, **TINY.get(mod.FAMILY, {})}.items() if k in names}
    return dataclasses.replace(mod.Config(), **over).validate()


@pytest.fixture(scope="module", params=sorted(genmodels.FAMILIES))
def fam(request):
    return family(request.param)          # an import error fails here, naming the family


@functools.lru_cache(maxsize=None)
def _trained(name):
    fam = family(name)
    torch.manual_seed(0)
    return fam, list(fam.train(tiny_config(fam), seconds=0.05))


@pytest.fixture(scope="module")
def trained(fam):
    """(module, records) of one tiny run, collected once per family."""
    return _trained(fam.FAMILY)


def _sample(fam, model, n, seed):
    return fam.sample(model, n, seed=seed, **FAST_SAMPLE.get(fam.FAMILY, {}))


SAMPLING = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_SAMPLE else n for n in sorted(genmodels.FAMILIES)]


def test_exposes_every_name(fam):
    assert missing(fam) == [], f"{fam.__name__} lacks {missing(fam)} of the contract {NAMES}"


def test_declarations(fam):
    name = next(k for k, v in genmodels.FAMILIES.items() if v == fam.__name__)
    assert fam.FAMILY == name
    assert dataclasses.is_dataclass(fam.Config)
    assert isinstance(fam.Config().validate(), fam.Config)      # the defaults are a valid run
    for opts in (fam.SAMPLE_OPTIONS, fam.EVAL_OPTIONS):
        assert isinstance(opts, tuple)
        for o in opts:
            o = Option(*o)
            assert o.name.isidentifier() and callable(o.type) and o.help, o
    assert isinstance(fam.CARD_EVAL, dict)
    evaluate = inspect.signature(fam.evaluate).parameters
    assert set(fam.CARD_EVAL) <= set(evaluate) | {o.name for o in fam.EVAL_OPTIONS}
    # the one CLI path replaced the per-family hooks
    assert not [n for n in dir(fam) if n.startswith("cli_")]


def test_signatures(fam):
    train = inspect.signature(fam.train).parameters
    assert list(train)[:2] == ["cfg", "model"] and train["model"].default is None
    assert "seconds" in train and train["seconds"].kind == inspect.Parameter.KEYWORD_ONLY
    sample = inspect.signature(fam.sample).parameters
    assert sample["seed"].kind == inspect.Parameter.KEYWORD_ONLY
    for o in fam.SAMPLE_OPTIONS:
        assert Option(*o).name in sample
    ev = inspect.signature(fam.evaluate).parameters
    assert ev["n"].kind == ev["seed"].kind == inspect.Parameter.KEYWORD_ONLY
    for o in fam.EVAL_OPTIONS:
        assert Option(*o).name in ev
    save = inspect.signature(fam.save).parameters
    assert list(save)[:3] == ["model", "path", "metrics"] and "command" in save and "seconds" in save


def test_config_validate_rejects_nonsense(fam):
    fields = {f.name: f for f in dataclasses.fields(fam.Config)}
    field = next(n for n in ("steps", "epochs", "seconds") if n in fields)
    with pytest.raises(ValueError):
        dataclasses.replace(fam.Config(), **{field: -1}).validate()


def test_build_holds_every_network(fam):
    cfg = tiny_config(fam)
    model = fam.build(cfg)
    assert isinstance(model, torch.nn.Module) and model.cfg == cfg and model.steps == 0
    a, b = fam.build(cfg), fam.build(cfg)            # seeded from cfg.seed
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb), ka


def test_records_carry_the_live_model(trained):
    fam, records = trained
    assert records and all(isinstance(r, Record) for r in records)
    assert records[-1].done and not any(r.done for r in records[:-1])
    model = records[-1].model
    assert isinstance(model, torch.nn.Module) and model.steps == records[-1].step > 0
    for r in records:
        assert r.model is model                       # one live Model, not a copy per record
        assert all(LOSS_KEY.match(k) for k in r.losses), r.losses
        assert not isinstance(r.preview, dict)        # typed previews, not string keys
    assert [r.step for r in records] == sorted(r.step for r in records)


def test_closing_stops_at_once(fam):
    cfg = tiny_config(fam)
    gen = fam.train(cfg, seconds=0.0)
    first = next(gen)
    steps = first.model.steps
    gen.close()                                       # must not raise, must not keep training
    assert first.model.steps == steps


@pytest.mark.parametrize("name", SAMPLING)
def test_sample_seeded(name):
    fam, records = _trained(name)
    model = records[-1].model
    if fam.FAMILY in NON_GENERATIVE:
        with pytest.raises(ValueError):
            fam.sample(model, 2, seed=0)
        return
    try:
        a = _sample(fam, model, 3, 1)
    except ValueError as e:                           # cyclegan may say it translates instead
        assert fam.FAMILY == "cyclegan" and "translat" in str(e)
        return
    b, c = _sample(fam, model, 3, 1), _sample(fam, model, 3, 2)
    assert torch.is_tensor(a) and a.shape[0] == 3 and torch.isfinite(a).all()
    assert torch.equal(a, b)
    if a.ndim == 4:
        assert a.shape[1:] == (1, 28, 28) and a.min() >= 0 and a.max() <= 1
        assert not torch.equal(a, c)
    elif a.ndim == 2:
        assert a.shape[1] == 2 and not torch.equal(a, c)
    else:                                             # the coin GAN's flips
        assert a.ndim == 1 and set(a.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("name", SAMPLING)
def test_save_load_roundtrip(name, tmp_path):
    fam, records = _trained(name)
    model = records[-1].model
    card = fam.save(model, tmp_path / "ck", {"probe": 1.5}, command="test", seconds=0.1)
    assert card["family"] == fam.FAMILY and card["metrics"]["probe"] == 1.5 and card["command"] == "test"
    loaded = fam.load(tmp_path / "ck")
    assert isinstance(loaded, torch.nn.Module) and not loaded.training
    assert loaded.card["sha256"] == card["sha256"] and loaded.steps == model.steps
    assert loaded.cfg == model.cfg
    sd, sl = model.state_dict(), loaded.state_dict()
    assert sd.keys() == sl.keys()
    assert all(torch.equal(sd[k].cpu(), sl[k]) for k in sd)
    if fam.FAMILY not in NON_GENERATIVE | {"cyclegan"}:
        assert torch.allclose(_sample(fam, model, 2, 5), _sample(fam, loaded, 2, 5), atol=1e-5)


def test_train_continues_a_model(trained):
    fam, records = trained
    model = records[-1].model
    before = model.steps
    last = list(fam.train(model.cfg, model, seconds=1.0))[-1]
    assert last.model is model and model.steps > before


def test_family_lookup_survives_the_contract_module(monkeypatch):
    import genmodels.family as contract            # the submodule's import must not replace the function
    assert callable(genmodels.family) and genmodels.family is family
    assert contract.NAMES == NAMES and contract.Option is Option
    assert family("coin_gan").FAMILY == "coin_gan"
    with pytest.raises(KeyError, match="unknown model family 'nope'"):
        family("nope")
    monkeypatch.setitem(genmodels.FAMILIES, "broken", "genmodels.no_such_module")
    with pytest.raises(ImportError, match="model family 'broken'"):
        family("broken")
    assert family("coin_gan").FAMILY == "coin_gan"  # the others keep working
