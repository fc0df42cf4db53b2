"""One firm's profile: identity, tier history, latest screening per tier, warnings,
credit records, what it makes and where it sits in chains."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from reforge.engine import Engine
from reforge.engine.base import Params
from reforge.engine.sqlbuild import placeholders
from reforge.errors import ReforgeError
from reforge.firms.rules_model import TIERS
from reforge.firms.screen import data_years, explain_row, prepare_features, screen_frame
from reforge.firms.validity import effective_expiry
from reforge.firms.warnings import load_signals, warning_frame


def _records(engine: Engine, sql: str, params: Params = None) -> list[dict[str, Any]]:
    df = engine.fetch_df(sql, params)
    out = []
    for r in df.to_dict(orient="records"):
        out.append({k: (None if (not isinstance(v, (list, dict)) and pd.isna(v)) else
                        (str(v.date()) if isinstance(v, pd.Timestamp) else v)) for k, v in r.items()})
    return out


def _table(engine: Engine, name: str) -> bool:
    return engine.table_exists(name)


def _sel(engine: Engine, table: str, cols: list[str]) -> str:
    """The listed columns that the table has (hand-made tables may lack optional ones)."""
    have = set(engine.columns(table))
    return ", ".join(c for c in cols if c in have)


def profile(engine: Engine, uscc: str) -> dict[str, Any]:
    """Everything known about one firm, JSON-safe.

    Keys: ``uscc``, ``identity``, ``designations`` (tier history), ``screening``
    (per tier: latest screening year's entry), ``warnings`` (latest data year),
    ``credit_records``, ``products`` (capabilities with item names), ``chains``.
    """
    u = [str(uscc)]  # the one bound parameter of every "uscc = ?" below
    ident = _records(engine, "SELECT * FROM enterprises WHERE uscc = ?", u) if _table(engine, "enterprises") else []
    has_years = _table(engine, "enterprise_years") and engine.fetch_scalar(
        "SELECT COUNT(*) FROM enterprise_years WHERE uscc = ?", u)
    if not ident and not has_years:
        raise ReforgeError(f"no enterprise with uscc {uscc}", code="firms.profile.not_found",
                           params={"uscc": str(uscc)[:80]})
    out: dict[str, Any] = {"uscc": uscc, "identity": ident[0] if ident else None}
    dcols = ["kind", "batch", "level", "granted_on", "expires_on", "status", "rule_set"]
    out["designations"] = (_records(engine, f"SELECT {_sel(engine, 'designations', dcols)} "
                                            "FROM designations WHERE uscc = ? ORDER BY granted_on, kind", u)
                           if _table(engine, "designations") else [])
    for d in out["designations"]:  # the validity screening uses (reforge.firms.validity)
        g, x = d.get("granted_on"), d.get("expires_on")
        until = effective_expiry(str(d.get("kind")), date.fromisoformat(str(g)[:10]) if g else None,
                                 date.fromisoformat(str(x)[:10]) if x else None)
        d["valid_until"] = None if until is None else until.isoformat()
        d["expiry_inferred"] = x is None and until is not None
    out["screening"] = {}
    out["warnings"] = None
    if has_years:
        fy = engine.fetch_scalar("SELECT MAX(year) FROM enterprise_years WHERE uscc = ?", u)
        year = int(fy) + 1
        panel = data_years(engine)
        feats = prepare_features(engine, [year], uscc=str(uscc))  # this firm's rows only
        try:
            for tier in TIERS:
                df, plans = screen_frame(engine, tier, [year], features=feats)
                df = df[df["uscc"] == uscc]
                if len(df):
                    e = explain_row(df.iloc[0], plans[df.iloc[0]["rules"]])
                    out["screening"][tier] = {"year": year, "rules": df.iloc[0]["rules"],
                                              **{k: v for k, v in e.items() if k != "uscc"}}
            if int(fy) in panel:
                w = warning_frame(engine, [int(fy)], load_signals(), features=feats)
                w = w[w["uscc"] == uscc]
                if len(w):
                    r = w.iloc[0]
                    cfg = load_signals()
                    out["warnings"] = {"year": int(fy), "tier": r["tier"], "level": r["level"],
                                       "signals": {s.id: r[f"s_{s.id}"] for s in cfg.signals}}
        finally:
            engine.drop(feats)
        out["figures"] = _records(engine, "SELECT * FROM enterprise_years WHERE uscc = ? ORDER BY year", u)
    ccols = ["kind", "value", "recorded_on", "expires_on", "source"]
    out["credit_records"] = (_records(engine, f"SELECT {_sel(engine, 'credit_records', ccols)} FROM credit_records "
                                              "WHERE uscc = ? ORDER BY recorded_on", u)
                             if _table(engine, "credit_records") else [])
    prods: list[dict[str, Any]] = []
    if _table(engine, "capabilities") and _table(engine, "items"):
        prods = _records(engine, "SELECT c.item_id, i.name, i.foundation, c.tech_level, c.capacity, c.since_year "
                                 "FROM capabilities c LEFT JOIN items i ON i.item_id = c.item_id "
                                 "WHERE c.producer_id = ? ORDER BY c.item_id", u)
    out["products"] = prods
    chains: list[dict[str, Any]] = []
    if _table(engine, "chain_items"):
        ids = [p["item_id"] for p in prods]
        main = (ident[0] or {}).get("main_item_id") if ident else None
        if main and main not in ids:
            ids.append(main)
        if ids:
            chains = _records(engine, "SELECT ci.chain_id, ci.item_id, ci.segment, ci.is_end_product "
                                      f"FROM chain_items ci WHERE ci.item_id IN ({placeholders(ids)}) "
                                      "ORDER BY ci.chain_id, ci.item_id", [str(i) for i in ids])
    out["chains"] = chains
    if _table(engine, "supply_links"):
        out["supply"] = {
            "customers": int(engine.fetch_scalar("SELECT COUNT(DISTINCT buyer_uscc) FROM supply_links "
                                                 "WHERE supplier_id = ?", u) or 0),
            "suppliers": int(engine.fetch_scalar("SELECT COUNT(DISTINCT supplier_id) FROM supply_links "
                                                 "WHERE buyer_uscc = ?", u) or 0)}
    return out
