"""`reforge firms …` commands: screen, near-misses, review, warnings, profile, cohorts, rules."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reforge.cli.common import (
    DbOpt,
    EngineKind,
    EngineOpt,
    Fmt,
    FormatOpt,
    WarehouseOpt,
    console,
    emit,
    engine_from,
)

app = typer.Typer(help="Enterprise tiers: screening, near-misses, review, early warning, profiles, cohorts.",
                  no_args_is_help=True)


class TierName(StrEnum):
    innovative_sme = "innovative_sme"
    srdi_sme = "srdi_sme"
    little_giant = "little_giant"
    single_champion = "single_champion"


class OnlyOpt(StrEnum):
    pass_ = "pass"
    fail = "fail"
    near_miss = "near-miss"
    insufficient_data = "insufficient_data"


TierOpt = Annotated[TierName, typer.Option("--tier", help="tier to screen for")]
YearOpt = Annotated[int, typer.Option("--year", help="screening year (uses the previous year's figures)")]
RulesOpt = Annotated[str | None, typer.Option("--rules", help="rule set 2022|2026 or a YAML file "
                                                             "(default: in force in the year)")]
ProvinceOpt = Annotated[str | None, typer.Option("--province", help="GB/T 2260 province code, e.g. 320000")]


@app.command("screen")
def screen_cmd(tier: TierOpt, year: YearOpt, rules: RulesOpt = None, province: ProvinceOpt = None,
               only: Annotated[OnlyOpt | None, typer.Option("--only", help="pass, fail, near-miss or "
                                                            "insufficient_data")] = None,
               engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
               fmt: FormatOpt = Fmt.table) -> None:
    """Screen every firm for a tier: outcome, score, points, reasons, failed conditions, missing fields."""
    from reforge.firms import screen
    with engine_from(engine, db, warehouse) as e:
        s = screen(e, tier.value, year, rules=rules, province=province, only=only.value if only else None)
        d = s.to_dict()
        frame = s.to_frame()
    if getattr(fmt, "value", fmt) == "table":
        console.print(f"{tier.value}, screening year {year}, rules {d['rules']}: "
                      + ", ".join(f"{k} {v}" for k, v in s.counts().items()))
        frame = frame[["uscc", "outcome", "score", "failed", "missing"]]
    emit(d, fmt, frame, title=f"{tier.value} {year}")


@app.command("near-misses")
def near_misses_cmd(tier: TierOpt, year: YearOpt, rules: RulesOpt = None, province: ProvinceOpt = None,
                    engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                    fmt: FormatOpt = Fmt.table) -> None:
    """Firms failing exactly one condition (no veto), closest first, with what to improve."""
    from reforge.firms import near_misses
    with engine_from(engine, db, warehouse) as e:
        df = near_misses(e, tier.value, year, rules=rules, province=province)
    emit({"tier": tier.value, "year": year, "firms": df.to_dict(orient="records")}, fmt, df,
         title=f"near-misses {tier.value} {year}")


@app.command("review")
def review_cmd(year: YearOpt, rules: RulesOpt = None, province: ProvinceOpt = None,
               engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
               fmt: FormatOpt = Fmt.table) -> None:
    """Designated firms whose status expires in YEAR, re-screened under the review rules."""
    from reforge.firms import review
    with engine_from(engine, db, warehouse) as e:
        r = review(e, year, rules=rules, province=province)
    if getattr(fmt, "value", fmt) == "table":
        counts = r.frame.groupby(["kind", "outcome"]).size().to_dict() if len(r.frame) else {}
        console.print(f"review {year} under {r.rules} rules: {len(r.frame)} expiring designations; "
                      + ", ".join(f"{k}/{o} {n}" for (k, o), n in counts.items()))
    emit(r.to_dict(), fmt, r.to_frame(), title=f"review {year}")


@app.command("warnings")
def warnings_cmd(year: Annotated[int, typer.Option("--year", help="data year whose figures are checked")],
                 province: ProvinceOpt = None,
                 level: Annotated[str | None, typer.Option("--level", help="only green, amber or red")] = None,
                 summary: Annotated[bool, typer.Option("--summary", help="print only the counts per cohort "
                                                       "and province")] = False,
                 engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                 fmt: FormatOpt = Fmt.table) -> None:
    """Early warning for designated firms: signals, level (green/amber/red), reasons; counts per cohort."""
    from reforge.firms import warnings
    with engine_from(engine, db, warehouse) as e:
        w = warnings(e, year, province=province, level=level)
    f = getattr(fmt, "value", fmt)
    if f == "json":
        emit(w.to_dict(), fmt)
        return
    if summary:
        emit({}, fmt, w.summary(), title=f"warnings {year}: firms by level")
        return
    frame = w.to_frame()
    if f == "table":
        emit({}, fmt, w.summary(), title=f"warnings {year}: firms by level")
        frame = frame[["uscc", "tier", "cohort", "province_code", "level", "reasons"]]
    emit({}, fmt, frame, title=f"warnings {year}")


@app.command("profile")
def profile_cmd(uscc: Annotated[str, typer.Argument(help="unified social credit code")],
                engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                fmt: FormatOpt = Fmt.table) -> None:
    """One firm: identity, tier history, screening per tier, warnings, credit, products and chains."""
    import pandas as pd

    from reforge.cli.common import print_frame
    from reforge.firms import profile
    with engine_from(engine, db, warehouse) as e:
        p = profile(e, uscc)
    if getattr(fmt, "value", fmt) == "json":
        emit(p, fmt)
        return
    ident = p.get("identity") or {}
    console.print(f"[bold]{uscc}[/bold] {ident.get('name', '')} — province {ident.get('province_code', '')}, "
                  f"industry {ident.get('industry_code', '')}, main item {ident.get('main_item_id', '')}")
    scr = pd.DataFrame([{"tier": t, "year": v["year"], "rules": v["rules"], "outcome": v["outcome"],
                         "score": v["score"], "failed": "; ".join(f["condition"] for f in v["failed"]),
                         "missing": "; ".join(v["missing"])} for t, v in p["screening"].items()])
    for title, df in (("designations", pd.DataFrame(p["designations"])), ("screening", scr),
                      ("credit records", pd.DataFrame(p["credit_records"])), ("products", pd.DataFrame(p["products"])),
                      ("chains", pd.DataFrame(p["chains"]))):
        if len(df):
            print_frame(df, fmt, title=title)
    if p.get("warnings"):
        w = p["warnings"]
        console.print(f"warnings {w['year']}: {w['level']} — "
                      + ", ".join(f"{k} {v}" for k, v in w["signals"].items() if v != "green"))


@app.command("cohorts")
def cohorts_cmd(tier: Annotated[TierName | None, typer.Option("--tier", help="only this tier")] = None,
                plot: Annotated[Path | None, typer.Option("--plot", help="write a PNG chart here")] = None,
                engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                fmt: FormatOpt = Fmt.table) -> None:
    """Cohort tracking: per designation batch and year, share still passing, warnings, median indicators."""
    from reforge.cli.progress import progress_bar
    from reforge.firms import cohorts
    with engine_from(engine, db, warehouse) as e, progress_bar("cohorts") as tick:
        t = cohorts(e, tier.value if tier else None, progress=tick)
    if plot:
        t.plot(plot, tier=tier.value if tier else "little_giant")
        console.print(f"chart written to {plot}", style="dim") if getattr(fmt, "value", fmt) == "table" else None
    emit(t.to_dict(), fmt, t.to_frame(), title="cohorts")


@app.command("rules")
def rules_cmd(rules: RulesOpt = None,
              tier: Annotated[TierName | None, typer.Option("--tier", help="only this tier")] = None,
              fmt: FormatOpt = Fmt.table) -> None:
    """Show rule sets: every condition and points indicator with threshold, source and confidence."""
    import pandas as pd

    from reforge.firms.rules_model import TIERS, available_rules, load_rules
    sets = [load_rules(rules)] if rules else available_rules()
    rows = []
    for rs in sets:
        for t in ([tier.value] if tier else list(TIERS)):
            if t not in rs.tiers:
                continue
            tr = rs.tier(t)
            for c in tr.conditions:
                rows.append({"rules": rs.id, "tier": t, "kind": "condition", "id": c.id, "label": c.label,
                             "test": " and ".join(f"{x.metric} {x.op} {'' if x.threshold is None else x.threshold}"
                                                  for x in c.all),
                             "alternatives": len(c.alternatives), "enabled": c.enabled,
                             "confidence": c.confidence, "unverified": c.unverified, "source": c.source})
            for i in rs.points_of(t):
                rows.append({"rules": rs.id, "tier": t, "kind": "points", "id": i.id, "label": i.label,
                             "test": f"{i.kind} max {i.max_points:g}", "alternatives": 0, "enabled": True,
                             "confidence": i.confidence, "unverified": i.unverified, "source": i.source})
        for v in rs.vetoes:
            rows.append({"rules": rs.id, "tier": "all", "kind": "veto", "id": v.id, "label": v.label,
                         "test": f"{v.credit_kind} {v.mode}" + (f" {v.years}y" if v.mode == "window" else ""),
                         "alternatives": 0, "enabled": True, "confidence": v.confidence,
                         "unverified": "C" in v.confidence, "source": v.source})
    df = pd.DataFrame(rows)
    emit({"rules": [r.model_dump(mode="json") for r in sets]}, fmt, df, title="rule sets")
