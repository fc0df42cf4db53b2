"""The sectors page (input-output key sectors) and the glossary."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from reforge.api import services as sv
from reforge.web import glossary, views
from reforge.web.i18n import t
from reforge.web.render import (
    AnalystUser,
    DBDep,
    PageUser,
    cached,
    cap,
    lang_of,
    render,
    router_for,
)

router = router_for()

@router.get("/sectors", response_class=HTMLResponse)
def sectors_page(request: Request, user: AnalystUser, db: DBDep, table: str | None = None) -> Response:
    with db.reader() as e:
        tabs = sv.io_tables(e)
        tid = table if table in {x["table_id"] for x in tabs} else (tabs[0]["table_id"] if tabs else None)
        ks = cached(db, e, ("key_sectors", tid), lambda: cap(sv.key_sectors, e, tid)) if tid else None
        names = views.sector_names(e, tid) if tid else {}
    lang = lang_of(request)
    if ks and ks["ok"]:
        for r in views.records(ks["data"]):
            r.setdefault("name_zh", names.get(str(r.get("code")), {}).get("name_zh"))
            if not r.get("name"):
                r["name"] = names.get(str(r.get("code")), {}).get("name")
    return render(request, "sectors.html", user, tables=tabs, table_id=tid, ks=ks,
                  view=views.key_sector_view(ks["data"], lang, lambda k: t(k, lang)) if ks and ks["ok"] else None)


# ---- help ----------------------------------------------------------------------------------------

@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, user: PageUser) -> Response:
    """Terms used on the pages (HHI, reach, priority, PD, ATT, chokepoint, tiers...) and the API docs link."""
    return render(request, "glossary.html", user, terms=glossary.entries(lang_of(request)))
