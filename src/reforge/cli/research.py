"""`reforge match partners|flows|platforms`: joint research commands, added to the match app."""

from __future__ import annotations

from typing import Annotated

import typer

from reforge.cli.common import (
    DbOpt,
    EngineKind,
    EngineOpt,
    Fmt,
    FormatOpt,
    WarehouseOpt,
    echo_summary,
    emit,
    engine_from,
)

LangOpt = Annotated[str | None, typer.Option("--lang", envvar="REFORGE_LANG", help="message language: en or zh")]


def register(app: typer.Typer) -> None:
    """Add the joint-research commands to ``app`` (the ``reforge match`` app)."""

    @app.command("partners")
    def partners(item: Annotated[str | None, typer.Option("--item", help="item_id (default: every blank, "
                                                          "chokepoint and weak item and every rd demand)")] = None,
                 as_of: Annotated[str | None, typer.Option("--as-of", help="date YYYY-MM-DD deciding active credit "
                                                           "records, tiers and the latest tax rating")] = None,
                 grade_source: Annotated[str, typer.Option("--grade-source", help="tax_rating or scorecard")]
                 = "tax_rating",
                 floor: Annotated[str | None, typer.Option("--credit-floor", help="lowest lead grade (default "
                                                           "from params.yaml)")] = None,
                 engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                 fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
        """Consortium proposals: lead enterprise, institutions, platform, adopters, score parts explained.

        JSON: {"as_of", "grade_source", "credit_floor", "weights", "proposals": [{target, item_id, label,
        score, lead, institutions, platform, adopters, parts [{part, value, weight, points, reason}],
        excluded [{id, role, detail {reason}}], status}]}.
        """
        from reforge.messages import resolve_lang
        from reforge.research import propose_partners
        lg = resolve_lang(lang)
        with engine_from(engine, db, warehouse) as e:
            res = propose_partners(e, item, as_of, grade_source, floor)
        echo_summary(res, fmt, lg)
        frame = res.to_frame()
        if fmt == Fmt.table:
            frame = frame[["target", "label", "score", "lead_name", "institutions", "platform", "excluded"]]
        emit(res.to_dict(), fmt, frame)

    @app.command("flows")
    def flows(year: Annotated[int | None, typer.Option("--year", help="one year (default: all years)")] = None,
              did: Annotated[bool, typer.Option("--did", help="add the staggered DiD of moves into a field after "
                                                "its first platform (JSON key did)")] = False,
              engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
              fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
        """R&D personnel flow: moves by organisation type and field, two-way index, thin needed fields.

        JSON: {"year", "inside", "types": [{year, from_type, to_type, moves, full_moves}], "fields": [...],
        "two_way": [{year, in_moves, out_moves, balance, two_way}], "need": [{field, label, moves, thin,
        reason}], "thin_threshold"}.
        """
        from reforge.messages import resolve_lang
        from reforge.research import flow_did, personnel_flows
        lg = resolve_lang(lang)
        with engine_from(engine, db, warehouse) as e:
            res = personnel_flows(e, year)
            out = res.to_dict()
            if did:
                out["did"] = flow_did(e).to_dict()
        echo_summary(res, fmt, lg)
        if fmt == Fmt.table and did:
            from reforge.messages import render
            s = out["did"]["aggregate"]["simple"]
            typer.echo(render("research.flows.did", {"att": s["att"], "se": s["se"]}, lg))
        emit(out, fmt, res.to_frame())

    @app.command("platforms")
    def platforms(engine: EngineOpt = EngineKind.duckdb, db: DbOpt = None, warehouse: WarehouseOpt = None,
                  fmt: FormatOpt = Fmt.table, lang: LangOpt = None) -> None:
        """Public R&D platforms: usage by enterprise size (SMEs served?), fields served vs needed,
        generic technologies without a platform.

        JSON: {"platforms", "usage", "sme_share_of_users", "sme_share_of_firms", "coverage_by_size",
        "needed_fields", "generic_uncovered", "notes"}.
        """
        from reforge.messages import resolve_lang
        from reforge.research import platform_report
        lg = resolve_lang(lang)
        with engine_from(engine, db, warehouse) as e:
            res = platform_report(e)
        echo_summary(res, fmt, lg)
        emit(res.to_dict(), fmt, res.to_frame())
