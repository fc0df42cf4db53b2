"""Reason codes: the factors that cost a firm the most points, in words.

For each scorecard feature the loss is the points of the feature's best bin minus the
points the firm got; the top adverse factors say what the loss is relative to:
``"debt ratio 0.82 (bin ≥ 0.75: −12 points) −34 points vs. the best bin of debt ratio"``
(the bin's own points are those of the scorecard table). Each line is a
:class:`~reforge.messages.Message` (code ``credit.reason.vs_best``; the feature, value and bin
are messages or plain values of their own), so the faces render it in the reader's language
(Chinese: "…，比该指标最优分箱低 34 分").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reforge.messages import Message, has

MINUS = "\u2212"


def fmt_value(v: Any) -> str:
    """A feature value for people: 4 significant digits, thousands separators when large."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "missing"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f.is_integer() and abs(f) < 1e15:
            return f"{int(f):,}"
        return f"{f:,.0f}" if abs(f) >= 1e4 else f"{f:.4g}"
    return str(v)


def bin_text(fspec: dict, idx: int) -> str:
    """Describe bin ``idx`` of a feature (regular bins first, then missing, then other)."""
    n = len(fspec["points"])
    if idx == n:
        return "missing"
    if idx == n + 1:
        return "category not seen in development"
    if fspec["dtype"] == "categorical":
        cats = fspec["categories"][idx]
        shown = ", ".join(cats[:4]) + (f" +{len(cats) - 4} more" if len(cats) > 4 else "")
        return f"bin {shown}"
    s = fspec["splits"]
    if len(s) == 0:
        return "all values"
    if idx == 0:
        return f"bin < {fmt_value(s[0])}"
    if idx == len(s):
        return f"bin \u2265 {fmt_value(s[-1])}"
    return f"bin {fmt_value(s[idx - 1])}\u2013{fmt_value(s[idx])}"


def bin_message(fspec: dict, idx: int) -> Message:
    """``bin_text`` as a coded message (``credit.bin.*``)."""
    n = len(fspec["points"])
    text = bin_text(fspec, idx)
    if idx == n:
        return Message("credit.bin.missing", text=text)
    if idx == n + 1:
        return Message("credit.bin.unseen", text=text)
    if fspec["dtype"] == "categorical":
        cats = fspec["categories"][idx]
        return Message("credit.bin.categories", {"categories": list(cats[:4]), "more": max(len(cats) - 4, 0)},
                       text=text)
    sp = fspec["splits"]
    if len(sp) == 0:
        return Message("credit.bin.all", text=text)
    if idx == 0:
        return Message("credit.bin.below", {"cut": fmt_value(sp[0])}, text=text)
    if idx == len(sp):
        return Message("credit.bin.at_least", {"cut": fmt_value(sp[-1])}, text=text)
    return Message("credit.bin.range", {"low": fmt_value(sp[idx - 1]), "high": fmt_value(sp[idx])}, text=text)


def feature_name(fspec: dict) -> Message | str:
    """The feature's name: a catalog message ``credit.feature.<name>`` when the catalogs know
    the feature, else its label as given to the scorecard."""
    code = f"credit.feature.{fspec['name']}"
    return Message(code, text=str(fspec["label"])) if has(code) and has(code, "zh") else str(fspec["label"])


def best_points(fspec: dict) -> int:
    """The most points the feature can give (over regular bins and a populated missing bin)."""
    cand = list(fspec["points"])
    if fspec.get("missing_count", 0) > 0:
        cand.append(fspec["points_missing"])
    return int(max(cand))


def reason_lines(specs: list[dict], values: list[Any], bins: list[int], points: list[int],
                 top: int = 3) -> list[Message]:
    """Top adverse factors of one firm: values, bin indices and points per feature (none when
    ``top`` is 0: a listing that explains only the rows it shows asks for them later)."""
    if top <= 0:
        return []
    losses = []
    for j, f in enumerate(specs):
        loss = best_points(f) - int(points[j])
        if loss > 0:
            losses.append((loss, j))
    losses.sort(key=lambda t: (-t[0], t[1]))
    out = []
    for loss, j in losses[:top]:
        f = specs[j]
        v = values[j]
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        pts = signed(int(points[j]))
        text = (f"{f['label']} {fmt_value(v)} ({bin_text(f, bins[j])}: {pts} points) {MINUS}{loss} points "
                f"vs. the best bin of {f['label']}")
        out.append(Message("credit.reason.vs_best", {
            "feature": feature_name(f), "value": Message("credit.value.missing", text="missing") if missing
            else fmt_value(v), "bin": bin_message(f, bins[j]), "points": pts, "loss": loss}, text=text))
    return out


def signed(points: int) -> str:
    """Points with their sign (``+17``, ``−6``, ``0``), as the scorecard table shows them."""
    return f"+{points}" if points > 0 else (f"{MINUS}{-points}" if points < 0 else "0")


def scorecard_rows(spec: dict) -> list[dict[str, Any]]:
    """The printed scorecard in words: one row per feature and bin (regular bins, then the
    missing-value bin), ``{feature, name, bin, points, best}`` where ``name`` and ``bin`` are
    messages (or plain labels) for the faces to render, ``points`` the bin's points and
    ``best`` whether it is the feature's best bin (the reference of the reasons' losses)."""
    out: list[dict[str, Any]] = []
    for f in spec.get("features") or []:
        top = best_points(f)
        name = feature_name(f)
        n = len(f["points"])
        for i, pts in enumerate(f["points"]):
            out.append({"feature": f["name"], "name": name, "bin": bin_message(f, i), "points": int(pts),
                        "best": int(pts) == top})
        pm = int(f["points_missing"])
        out.append({"feature": f["name"], "name": name, "bin": bin_message(f, n), "points": pm,
                    "best": f.get("missing_count", 0) > 0 and pm == top})
    return out
