"""`reforge appraise …` commands: AHP consistency, panels, group weights, rankings, judgments."""

from __future__ import annotations

import json
import sys
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
    dumps,
    engine_from,
)
from reforge.errors import InvalidInput

app = typer.Typer(help="Appraisal of new products: AHP weights with a weighted downstream voice, panels, "
                       "rankings.", no_args_is_help=True)

LangOpt = Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG", help="message language: en or zh")]
RoleOpt = Annotated[list[str] | None, typer.Option("--role-weight", help="ROLE=WEIGHT, e.g. downstream_user=3 "
                                                                          "(repeatable; defaults in roles.yaml)")]
IdsOpt = Annotated[list[str] | None, typer.Option("--id", help="appraisal id (repeatable)")]


def _role_weights(pairs: list[str] | None) -> dict[str, float] | None:
    out: dict[str, float] = {}
    for p in pairs or []:
        role, sep, val = p.partition("=")
        try:
            out[role.strip()] = float(val)
        except ValueError:
            sep = ""
        if not sep:
            raise InvalidInput(f"--role-weight wants ROLE=NUMBER, got {p!r}", code="appraise.cli.role_weight",
                               params={"value": p[:80]})
    return out or None


def _print(res: object, fmt: Fmt, lang: str | None) -> None:
    f = fmt.value
    if f == "json":
        sys.stdout.write(dumps(res.to_dict()) + "\n")  # type: ignore[attr-defined]
    elif f == "csv":
        from reforge.report.export import write_csv_frame
        write_csv_frame(res.to_frame(), sys.stdout)  # type: ignore[attr-defined]
    else:
        text = res.summary()  # type: ignore[attr-defined]
        if lang is not None:
            from reforge.messages import resolve_lang
            if resolve_lang(lang) != "en":  # notes and reasons in the reader's language
                for m in _messages(res):
                    text = text.replace(str(m), m.render(lang))
        console.print(text, markup=False, highlight=False)


def _localised(text: str, messages: list, lang: str | None) -> str:
    """``text`` with each English message replaced by its rendering in ``lang``."""
    if lang is not None:
        from reforge.messages import resolve_lang
        if resolve_lang(lang) != "en":
            for m in messages:
                text = text.replace(str(m), m.render(lang))
    return text


def _messages(res: object) -> list:
    out = list(getattr(res, "notes", []) or [])
    g = getattr(res, "group", None)
    if g is not None:
        out += list(g.notes)
    for s in getattr(res, "seats", []) or []:
        out += list(s.reasons)
    return out


