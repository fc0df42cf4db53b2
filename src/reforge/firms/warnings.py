"""Early warning for designated firms: configurable signals, a level and the reasons.

``warnings(engine, year)`` looks at the figures **of** ``year`` (the data year, unlike
screening, which uses the year before) for every firm holding a valid gradient
designation at the end of ``year``. Signals (``signals.yaml``) compare one metric with
a threshold or a tier-dependent floor and fire ``amber`` or ``red``; a missing input
leaves the signal ``unknown`` and names the field. Level: red if any red signal or
``red_if_amber_count`` amber signals, amber if any amber, else green. All set-based SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reforge.engine import Engine
from reforge.engine.sqlbuild import check_ident, literal
from reforge.errors import ReforgeError
from reforge.firms.metrics import METRICS, input_label
from reforge.firms.rules_model import TIERS
from reforge.firms.screen import EPS, _val, data_years, prepare_features
from reforge.firms.validity import valid_sql
from reforge.messages import Localized, Message, codes_of
from reforge.settings.yaml_files import safe_load

SIGNALS_FILE = Path(__file__).resolve().parent / "signals.yaml"


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    op: Literal[">=", "<=", ">", "<", "is_true"]
    threshold: float | None = None
    floor: dict[str, float] | None = None


class Signal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    label_zh: str | None = None
    metric: str
    amber: Trigger | None = None
    red: Trigger | None = None

    @field_validator("metric")
    @classmethod
    def _m(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown metric {v!r}")
        return v


class SignalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tier_order: list[str]
    levels: dict[str, Any] = Field(default_factory=dict)
    signals: list[Signal]


@lru_cache(maxsize=4)
def load_signals(path: str | None = None) -> SignalConfig:
    """The warning configuration (default ``firms/signals.yaml``)."""
    p = Path(path) if path else SIGNALS_FILE
    try:
        return SignalConfig.model_validate(safe_load(p.read_text(encoding="utf-8")))
    except (ValueError, yaml.YAMLError) as e:
        raise ReforgeError(f"{p.name}: invalid signal configuration: {e}") from None


def _trigger_sql(t: Trigger, m: str) -> str:
    if t.op == "is_true":
        return f"({m} = 1)"
    if t.floor is not None:
        thr = "(CASE tier " + " ".join(f"WHEN {literal(k)} THEN {float(v)!r}" for k, v in t.floor.items()) + " END)"
    else:
        thr = repr(float(t.threshold or 0))
    return {">=": f"({m} >= {thr} - {EPS})", "<=": f"({m} <= {thr} + {EPS})",
            ">": f"({m} > {thr} + {EPS})", "<": f"({m} < {thr} - {EPS})"}[t.op]


def warnings_sql(features: str, years: list[int], cfg: SignalConfig) -> str:
    """One row per designated firm and data year with every signal's level and the overall level."""
    tier = "CASE " + " ".join(f"WHEN des_{check_ident(t, 'tier')} = 1 THEN {literal(t)}" for t in cfg.tier_order) + " END"
    metrics = sorted({s.metric for s in cfg.signals})
    raw = sorted({c for m in metrics for c in METRICS[m].inputs})
    base = (f"SELECT uscc, data_year AS year, province_code, {tier} AS tier, "
            f"{', '.join(raw) + ', ' if raw else ''}"
            + ", ".join(f"CAST({METRICS[m].sql} AS DOUBLE) AS m_{m}" for m in metrics)
            + f" FROM {features} WHERE year IN ({', '.join(str(y + 1) for y in years)}) AND ("
            + " OR ".join(f"des_{t} = 1" for t in cfg.tier_order) + ")")
    sig = []
    for s in cfg.signals:
        m = f"m_{s.metric}"
        parts = [f"CASE WHEN {m} IS NULL THEN 'unknown'"]
        if s.red:
            parts.append(f"WHEN {_trigger_sql(s.red, m)} THEN 'red'")
        if s.amber:
            parts.append(f"WHEN {_trigger_sql(s.amber, m)} THEN 'amber'")
        parts.append("ELSE 'green' END")
        sig.append(" ".join(parts) + f" AS s_{s.id}")
    reds = " + ".join(f"(CASE WHEN s_{s.id} = 'red' THEN 1 ELSE 0 END)" for s in cfg.signals)
    ambers = " + ".join(f"(CASE WHEN s_{s.id} = 'amber' THEN 1 ELSE 0 END)" for s in cfg.signals)
    n_amber = int(cfg.levels.get("red_if_amber_count", 3))
    red_any = "TRUE" if cfg.levels.get("red_if_any_red", True) else "FALSE"
    level = (f"CASE WHEN {red_any} AND ({reds}) > 0 THEN 'red' WHEN ({ambers}) >= {n_amber} THEN 'red' "
             f"WHEN ({ambers}) + ({reds}) > 0 THEN 'amber' ELSE 'green' END AS level")
    return (f"WITH b AS ({base}), s AS (SELECT b.*, {', '.join(sig)} FROM b) "
            f"SELECT s.*, {level} FROM s ORDER BY uscc, year")


def cohorts_sql(years: list[int]) -> str:
    """Cohort (kind, year first granted among the valid designations) of each designated firm and year."""
    yrs = " UNION ALL ".join(f"SELECT {int(y)} AS year, CAST({literal(str(int(y)) + '-12-31')} AS DATE) AS as_of" for y in years)
    kinds = ", ".join(literal(t) for t in TIERS)
    return (f"WITH yrs AS ({yrs}) SELECT d.uscc, y.year, d.kind, "
            "MIN(YEAR(d.granted_on)) AS cohort "
            "FROM designations d CROSS JOIN yrs y "
            f"WHERE d.kind IN ({kinds}) AND d.granted_on <= y.as_of "
            f"AND {valid_sql('y.as_of', 'd.kind', 'd.granted_on', 'd.expires_on')} "
            "AND COALESCE(d.status, '') <> 'revoked' "
            "GROUP BY d.uscc, y.year, d.kind ORDER BY d.uscc, y.year, d.kind")


