"""Pictures: the layered chain map (colour = label, size = downstream reach) and the
priority bar chart. matplotlib with the Agg backend; the file type follows the suffix
(.png, .svg, .pdf)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reforge.errors import ReforgeError

if TYPE_CHECKING:  # pragma: no cover
    from reforge.chain.metrics import Bottlenecks

LABEL_COLOURS = {"missing": "#6a3d9a", "blank": "#e31a1c", "chokepoint": "#ff7f00", "weak": "#fdbf6f",
                 "insufficient_data": "#9e9e9e", "sound": "#33a02c"}
SUFFIXES = (".png", ".svg", ".pdf")


def _check_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise ReforgeError(f"plot file must end in {', '.join(SUFFIXES)}, got {p.name!r}")
    if not p.parent.exists():
        raise ReforgeError(f"directory {p.parent} does not exist")
    return p


def layout(chain_map: dict) -> dict[str, tuple[float, float]]:
    """Positions: x = layer (upstream left), y spread evenly within a layer (sorted by id)."""
    by_layer: dict[int, list[str]] = {}
    for n in chain_map["nodes"]:
        by_layer.setdefault(int(n["layer"]), []).append(n["id"])
    pos: dict[str, tuple[float, float]] = {}
    for layer, ids in by_layer.items():
        ids.sort()
        k = len(ids)
        for j, i in enumerate(ids):
            pos[i] = (float(layer), (k - 1) / 2.0 - j)
    return pos


def draw_chain_map(ax, chain_map: dict, title: str = "") -> None:
    """Draw the layered map on a matplotlib axis."""
    pos = layout(chain_map)
    for e in chain_map["edges"]:
        if e["source"] in pos and e["target"] in pos:
            (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "->", "color": "#999999", "lw": 0.8,
                                    "shrinkA": 8, "shrinkB": 8})
    for n in chain_map["nodes"]:
        x, y = pos[n["id"]]
        size = 25 + 275 * float(n["reach"] or 0.0)
        ax.scatter([x], [y], s=size, color=LABEL_COLOURS.get(n["label"], "#999999"), zorder=3,
                   edgecolors="black", linewidths=0.5)
        ax.text(x + 0.07, y, n["id"], ha="left", va="center", fontsize=7)
    for lab, col in LABEL_COLOURS.items():
        ax.scatter([], [], color=col, label=lab, s=40)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5, fontsize=7, frameon=False)
    ax.margins(0.12)
    ax.set_title(title or "chain map (upstream -> downstream; size = downstream reach)", fontsize=9)
    ax.set_axis_off()


def draw_priority_bars(ax, items: list[dict], top: int = 20) -> None:
    """Horizontal bars of the ``top`` items by priority, coloured by label."""
    rows = sorted(items, key=lambda r: -r["priority"])[:top][::-1]
    ax.barh([r["item_id"] for r in rows], [r["priority"] for r in rows],
            color=[LABEL_COLOURS.get(r["label"], "#999999") for r in rows])
    ax.set_xlabel("priority (0-100)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title("priority items", fontsize=9)


def plot_bottlenecks(b: Bottlenecks, path: str | Path | None = None, top: int = 20):
    """One figure: chain map (left) and priority bars (right). Saved when ``path`` is given."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reforge.chain.mapdata import map_from_bottlenecks
    p = _check_path(path) if path is not None else None
    cm = map_from_bottlenecks(b)
    n_layers = 1 + max((n["layer"] for n in cm["nodes"]), default=0)
    per_layer: dict[int, int] = {}
    for n in cm["nodes"]:
        per_layer[n["layer"]] = per_layer.get(n["layer"], 0) + 1
    height = max(5.0, 0.32 * max(per_layer.values(), default=1) + 1.5, 0.25 * min(top, len(b.items)) + 1.5)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(max(9.0, 2.2 * n_layers + 5), height),
                                   gridspec_kw={"width_ratios": [max(2, n_layers), 2]})
    draw_chain_map(ax1, cm, f"{b.chain_id}: chain map (colour = label, size = downstream reach)")
    draw_priority_bars(ax2, b.items, top)
    fig.tight_layout()
    if p is not None:
        fig.savefig(p, dpi=120)
        plt.close(fig)
    return fig
