"""Designations (gradient tiers, honours) and the support events tied to them.

Selection is on latent, time-invariant firm quality (levels), never on yearly noise,
and the batch year of a designated firm is drawn independently of everything else,
so the staggered cohorts satisfy parallel trends (see ``firms`` for the outcome DGP).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import template
from reforge.demo.firms import Firms

# national Little Giant batch sizes (CRITERIA §1.7, 2020 incl. supplement): batch weights
LG_BATCH_YEARS = np.arange(2019, 2026)
LG_BATCH_SIZES = np.array([248, 1744, 2930, 4357, 3671, 3012, 3482], dtype=float)
LG_BATCH_DATES = ["2019-06-01", "2020-11-01", "2021-07-01", "2022-08-01", "2023-07-15", "2024-08-01", "2025-08-01"]
LG_SHARE = 0.03          # of all firms ever Little Giants
SRDI_SHARE = 0.12        # of all firms ever SRDI (includes every Little Giant)
INNOV_SHARE = 0.30       # ever innovative SME (tier exists from 2022)
REVIEW_PASS = 0.87       # 2025 review pass rate (CRITERIA §1.7)
AS_OF = pd.Timestamp("2025-12-31")
SIX_FOUNDATIONS = {"component", "electronic_component", "material", "process", "technology_foundation", "software"}


def _date(year: np.ndarray, rng: np.random.Generator, lo: int = 60, hi: int = 330) -> np.ndarray:
    base = pd.to_datetime(year.astype(int).astype(str), format="%Y").to_numpy().astype("datetime64[D]")
    return base + rng.integers(lo, hi, len(year)).astype("timedelta64[D]")


def select_tiers(rng: np.random.Generator, f: Firms) -> dict[str, np.ndarray]:
    """First designation year per firm and tier (0 = never): little_giant, srdi_sme, innovative_sme."""
    n = len(f.table)
    items = template()["items"]
    found = np.where(f.item_idx >= 0, items.foundation.to_numpy()[np.maximum(f.item_idx, 0)], "other")
    six = np.isin(found, list(SIX_FOUNDATIONS))
    score = f.q + 0.4 * six + 0.3 * f.table.key_chain_link.to_numpy() + 0.5 * rng.standard_normal(n)
    score = np.where(f.item_idx >= 0, score, score - 1.0)
    order = np.argsort(-score)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    lg_pool = (rank < int(round(LG_SHARE * n))) & (f.founded_year <= 2021)
    srdi_pool = (rank < int(round(SRDI_SHARE * n))) & (f.founded_year <= 2022)
    innov_pool = rank < int(round(INNOV_SHARE * n))
    # Little Giant batch: drawn by the national batch weights, at least 3 years after founding
    p = LG_BATCH_SIZES / LG_BATCH_SIZES.sum()
    lg_year = np.where(lg_pool, rng.choice(LG_BATCH_YEARS, size=n, p=p), 0)
    lg_year = np.where(lg_pool, np.maximum(lg_year, f.founded_year + 3), 0)
    lg_year = np.where(lg_year > 2025, 0, lg_year)
    # SRDI: provincial list, before or in the Little Giant year (a prerequisite)
    srdi_year = np.where(srdi_pool, rng.integers(2017, 2026, n), 0)
    srdi_year = np.where(srdi_pool, np.maximum(srdi_year, f.founded_year + 2), 0)
    lead = rng.integers(0, 3, n)
    srdi_year = np.where(lg_year > 0, np.minimum(np.where(srdi_year > 0, srdi_year, 9999), lg_year - lead), srdi_year)
    srdi_year = np.where(srdi_year > 2025, 0, srdi_year)
    # innovative SME (2022 rules): 2022-2025, a year before a later SRDI designation
    innov_year = np.where(innov_pool, rng.integers(2022, 2026, n), 0)
    later = srdi_year >= 2023
    innov_year = np.where(innov_pool & later, np.maximum(2022, np.minimum(innov_year, srdi_year - 1)), innov_year)
    innov_year = np.where(innov_pool, np.maximum(innov_year, np.minimum(f.founded_year + 1, 2025)), 0)
    return {"little_giant": lg_year, "srdi_sme": srdi_year, "innovative_sme": innov_year}


def _renewals(uscc: np.ndarray, kind: str, granted: np.ndarray, level: str, rng: np.random.Generator,
              batch: np.ndarray) -> pd.DataFrame:
    """A designation row per grant plus 3-yearly renewals until AS_OF (87% pass each review)."""
    rows = []
    cur_u, cur_g, cur_b = uscc, granted, batch
    while len(cur_u):
        exp = cur_g + np.timedelta64(3 * 365, "D")
        due = exp <= np.datetime64(AS_OF.date())
        passed = rng.random(len(cur_u)) < REVIEW_PASS
        status = np.where(~due, "active", np.where(passed, "renewed", "expired")).astype(object)
        rows.append(pd.DataFrame({"uscc": cur_u, "kind": kind, "batch": cur_b, "level": level,
                                  "granted_on": cur_g, "expires_on": exp, "status": status}))
        nxt = due & passed
        cur_u, cur_g, cur_b = cur_u[nxt], exp[nxt], cur_b[nxt]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def make_designations(rng: np.random.Generator, f: Firms, first: dict[str, np.ndarray]) -> pd.DataFrame:
    """All designation rows (tiers with renewals, honours and awards)."""
    n = len(f.table)
    uscc = f.table.uscc.to_numpy()
    parts = []
    lg = first["little_giant"]
    m = lg > 0
    bidx = (lg[m] - 2019).astype(int)
    dates = np.array(LG_BATCH_DATES, dtype="datetime64[D]")[bidx]
    parts.append(_renewals(uscc[m], "little_giant", dates, "national", rng, (bidx + 1).astype(np.int64)))
    for kind in ("srdi_sme", "innovative_sme"):
        y = first[kind]
        m = y > 0
        parts.append(_renewals(uscc[m], kind, _date(y[m], rng), "provincial", rng, y[m].astype(np.int64)))
    # single champions: a handful of the largest high-quality firms
    last_rev = np.nan_to_num(f.revenue[:, -1])
    champ_score = np.log1p(last_rev) + f.q
    k = max(1, n // 1000)
    champs = np.argsort(-champ_score)[:k]
    cy = rng.integers(2019, 2026, k)
    parts.append(_renewals(uscc[champs], "single_champion", _date(cy, rng), "national", rng, cy.astype(np.int64)))
    # high-tech enterprise: 3-year certificates, first year 2015-2023
    ht = rng.random(n) < 1 / (1 + np.exp(-(-1.6 + 1.2 * f.q)))
    hy = np.maximum(rng.integers(2015, 2024, n), f.founded_year + 1)[ht]
    ok = hy <= 2025
    parts.append(_renewals(uscc[ht][ok], "high_tech", _date(hy[ok], rng), "provincial", rng,
                           hy[ok].astype(np.int64)))
    honours = [("st_award_provincial", 0.006, "provincial", 1.8), ("st_award_national", 0.0008, "national", 2.5),
               ("rd_institution_provincial", 0.02, "provincial", 1.2), ("rd_institution_national", 0.002,
                                                                        "national", 2.2),
               ("chuangke_top500", 0.002, "national", 1.5), ("chuangke_top50", 0.0003, "national", 2.0)]
    for kind, share, level, tilt in honours:
        pr = share * np.exp(tilt * f.q) / np.mean(np.exp(tilt * f.q))
        hit = rng.random(n) < np.clip(pr, 0, 0.9)
        yy = np.maximum(rng.integers(2016, 2026, int(hit.sum())), f.founded_year[hit] + 1)
        keep = yy <= 2025
        g = _date(yy[keep], rng)
        ex = g + np.timedelta64(3 * 365, "D")
        parts.append(pd.DataFrame({"uscc": uscc[hit][keep], "kind": kind, "batch": yy[keep].astype(np.int64),
                                   "level": level, "granted_on": g, "expires_on": ex,
                                   "status": np.where(ex <= np.datetime64(AS_OF.date()), "expired", "active")}))
    d = pd.concat([p for p in parts if len(p)], ignore_index=True)
    d["rule_set"] = np.where(d.granted_on >= np.datetime64("2022-08-01"), "2022", "pre-2022")
    d.loc[~d.kind.isin(["little_giant", "srdi_sme", "innovative_sme"]), "rule_set"] = None
    d = d.drop_duplicates(["uscc", "kind", "granted_on"]).reset_index(drop=True)
    d["batch"] = d["batch"].astype("Int64")
    d["granted_on"] = pd.to_datetime(d["granted_on"])
    d["expires_on"] = pd.to_datetime(d["expires_on"])
    return d[["uscc", "kind", "batch", "level", "granted_on", "expires_on", "status", "rule_set"]]


def make_support(rng: np.random.Generator, f: Firms, first: dict[str, np.ndarray]) -> pd.DataFrame:
    """Grants tied to designations (CNY): Little Giant fund, SRDI reward, innovation voucher, upgrades."""
    uscc = f.table.uscc.to_numpy()
    n = len(uscc)
    parts = []
    lg = first["little_giant"]
    key = (lg > 0) & (rng.random(n) < 0.45)          # "key" Little Giants: central fund over 3 years
    for k in range(3):
        y = lg[key] + k
        ok = y <= 2025
        parts.append(pd.DataFrame({"uscc": uscc[key][ok], "programme": "little_giant_fund",
                                   "granted_on": _date(y[ok], rng, 150, 340),
                                   "amount": np.round(rng.uniform(1.0e6, 3.0e6, int(ok.sum())), -3)}))
    s = first["srdi_sme"]
    m = (s > 0) & (rng.random(n) < 0.6)
    parts.append(pd.DataFrame({"uscc": uscc[m], "programme": "srdi_provincial_reward",
                               "granted_on": _date(s[m], rng, 120, 360),
                               "amount": np.round(rng.uniform(2e5, 1e6, int(m.sum())), -3)}))
    i = first["innovative_sme"]
    m = (i > 0) & (rng.random(n) < 0.25)
    parts.append(pd.DataFrame({"uscc": uscc[m], "programme": "innovation_voucher",
                               "granted_on": _date(np.minimum(i[m], 2025), rng, 90, 360),
                               "amount": np.round(rng.uniform(5e4, 2e5, int(m.sum())), -3)}))
    m = rng.random(n) < 0.04 * np.exp(0.3 * f.q)
    y = np.maximum(rng.integers(2016, 2026, int(m.sum())), f.founded_year[m] + 1)
    ok = y <= 2025
    parts.append(pd.DataFrame({"uscc": uscc[m][ok], "programme": "tech_upgrade_subsidy",
                               "granted_on": _date(y[ok], rng),
                               "amount": np.round(rng.uniform(1e5, 2e6, int(ok.sum())), -3)}))
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["granted_on", "uscc", "programme"], kind="stable").reset_index(drop=True)
    out.insert(0, "event_id", pd.Series(np.arange(1, len(out) + 1)).map("SE{:08d}".format).to_numpy())
    out["granted_on"] = pd.to_datetime(out["granted_on"])
    return out
