"""Round trip of real digits through the upload path: are real MNIST digits called outliers?

Each of N real MNIST test digits (not among the 1,000 the tab's reference histogram uses) is
rendered as a user's scan would be: dark on white, upscaled 10× (bicubic), saved as a PNG file.
The file then goes through the upload path the tabs use (``imaging.to_domain``) with the old
framing ("object": fit a 24-px box, centre the box) and MNIST's ("mnist": stroke thickness,
20-px box, centre of mass), and is scored by the VAE as the likelihood view scores it. A digit is
flagged as an outlier when its −ELBO is above the 95th percentile of the reference test digits'
(the tab's rule: "less likely than 95% of test digits").

    python3 benchmarks/upload_roundtrip.py [--n 300] [--checkpoint checkpoints/vae-mnist]

With a binarized checkpoint (vae-bin-mnist) every image is binarized as the tab does
(``vae.binarize_input``) and the reference is the fixed binarized test set.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genmodels import data, imaging, vae  # noqa: E402

REFERENCE = 1000          # the tab's reference histogram: test digits 0..999


RENDERINGS = {            # how a user's picture of the digit was made: (upscale factor, resampling, format)
    "10× bicubic PNG": (10, Image.BICUBIC, "PNG"),
    "10× nearest PNG": (10, Image.NEAREST, "PNG"),
    "4× bilinear JPEG": (4, Image.BILINEAR, "JPEG"),
}


def render_scan(x: np.ndarray, path: Path, factor: int = 10, resample=Image.BICUBIC, fmt: str = "PNG") -> None:
    """A (28, 28) light-on-dark digit -> a dark-on-white image file, upscaled ``factor`` times."""
    img = Image.fromarray(((1.0 - x) * 255).round().astype(np.uint8))
    img.resize((28 * factor, 28 * factor), resample).save(path, fmt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--checkpoint", default="checkpoints/vae-mnist")
    a = ap.parse_args()
    model = vae.load(a.checkpoint)
    binarized = model.cfg.binarized
    x_grey, y = data.load("mnist", "test")
    if binarized:
        ref = vae.neg_elbo(model, data.binarized_mnist_test()[0][:REFERENCE])
    else:
        ref = vae.neg_elbo(model, x_grey[:REFERENCE])
    threshold = float(np.quantile(ref.numpy(), 0.95))
    digits = x_grey[REFERENCE: REFERENCE + a.n].numpy()

    def score(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.stack(images)).float()
        return vae.neg_elbo(model, vae.binarize_input(x) if binarized else x).numpy()

    direct = score(list(digits))
    print(f"model {a.checkpoint} ({'binarized inputs' if binarized else 'grey levels'}); {a.n} real test digits "
          f"{REFERENCE}..{REFERENCE + a.n - 1}, rendered dark-on-white, saved as files, read back by the upload path")
    print(f"outlier threshold: 95th percentile of the −ELBO of test digits 0..{REFERENCE - 1} = {threshold:.1f} nats")
    print(f"{'given directly':42s} flagged {np.mean(direct > threshold):6.1%}   median −ELBO {np.median(direct):6.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for rendering, (factor, resample, fmt) in RENDERINGS.items():
            files = []
            for i, d in enumerate(digits):
                files.append(Path(tmp) / f"digit{i}.{fmt.lower()}")
                render_scan(d, files[-1], factor, resample, fmt)
            for framing in ("object", "mnist"):
                t0 = time.perf_counter()
                received = [imaging.to_domain(str(f), framing=framing) for f in files]
                seconds = (time.perf_counter() - t0) / len(files)
                s = score(received)
                moved = s - direct
                pix = np.abs(np.stack(received) - digits).mean()
                label = f"{rendering}, " + {"object": "old path (24-px box)", "mnist": "MNIST framing"}[framing]
                print(f"{label:42s} flagged {np.mean(s > threshold):6.1%}   median −ELBO {np.median(s):6.1f}   "
                      f"shift vs direct: median {np.median(moved):+6.1f}, 90th pct {np.percentile(moved, 90):+6.1f} nats"
                      f"   mean |pixel diff| {pix:.3f}   {seconds * 1000:.1f} ms per upload")


if __name__ == "__main__":
    main()
