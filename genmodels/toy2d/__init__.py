"""2-D density estimation: every family of the course on the same points (family "toy2d").

STUB of engineer B's branch (toy2dui) so that the four estimators vae / gan / diffusion / ebm and the
tab can run before the merge; engineer A's package (branch toy2d) replaces this file. Only the names
the agreed interface lists are used elsewhere: ESTIMATORS and estimator(name).
"""
from __future__ import annotations

import importlib

FAMILY = "toy2d"

# estimator name -> module; each module works in standardised coordinates (see view.py / A's package)
ESTIMATORS = {
    "vae": "genmodels.toy2d.vae",
    "gan": "genmodels.toy2d.gan",
    "diffusion": "genmodels.toy2d.diffusion",
    "ebm": "genmodels.toy2d.ebm",
}


def estimator(name: str):
    """The module of estimator ``name``, with a clear error for unknown names."""
    if name not in ESTIMATORS:
        raise KeyError(f"unknown estimator '{name}'; available: {', '.join(ESTIMATORS)}")
    return importlib.import_module(ESTIMATORS[name])
