"""genmodels: small generative models to train, poke and watch.

One module per model family, each readable top to bottom:

- ``coin_gan``: a GAN that learns a biased coin;
- ``vae``: variational autoencoder (and the plain autoencoder);
- ``dcgan``: deep convolutional GAN on digits;
- ``ddpm``: denoising diffusion (UNet, DDPM / DDIM schedulers, pipeline);
- ``cyclegan``: unpaired horse <-> zebra translation;
- ``pixelcnn``: autoregressive model with an exact likelihood (gated PixelCNN);
- ``cgan``: conditional GAN, p(x | y): choose the digit;
- ``classifier``: the feature network behind the metrics.

Every family follows one contract, written down in ``genmodels/family.py``; the command line
(``python -m genmodels``), the app and the tests use families only through its names.

Shared pieces: ``data`` (offline datasets), ``checkpoints`` (safetensors +
JSON cards), ``progress`` (the records training loops yield), ``metrics``
(FLD / KID / IS), ``common`` (devices, seeds, init, image grids).
"""
import importlib

# The contract module is imported before the lookup function below takes the name ``family``:
# a later ``from .family import Option`` (in a family module) then finds it in sys.modules and
# leaves ``genmodels.family`` the function. The function also carries the contract's names, so
# ``genmodels.family.Option`` / ``.NAMES`` / ``.missing`` work whichever way it is imported.
from . import family as _contract

__version__ = "0.1.0"

# family name -> module; the CLI and the app look families up here.
FAMILIES = {
    "coin_gan": "genmodels.coin_gan",
    "classifier": "genmodels.classifier",
    "vae": "genmodels.vae",
    "dcgan": "genmodels.dcgan",
    "ddpm": "genmodels.ddpm",
    "cyclegan": "genmodels.cyclegan",
    "pixelcnn": "genmodels.pixelcnn",
    "cgan": "genmodels.cgan",
    "toy2d": "genmodels.toy2d",
}


def family(name: str):
    """The module implementing a model family, with a clear error for unknown names.

    Families are imported only when asked for, so one whose module fails to import (a missing
    optional dependency, work in progress) breaks only itself: it raises ImportError naming it.
    """
    if name not in FAMILIES:
        raise KeyError(f"unknown model family '{name}'; available: {', '.join(sorted(FAMILIES))}")
    try:
        return importlib.import_module(FAMILIES[name])
    except ImportError as e:
        raise ImportError(f"model family '{name}' ({FAMILIES[name]}) cannot be imported: {e}") from e


family.Option, family.Family = _contract.Option, _contract.Family
family.NAMES, family.missing = _contract.NAMES, _contract.missing
