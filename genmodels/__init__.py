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

Shared pieces: ``data`` (offline datasets), ``checkpoints`` (safetensors +
JSON cards), ``progress`` (the records training loops yield), ``metrics``
(FLD / KID / IS), ``common`` (devices, seeds, init, image grids).
"""
import importlib

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
}


def family(name: str):
    """The module implementing a model family, with a clear error for unknown names."""
    if name not in FAMILIES:
        raise KeyError(f"unknown model family '{name}'; available: {', '.join(sorted(FAMILIES))}")
    return importlib.import_module(FAMILIES[name])
