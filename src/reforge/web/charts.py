"""ECharts option dictionaries for the dashboard (pure; the page serialises them to JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LABEL_COLOURS = {"missing": "#7f0000", "blank": "#d62728", "chokepoint": "#ff7f0e", "weak": "#f2c94c",
                 "insufficient_data": "#6a6aa0", "sound": "#2ca02c", "other": "#9e9e9e"}


# value axes and tooltips carry the marker NUM; static/app.js swaps in a formatter in the page's
# language (万/亿 in Chinese, k/M/B in English), since JSON cannot hold a function
NUM = "@num"


def value_axis(name: str = "") -> dict:
    """A value axis whose labels are short numbers in the page's language."""
    return {"type": "value", "name": name, "axisLabel": {"formatter": NUM}}


def line(title: str, x: Sequence[Any], series: dict[str, Sequence[float | None]],
         y_name: str = "") -> dict:
    """A line chart: one line per entry of ``series`` over ``x``."""
    return {"title": {"text": title, "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "axis", "valueFormatter": NUM},
            "legend": {"top": 22, "type": "scroll"},
            "grid": {"top": 60, "left": 20, "right": 20, "bottom": 30, "containLabel": True},
            "xAxis": {"type": "category", "data": list(x)}, "yAxis": value_axis(y_name),
            "series": [{"name": k, "type": "line", "data": list(v), "connectNulls": True}
                       for k, v in series.items()]}


def bar(title: str, x: Sequence[Any], series: dict[str, Sequence[float | None]],
        stack: bool = False, horizontal: bool = False, colours: Sequence[str] | None = None) -> dict:
    """A (stacked) bar chart."""
    cat = {"type": "category", "data": list(x)}
    val = value_axis()
    opt = {"title": {"text": title, "textStyle": {"fontSize": 13}},
           "tooltip": {"trigger": "axis", "valueFormatter": NUM},
           "legend": {"top": 22, "type": "scroll"},
           "grid": {"top": 60, "left": 20, "right": 20, "bottom": 40, "containLabel": True},
           "xAxis": val if horizontal else cat, "yAxis": cat if horizontal else val,
           "series": [{"name": k, "type": "bar", "data": list(v), **({"stack": "s"} if stack else {})}
                      for k, v in series.items()]}
    if colours:
        opt["color"] = list(colours)
    return opt


def scatter(title: str, points: Sequence[tuple[float, float, str]], x_name: str, y_name: str) -> dict:
    """A scatter of labelled points with reference lines at x = 1 and y = 1 (linkage chart)."""
    return {"title": {"text": title, "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "item", "formatter": "{c}"},
            "grid": {"top": 60, "left": 60, "right": 120, "bottom": 50},
            "xAxis": {"type": "value", "name": x_name, "nameLocation": "middle", "nameGap": 28, "scale": True},
            "yAxis": {"type": "value", "name": y_name, "scale": True},
            "series": [{"type": "scatter", "symbolSize": 9,
                        "data": [[p[0], p[1], p[2]] for p in points],
                        "label": {"show": True, "formatter": "{@[2]}", "position": "right", "fontSize": 10},
                        "markLine": {"silent": True, "symbol": "none", "lineStyle": {"type": "dashed"},
                                     "data": [{"xAxis": 1}, {"yAxis": 1}]}}]}


def event_study(title: str, rel: Sequence[int], est: Sequence[float | None],
                lo: Sequence[float | None], hi: Sequence[float | None], x_name: str) -> dict:
    """Point estimates with a confidence band by years relative to treatment."""
    return {"title": {"text": title, "textStyle": {"fontSize": 13}}, "tooltip": {"trigger": "axis"},
            "grid": {"top": 40, "left": 60, "right": 20, "bottom": 50},
            "xAxis": {"type": "category", "data": [str(r) for r in rel], "name": x_name,
                      "nameLocation": "middle", "nameGap": 28},
            "yAxis": {"type": "value"},
            "series": [
                {"name": "lo", "type": "line", "data": list(lo), "lineStyle": {"opacity": 0},
                 "stack": "ci", "stackStrategy": "all", "symbol": "none"},
                {"name": "ci", "type": "line", "data": [None if (h is None or lw is None) else h - lw
                                                         for lw, h in zip(lo, hi, strict=True)],
                 "lineStyle": {"opacity": 0}, "areaStyle": {"color": "#9ecae1"}, "stack": "ci",
                 "stackStrategy": "all", "symbol": "none"},
                {"name": "ATT", "type": "line", "data": list(est), "itemStyle": {"color": "#08519c"},
                 "markLine": {"silent": True, "symbol": "none", "data": [{"yAxis": 0}]}}]}


def chain_graph(nodes: Sequence[dict], edges: Sequence[dict], label_names: dict[str, str]) -> dict:
    """A layered directed graph: x by segment/depth, colour by label (blank / weak / chokepoint / ok).

    ``nodes``: ``{id, name, label, layer}``; ``edges``: ``{source, target}``.
    """
    by_layer: dict[int, list[dict]] = {}
    for n in nodes:
        by_layer.setdefault(int(n.get("layer", 0)), []).append(n)
    data = []
    for layer, ns in sorted(by_layer.items()):
        for i, n in enumerate(sorted(ns, key=lambda d: str(d["id"]))):
            lab = n.get("label")
            data.append({"id": str(n["id"]), "name": n["name"], "x": layer * 220, "y": i * 46,
                         "value": label_names.get(lab or "other", lab or ""),
                         "symbolSize": 14 if not n.get("end") else 22,
                         "itemStyle": {"color": LABEL_COLOURS.get(lab, "#9e9e9e")},
                         "label": {"show": True, "position": "right", "fontSize": 10}})
    links = [{"source": str(e["source"]), "target": str(e["target"])} for e in edges]
    legend = [{"name": label_names.get(k, k), "itemStyle": {"color": c}}
              for k, c in LABEL_COLOURS.items() if k != "other"]
    return {"animation": False, "tooltip": {"formatter": "{b}: {c}"},
            "legend": {"data": [x["name"] for x in legend]},
            "series": [{"type": "graph", "layout": "none", "roam": True, "data": data, "links": links,
                        "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 6,
                        "lineStyle": {"color": "#aaa", "curveness": 0.1}, "emphasis": {"focus": "adjacency"}}]
            + [{"type": "graph", "name": x["name"], "data": [], "itemStyle": x["itemStyle"]} for x in legend]}


def layers(node_ids: Sequence[str], edges: Sequence[dict]) -> dict[str, int]:
    """Longest-path depth of each node from the sources (inputs left, end products right)."""
    preds: dict[str, list[str]] = {n: [] for n in node_ids}
    for e in edges:
        if e["target"] in preds and e["source"] in preds:
            preds[e["target"]].append(e["source"])
    depth: dict[str, int] = {}

    def d(n: str, seen: frozenset[str]) -> int:
        if n in depth:
            return depth[n]
        ps = [p for p in preds[n] if p not in seen]
        depth[n] = 0 if not ps else 1 + max(d(p, seen | {n}) for p in ps)
        return depth[n]

    for n in node_ids:
        d(n, frozenset())
    return depth