@app.command("check")
def check(matrix: Annotated[Path, typer.Argument(help="JSON file with a square pairwise comparison matrix")],
          repair: Annotated[bool, typer.Option("--repair", help="repair an inconsistent matrix (Xu & Wei 1999)")]
          = False,
          fmt: FormatOpt = Fmt.table) -> None:
    """Priorities, lambda_max, CI and CR (Saaty's random index) of one expert's matrix."""
    from reforge.appraise import consistency
    from reforge.appraise import repair as do_repair
    try:
        data = json.loads(matrix.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInput(f"cannot read {matrix}: {e}", code="appraise.cli.bad_file",
                           params={"path": str(matrix)}) from None
    c = consistency(data)
    out: dict[str, object] = c.to_dict()
    if repair and not c.consistent:
        out["repair"] = do_repair(data).to_dict()
    if fmt == Fmt.json:
        sys.stdout.write(dumps(out) + "\n")
        return
    console.print(f"priorities: {', '.join(f'{p:.4f}' for p in c.priorities)}")
    console.print(f"lambda_max {c.lambda_max:.4f}  CI {c.ci:.4f}  RI {c.ri:.2f}  CR {c.cr:.4f}  "
                  f"{'consistent' if c.consistent else 'INCONSISTENT (CR > 0.1)'}")
    if "repair" in out:
        r = out["repair"]
        console.print(f"repaired in {r['iterations']} steps: CR {r['cr_after']:.4f}")  # type: ignore[index]


@app.command("panel")
def panel(appraisal_id: Annotated[str, typer.Argument(help="appraisal id")],
          size: Annotated[int | None, typer.Option("--size", help="seats (default: sum of role minimums)")] = None,
          field: Annotated[list[str] | None, typer.Option("--field", help="field to cover (repeatable)")] = None,
          role_weight: RoleOpt = None, engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None,
          warehouse: WarehouseOpt = None, fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Propose a balanced panel without conflicts of interest, and say why each expert is in or out."""
    from reforge.appraise import build_panel
    with engine_from(engine, db, warehouse) as e:
        res = build_panel(e, appraisal_id, size, field, _role_weights(role_weight))
    _print(res, fmt, lang)


@app.command("weights")
def weights(ids: IdsOpt = None,
            kind: Annotated[str | None, typer.Option("--kind", help="appraisal kind (batch)")] = None,
            year: Annotated[int | None, typer.Option("--year", help="appraisal year (batch)")] = None,
            method: Annotated[str, typer.Option("--method", help="aij or aip")] = "aij",
            repair: Annotated[bool, typer.Option("--repair", help="repair inconsistent matrices instead of "
                                                                  "leaving them out")] = False,
            role_weight: RoleOpt = None, engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None,
            warehouse: WarehouseOpt = None, fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Group criterion weights from the experts' AHP judgments (role-weighted)."""
    from reforge.appraise import criteria_weights
    with engine_from(engine, db, warehouse) as e:
        res = criteria_weights(e, ids, kind, year, method, _role_weights(role_weight),
                               "repair" if repair else "exclude")
    _print(res, fmt, lang)


@app.command("rank")
def rank(ids: IdsOpt = None,
         kind: Annotated[str | None, typer.Option("--kind", help="appraisal kind (batch)")] = None,
         year: Annotated[int | None, typer.Option("--year", help="appraisal year (batch)")] = None,
         method: Annotated[str, typer.Option("--method", help="topsis, weighted_sum or vikor")] = "topsis",
         weighting: Annotated[str, typer.Option("--weights", help="ahp, entropy, critic or equal")] = "ahp",
         repair: Annotated[bool, typer.Option("--repair", help="repair inconsistent matrices")] = False,
         role_weight: RoleOpt = None, engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None,
         warehouse: WarehouseOpt = None, fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Rank a batch of appraisals on the voice-weighted expert scores."""
    from reforge.appraise import rank_appraisals
    with engine_from(engine, db, warehouse) as e:
        res = rank_appraisals(e, ids, kind, year, method, weighting, _role_weights(role_weight),
                              "repair" if repair else "exclude")
    _print(res, fmt, lang)


@app.command("judge")
def judge(appraisal_id: Annotated[str, typer.Argument(help="appraisal id")],
          expert_id: Annotated[str, typer.Argument(help="expert id")],
          pair: Annotated[list[str], typer.Option("--pair", help="A:B=VALUE, how much more important A is than B "
                                                                 "(Saaty 1/9-9; repeat for every pair)")],
          db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Store one expert's pairwise judgments of an appraisal's criteria (all pairs, validated first)."""
    from reforge.appraise import submit_judgments
    rows: list[tuple[str, str, float]] = []
    for p in pair:
        ab, sep, val = p.rpartition("=")
        a, colon, b = ab.partition(":")
        try:
            v = float(val) if "/" not in val else float(val.split("/")[0]) / float(val.split("/")[1])
        except (ValueError, ZeroDivisionError):
            sep = ""
        if not sep or not colon:
            raise InvalidInput(f"--pair wants A:B=VALUE, got {p!r}", code="appraise.cli.pair",
                               params={"value": p[:80]})
        rows.append((a, b, v))
    with engine_from("duckdb", db, None, read_only=False) as e:
        from reforge.schema import ensure_schema
        ensure_schema(e)  # type: ignore[arg-type]
        out = submit_judgments(e, appraisal_id, expert_id, rows)
    if fmt == Fmt.json:
        sys.stdout.write(dumps(out) + "\n")
    else:
        console.print(f"stored {len(rows)} judgments of {expert_id} on {appraisal_id}: CR {out['cr']:.4f}"
                      f"{'' if out['consistent'] else ' (inconsistent: left out of group weights unless repaired)'}")


@app.command("eligible")
def eligible(kind: Annotated[str, typer.Argument(help="first_set, first_batch or first_version")],
             product: Annotated[Path, typer.Argument(help="JSON file with the product's fields "
                                                          "(see appraise/catalogue.yaml)")],
             appraisal: Annotated[str | None, typer.Option("--appraisal", help="appraisal id: add its chain "
                                                                              "items and adopters (needs the database)")]
             = None,
             engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
             fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Check a product against the catalogue rules of its kind, rule by rule with sources (with
    ``--appraisal``: also the chain items the product addresses and its downstream adopters)."""
    from reforge.appraise import eligibility
    from reforge.messages import resolve_lang
    try:
        data = json.loads(product.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInput(f"cannot read {product}: {e}", code="appraise.cli.bad_file",
                           params={"path": str(product)}) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{product} must hold a JSON object", code="appraise.cli.bad_file",
                           params={"path": str(product)})
    res = eligibility(kind, data)
    links = None
    if appraisal is not None:
        from reforge.appraise.links import appraisal_links
        with engine_from(engine, db, warehouse) as e:
            links = appraisal_links(e, appraisal)
    if fmt == Fmt.json:
        out = {**res, "reasons": [m.to_dict() for m in res["reasons"]]}
        if links is not None:
            out["links"] = links.to_dict()
        sys.stdout.write(dumps(out) + "\n")
        return
    lg = resolve_lang(lang)
    console.print(f"{res['name']}: {res['decision']}", markup=False, highlight=False)
    for m in res["reasons"]:
        console.print(f"  {m.render(lg)}", markup=False, highlight=False)
    if links is not None:
        console.print(_localised(links.summary(), links.messages(), lang), markup=False, highlight=False)


@app.command("insurance")
def insurance_cmd(kind: Annotated[str, typer.Argument(help="first_set or first_batch")],
                  insured_value: Annotated[float, typer.Option("--insured-value", help="yuan")],
                  rate: Annotated[float, typer.Option("--rate", help="premium rate, a fraction (0.03 = 3%)")],
                  years: Annotated[int, typer.Option("--years", help="years insured")] = 1,
                  contract_value: Annotated[float | None, typer.Option("--contract-value", help="yuan")] = None,
                  liability: Annotated[float | None, typer.Option("--liability", help="asked liability, yuan")]
                  = None,
                  fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """Premium, subsidy (rate cap, share, years) and capped liability of a product's insurance."""
    from reforge.appraise import insurance
    from reforge.messages import resolve_lang
    res = insurance(kind, insured_value, rate, years, contract_value, liability)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({**res, "notes": [m.to_dict() for m in res["notes"]]}) + "\n")
        return
    lg = resolve_lang(lang)
    for k in ("premium_per_year", "subsidy_per_year", "years_subsidised", "total_premium", "total_subsidy",
              "enterprise_pays", "liability"):
        console.print(f"{k}: {res[k]}", markup=False, highlight=False)
    for m in res["notes"]:
        console.print(f"note: {m.render(lg)}", markup=False, highlight=False)


@app.command("whatif")
def whatif(ids: IdsOpt = None,
           kind: Annotated[str | None, typer.Option("--kind", help="appraisal kind (batch)")] = None,
           year: Annotated[int | None, typer.Option("--year", help="appraisal year (batch)")] = None,
           role: Annotated[str, typer.Option("--role", help="the role whose weight is moved")] = "downstream_user",
           method: Annotated[str, typer.Option("--method", help="topsis, weighted_sum or vikor")] = "topsis",
           weighting: Annotated[str, typer.Option("--weights", help="ahp, entropy, critic or equal")] = "ahp",
           role_weight: RoleOpt = None, engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None,
           warehouse: WarehouseOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """The weight of a role at which the top appraisal of the batch changes (below and above)."""
    from reforge.appraise.whatif import role_switch_points
    with engine_from(engine, db, warehouse) as e:
        res = role_switch_points(e, ids, kind, year, role, method, weighting, _role_weights(role_weight))
    if fmt == Fmt.json:
        sys.stdout.write(dumps(res) + "\n")
        return
    console.print(f"{res['role']} at weight {res['weight']}: top {res['top']}; changes to {res['top_below']} "
                  f"below {res['below']}, to {res['top_above']} above {res['above']}", markup=False, highlight=False)


@app.command("report")
def report(appraisal_id: Annotated[str, typer.Argument(help="appraisal id")],
           out: Annotated[Path, typer.Option("--out", help="HTML file to write")],
           engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
           lang: LangOpt = None) -> None:
    """An HTML report of one appraisal: panel, weights, consistency, rankings, discourse, sensitivity."""
    from reforge.appraise.report import appraisal_report
    with engine_from(engine, db, warehouse) as e:
        appraisal_report(e, appraisal_id, lang, out)
    console.print(f"report written to {out}", markup=False, highlight=False)


@app.command("links")
def links(appraisal: Annotated[list[str], typer.Option("--appraisal", help="appraisal id (repeatable)")],
          top: Annotated[int, typer.Option("--top", min=1, max=1000, help="adopters and demands listed")] = 10,
          as_of: Annotated[str | None, typer.Option("--as-of", help="date of the demand matching, YYYY-MM-DD "
                                                                    "(default: end of the appraisal's year)")]
          = None,
          engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
          fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
    """The chain items an appraisal's product addresses (does it close a blank or chokepoint?),
    the firms that buy the item and the demands for it, with the applicant's place in each."""
    from reforge.appraise.links import links_for
    from reforge.appraise.sql import appraisal as one
    with engine_from(engine, db, warehouse) as e:
        for a in appraisal:
            one(e, a)  # NotFound for an unknown id
        res = links_for(e, appraisal, top, as_of)
    if fmt == Fmt.json:
        d = [r.to_dict() for r in res]
        sys.stdout.write(dumps(d[0] if len(d) == 1 else d) + "\n")
    elif fmt == Fmt.csv:
        import pandas as pd

        from reforge.report.export import write_csv_frame
        frames = [f.assign(appraisal_id=r.appraisal_id) for r in res if not (f := r.to_frame()).empty]
        write_csv_frame(pd.concat(frames, ignore_index=True) if frames
                        else res[0].to_frame().assign(appraisal_id=None), sys.stdout)
    else:
        for r in res:
            console.print(_localised(r.summary(), r.messages(), lang), markup=False, highlight=False)
