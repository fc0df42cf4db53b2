"""Official code lists and code checks: USCC (GB 32100-2015), GB/T 2260 divisions,
GB/T 4754-2017 industries, ISO 3166 countries. The lists ship with the package
(see ``codes/SOURCE.md``)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, ...
_CHAR_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("reforge.ingest").joinpath("codes", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def division_codes() -> frozenset[str]:
    """Every GB/T 2260 code in use 1981-2024, plus the 2025 changes and national code 100000."""
    codes = {r["code"] for r in _rows("gbt2260_divisions_2024.csv")}
    codes |= {r["代码"] for r in _rows("gbt2260_history_1981_2024.csv")}
    for r in _rows("gbt2260_changes_2025.csv"):
        codes |= {v for v in r.values() if v and len(v) == 6 and v.isdigit()}
    codes.add("100000")
    return frozenset(codes)


@lru_cache(maxsize=1)
def current_divisions() -> pd.DataFrame:
    """The 2024 GB/T 2260 list: code, name, level, parent_code, province_code."""
    return pd.DataFrame(_rows("gbt2260_divisions_2024.csv"))


@lru_cache(maxsize=1)
def industry_codes() -> frozenset[str]:
    """GB/T 4754-2017 codes at every level (section letter, 2-, 3- and 4-digit)."""
    return frozenset(r["code"] for r in _rows("gbt4754_2017_industry.csv"))


@lru_cache(maxsize=1)
def industry_table() -> pd.DataFrame:
    return pd.DataFrame(_rows("gbt4754_2017_industry.csv"))


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (pycountry)."""
    import pycountry
    return frozenset(c.alpha_2 for c in pycountry.countries)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    s = sum(_CHAR_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - s % 31) % 31]


def uscc_problems(values: pd.Series) -> pd.Series:
    """For each code, None when valid, else the reason (vectorised; NaN -> None).

    Checks: 18 characters of the GB 32100 alphabet, characters 3-8 a GB/T 2260
    division code (current or historical), character 18 the check digit.
    """
    s = values.astype("string[pyarrow]")
    out = pd.Series(np.full(len(s), None, dtype=object), index=s.index)
    present = s.notna()
    if not present.any():
        return out
    v = s[present].str.upper()
    bad_len = v.str.len() != 18
    out.loc[bad_len[bad_len].index] = "must be 18 characters"
    ok = v[~bad_len]
    if len(ok):
        arr = np.frombuffer("".join(ok.tolist()).encode("ascii", "replace"), dtype=np.uint8).reshape(-1, 18)
        lut = np.full(256, -1, dtype=np.int64)
        for c, i in _CHAR_VALUE.items():
            lut[ord(c)] = i
        vals = lut[arr]
        bad_char = (vals < 0).any(axis=1)
        idx = ok.index.to_numpy()
        out.loc[idx[bad_char]] = "contains a character outside the GB 32100 alphabet (no I, O, S, V, Z)"
        good = ~bad_char
        w = np.array(USCC_WEIGHTS, dtype=np.int64)
        check = (31 - (vals[:, :17] * w).sum(axis=1) % 31) % 31
        bad_check = good & (check != vals[:, 17])
        for i in np.nonzero(bad_check)[0]:
            out.loc[idx[i]] = (f"check digit is {ok.iloc[i][17]}, expected "
                               f"{USCC_ALPHABET[check[i]]} (GB 32100-2015)")
        divs = division_codes()
        div = ok.str.slice(2, 8)
        bad_div = good & ~bad_check & ~div.isin(divs).to_numpy()
        for i in np.nonzero(bad_div)[0]:
            out.loc[idx[i]] = f"characters 3-8 ({div.iloc[i]}) are not a GB/T 2260 division code"
    return out
