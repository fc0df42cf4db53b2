"""Vectorised unified social credit codes (GB 32100-2015) for synthetic enterprises.

Layout: 1 registration authority ('9' = market regulation), 1 entity type ('1' =
enterprise), 6 division code (GB/T 2260), 9 organisation code (8 body digits + the
GB 11714 check character), 1 check character over the first 17 characters.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) array of the decimal digits of non-negative integers."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers[None, :]) % 10


def make_uscc(division: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """18-character codes from 6-digit division codes and distinct serials (< 10**8).

    ``serial`` becomes the 8-digit body of the organisation code; distinct serials give
    distinct codes. Returns a numpy array of str.
    """
    n = len(serial)
    if n and (serial.min() < 0 or serial.max() >= 10**8):
        raise ValueError("serials must be in [0, 1e8)")
    div = _digits(np.asarray(division, dtype=np.int64), 6)
    body = _digits(np.asarray(serial, dtype=np.int64), 8)
    org_c = 11 - (body * _ORG_WEIGHTS).sum(axis=1) % 11          # GB 11714: 10 -> X, 11 -> 0
    org_c = np.where(org_c == 11, 0, org_c)
    vals = np.empty((n, 17), dtype=np.int64)
    vals[:, 0] = 9
    vals[:, 1] = 1
    vals[:, 2:8] = div
    vals[:, 8:16] = body
    vals[:, 16] = np.where(org_c == 10, _VALUE["X"], org_c)
    check = 31 - (vals * _WEIGHTS).sum(axis=1) % 31
    check = np.where(check == 31, 0, check)
    codes = np.concatenate([vals, check[:, None]], axis=1)
    lut = np.array(list(ALPHABET))
    chars = lut[codes]
    return chars.view("<U18").ravel() if n else np.array([], dtype="<U18")


def check_char(first17: str) -> str:
    """The GB 32100-2015 check character of a 17-character prefix."""
    s = sum(_VALUE[c] * int(w) for c, w in zip(first17, _WEIGHTS, strict=True)) % 31
    return ALPHABET[(31 - s) % 31]
