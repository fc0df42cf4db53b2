"""The HTML report of one appraisal, in English or Chinese: panel, criterion weights and
consistency, the batch's ranking under each method, discourse shares, the ranking's response
to the downstream users' weight (a plot), Kendall's W, and the catalogue links: the chain items
the product addresses (does it close a gap?), the item's buyers and the demands for it
(:mod:`reforge.appraise.links`). Built on :mod:`reforge.report.html`.

The batch is the appraisals of the same kind and year. A part whose data is missing (no
judgments, a batch of one) is replaced by a note saying why.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reforge.appraise import sql
from reforge.appraise.evaluate import build_panel, criteria_weights, rank_appraisals
from reforge.engine.base import Engine
from reforge.errors import ReforgeError
from reforge.messages import render, resolve_lang
from reforge.report.html import HtmlReport

WEIGHT_STEPS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans"]


def appraisal_report(engine: Engine, appraisal_id: str, lang: str | None = None,
                     path: str | Path | None = None) -> str:
    """The report as HTML text (also written to ``path`` when given)."""
    lg = resolve_lang(lang)

    def t(code: str, **params: object) -> str:
        return render(code, params, lg)

    ap = sql.appraisal(engine, appraisal_id)
    rep = HtmlReport(t("appraise.report.title", title=ap["title"]),
                     t("appraise.report.subtitle", id=appraisal_id, kind=t(f"appraise.kind.{ap['kind']}"),
                       year=ap.get("year"), uscc=ap.get("uscc")), lang=lg)
    panel = build_panel(engine, appraisal_id)
    rep.heading(t("appraise.report.panel"))
    rep.table(pd.DataFrame([{t("appraise.page.expert"): f"{s.expert_id} {s.name}",
                             t("appraise.page.role"): t(f"appraise.role.{s.role}") if s.role else "—",
                             "✔/✘": "✔" if s.selected else "✘",
                             t("appraise.page.reasons"): "; ".join(m.render(lg) for m in s.reasons)}
                            for s in panel.seats]))
    for n in panel.notes:
        rep.paragraph(n.render(lg), note=True)
    rep.heading(t("appraise.report.weights"))
    try:
        w = criteria_weights(engine, [appraisal_id])
        g = w.group
        rep.table(pd.DataFrame({t("appraise.report.criterion"): g.criteria, t("appraise.page.weights"): g.weights}))
        rep.table(pd.DataFrame([{t("appraise.page.expert"): o.expert_id,
                                 t("appraise.page.role"): t(f"appraise.role.{o.role}") if o.role else "—",
                                 "CR": o.cr, t("appraise.report.status"): t(f"appraise.report.status_{o.status}"),
                                 t("appraise.page.voice"): o.voice} for o in g.experts]))
        for n in g.notes:
            rep.paragraph(n.render(lg), note=True)
        rep.heading(t("appraise.page.discourse"))
        rep.table(pd.DataFrame([{t("appraise.page.role"): t(f"appraise.role.{r}"), t("appraise.page.voice"): d["voice"],
                                 t("appraise.page.share"): d["share"]} for r, d in w.discourse.items()]))
    except ReforgeError as e:
        rep.paragraph(render(e.code, e.params, lg), note=True)
    batch = sql.appraisals(engine, None, ap["kind"], ap.get("year"))
    ids = list(batch.appraisal_id)
    rep.heading(t("appraise.report.ranking", n=len(ids)))
    if len(ids) < 2:
        rep.paragraph(t("appraise.rank.too_few", n=len(ids)), note=True)
    else:
        weighting = "ahp"
        try:
            rank_appraisals(engine, ids)
        except ReforgeError:
            weighting = "equal"
            rep.paragraph(t("appraise.report.equal_weights"), note=True)
        cols = {}
        last = None
        try:
            for method in ("topsis", "weighted_sum", "vikor"):
                r = rank_appraisals(engine, ids, method=method, weighting=weighting)
                cols[method] = dict(zip(r.table.appraisal_id, r.table["rank"], strict=True))
                last = r if method == "topsis" else last
        except ReforgeError as e:  # e.g. no expert scores yet: say why, keep the rest of the report
            rep.paragraph(render(e.code, e.params, lg), note=True)
            ids = []
    if len(ids) >= 2:
        titles = dict(zip(batch.appraisal_id, batch.title, strict=True))
        rep.table(pd.DataFrame([{"ID": a, t("appraise.page.col_title"): titles[a],
                                 **{m: int(cols[m][a]) for m in cols}} for a in ids]))
        if last is not None and last.kendall_w is not None:
            rep.paragraph(t("appraise.page.kendall", w=last.kendall_w, n=last.n_raters))
        if last is not None:
            for n in last.notes:
                rep.paragraph(n.render(lg), note=True)
        rep.heading(t("appraise.report.sensitivity"))
        _sensitivity_plot(rep, engine, ids, weighting, titles, t)
    _links(rep, engine, appraisal_id, lg, t)
    html_text = rep.to_html()
    if path is not None:
        rep.write(path)
    return html_text


def _sensitivity_plot(rep: HtmlReport, engine: Engine, ids: list[str], weighting: str,
                      titles: dict[str, str], t) -> None:  # noqa: ANN001 - the page's translator
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scores = {a: [] for a in ids}
    for w in WEIGHT_STEPS:
        r = rank_appraisals(engine, ids, weighting=weighting, role_weights={"downstream_user": w})
        s = dict(zip(r.table.appraisal_id, r.table.score, strict=True))
        for a in ids:
            scores[a].append(float(s[a]))
    with plt.rc_context({"font.sans-serif": CJK_FONTS, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for a in ids[:12]:
            ax.plot(WEIGHT_STEPS, scores[a], marker="o", label=a)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(t("appraise.report.downstream_weight"))
        ax.set_ylabel("TOPSIS")
        ax.legend(fontsize=7, ncols=3)
        rep.figure(fig, t("appraise.report.sensitivity_caption"))
    rep.table(pd.DataFrame({"ID": ids, t("appraise.page.col_title"): [titles[a] for a in ids],
                            **{f"w={w:g}": [scores[a][i] for a in ids] for i, w in enumerate(WEIGHT_STEPS)}}))


def _links(rep: HtmlReport, engine: Engine, appraisal_id: str, lg: str, t) -> None:  # noqa: ANN001
    """The chain items, adopters and demands of the appraisal (notes when there are none)."""
    from reforge.appraise.links import appraisal_links
    rep.heading(t("appraise.report.links"))
    try:
        lk = appraisal_links(engine, appraisal_id)
    except ReforgeError as e:
        rep.paragraph(render(e.code, e.params, lg), note=True)
        return
    if lk.item_id is not None:
        name = lk.item_name_zh if lg == "zh" else lk.item_name
        rep.paragraph(f"{lk.item_id} {name or ''} — "
                      + t("appraise.page.closes_gap" if lk.closes_gap else "appraise.page.no_gap"))
    if lk.chains:
        rep.table(pd.DataFrame([{t("appraise.page.chain"): f"{c['chain_id']} "
                                 f"{(c['chain_name_zh'] if lg == 'zh' else c['chain_name']) or ''}",
                                 t("appraise.page.label"): t(f"appraise.link.label.{c['label'] or 'unknown'}"),
                                 t("appraise.page.priority"): c["priority"],
                                 t("appraise.page.reasons"): c["message"].render(lg)} for c in lk.chains]),
                  float_format="{:,.1f}")
    if lk.adopters:
        rep.heading(t("appraise.page.adopters", item=lk.item_id, year=lk.adopters_year, n=lk.adopters_n,
                      total=lk.adopters_total_value), level=3)
        rep.table(pd.DataFrame([{t("appraise.page.firm"): f"{a['uscc']} {a['name'] or ''}",
                                 t("appraise.page.province"): a["province_code"] or "—",
                                 t("appraise.page.value"): a["value"],
                                 t("appraise.page.applicant_value"): a["applicant_value"],
                                 t("appraise.page.already"): "✔" if a["already_supplies"] else ""}
                                for a in lk.adopters]), float_format="{:,.0f}")
    if lk.demands:
        rep.heading(t("appraise.page.demands"), level=3)
        rep.table(pd.DataFrame([{t("appraise.page.demand"): d["demand_id"],
                                 t("appraise.page.firm"): f"{d['uscc']} {d['name'] or ''}",
                                 t("appraise.page.value"): d["value"],
                                 t("appraise.page.applicant"): d["status"].render(lg)} for d in lk.demands]),
                  float_format="{:,.0f}")
    for n in lk.notes:
        rep.paragraph(n.render(lg), note=True)