def warning_frame(engine: Engine, years: list[int], cfg: SignalConfig | None = None,
                  features: str | None = None) -> pd.DataFrame:
    """Signals and level per designated firm for each data year in ``years`` (with tier and cohort)."""
    cfg = cfg or load_signals()
    own = features is None
    # warnings concern designated firms (``des_*`` flags come from ``designations`` only): the
    # features of the firms ever designated suffice, each firm's row being its own
    among = "SELECT uscc FROM designations" if engine.table_exists("designations") else None
    feats = features or prepare_features(engine, [y + 1 for y in years], among=among)
    try:
        df = engine.fetch_df(warnings_sql(feats, years, cfg))
    finally:
        if own:
            engine.drop(feats)
    if engine.table_exists("designations") and len(df):
        co = engine.fetch_df(cohorts_sql(years))
        co = co.rename(columns={"kind": "tier"})
        df = df.merge(co, on=["uscc", "year", "tier"], how="left")
    else:
        df["cohort"] = pd.NA
    return df


@dataclass
class Warnings:
    """Result of ``warnings``: per-firm signals and a summary per cohort and province."""

    year: int
    frame: pd.DataFrame
    config: SignalConfig

    def firms(self) -> list[dict[str, Any]]:
        out = []
        # per signal, made once: its label, and the level words (shared by every firm's reasons)
        labels = {s.id: Localized({"en": s.label, "zh": s.label_zh}) for s in self.config.signals}
        levels = {lv: Message(f"warn.level.{lv}", text=lv) for lv in ("amber", "red")}
        for r in self.frame.to_dict("records"):  # plain dicts: far cheaper than iterrows' Series
            reasons: list[Message] = []
            missing: list[str] = []
            signals: dict[str, Any] = {}
            for s in self.config.signals:
                lv = r[f"s_{s.id}"]
                signals[s.id] = lv
                v = _val(r.get(f"m_{s.metric}"))
                label = labels[s.id]
                if lv in ("amber", "red"):
                    level = levels[lv]
                    if isinstance(v, float):
                        reasons.append(Message("warn.reason.value", {"level": level, "label": label, "metric": s.metric,
                                                                     "value": float(f"{v:.4g}")},
                                               text=f"{lv}: {s.label} ({s.metric} = {v:.4g})"))
                    else:
                        reasons.append(Message("warn.reason.level", {"level": level, "label": label},
                                               text=f"{lv}: {s.label}"))
                elif lv == "unknown":
                    miss = [input_label(c, int(r["year"])) for c in METRICS[s.metric].inputs
                            if _val(r.get(c)) is None]
                    missing += [m for m in miss if m not in missing]
                    reasons.append(Message("warn.reason.unknown", {"label": label, "missing": miss},
                                           text=f"unknown: {s.label} (missing {', '.join(miss)})"))
            out.append({"uscc": r["uscc"], "tier": r["tier"], "cohort": _val(r.get("cohort")),
                        "province_code": r["province_code"], "level": r["level"], "signals": signals,
                        "reasons": [str(x) for x in reasons], "missing": missing, "reason_codes": codes_of(reasons)})
        return out

    def summary(self) -> pd.DataFrame:
        """Firms by level per tier, cohort and province."""
        if self.frame.empty:
            return pd.DataFrame(columns=["tier", "cohort", "province_code", "green", "amber", "red", "firms"])
        g = (self.frame.assign(cohort=self.frame["cohort"].astype("Int64"))
             .groupby(["tier", "cohort", "province_code", "level"], dropna=False).size()
             .unstack("level", fill_value=0))
        for lv in ("green", "amber", "red"):
            if lv not in g.columns:
                g[lv] = 0
        g = g[["green", "amber", "red"]].reset_index()
        g["firms"] = g[["green", "amber", "red"]].sum(axis=1)
        return g.sort_values(["tier", "cohort", "province_code"]).reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """One row per firm: tier, cohort, province, level, each signal, reasons."""
        cols = ["uscc", "tier", "cohort", "province_code", "level"] + [f"s_{s.id}" for s in self.config.signals]
        df = self.frame[cols].rename(columns={f"s_{s.id}": s.id for s in self.config.signals}).copy()
        df["reasons"] = ["; ".join(f["reasons"]) for f in self.firms()]
        return df

    def to_dict(self) -> dict[str, Any]:
        """``{"year", "firms": [...], "summary": [...]}``."""
        return {"year": self.year, "firms": self.firms(), "summary": self.summary().to_dict(orient="records")}


def warnings(engine: Engine, year: int, province: str | None = None, level: str | None = None,
             config: str | None = None) -> Warnings:
    """Early warnings for firms designated at the end of ``year``, from that year's figures."""
    ys = data_years(engine)
    if year is None or int(year) not in ys:  # None: the caller's latest year of an empty panel
        raise ReforgeError(f"no figures for {year}; the panel covers {ys[0]}-{ys[-1]}" if ys
                           else "enterprise_years is empty; import the firm panel first")
    cfg = load_signals(config)
    df = warning_frame(engine, [int(year)], cfg)
    if province:
        df = df[df["province_code"] == province]
    if level:
        if level not in ("green", "amber", "red"):
            raise ReforgeError(f"level must be green, amber or red, not {level!r}", code="input.choice",
                               params={"name": "level", "value": str(level)[:40], "choices": ["green", "amber", "red"]})
        df = df[df["level"] == level]
    return Warnings(int(year), df.reset_index(drop=True), cfg)
