"""What a tab opens on, kept on disk: results computed once (at the first start-up after a
checkpoint changes) and read back at every later start, so that a tab shows a finished result
without a click and start-up stays short. The file name carries the checkpoints' sha256
(``key``), so new weights give a new file."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import checkpoints


def key(*names: str) -> str:
    """A short key for the checkpoints ``names`` (in checkpoints/): the first 12 hex digits of each
    card's sha256, "none" for a missing one."""
    parts = []
    for name in names:
        try:
            parts.append(str(checkpoints.read_card(checkpoints.CHECKPOINT_DIR / name).get("sha256", "none"))[:12])
        except Exception:                                # noqa: BLE001 - a missing or broken card
            parts.append("none")
    return "-".join(parts)


def cached(path, make, valid=None) -> dict[str, np.ndarray]:
    """The arrays kept in the compressed .npz ``path``, or ``make()``'s {name: array-like} (strings
    too; a column of Python objects is kept as strings) when the file is missing, unreadable or
    (with ``valid``, a test of the arrays read back) made for other settings, then written there
    (whole, by a rename)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            kept = {k: z[k] for k in z.files}
        if valid is None or valid(kept):
            return kept
    except (OSError, KeyError, ValueError):
        pass
    out = {k: np.asarray(v) for k, v in make().items()}
    out = {k: a.astype(str) if a.dtype == object else a for k, a in out.items()}   # no pickles: strings stay strings
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(path)
    return out
