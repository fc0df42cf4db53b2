"""Supply-demand matching: who can make what a downstream firm needs, at what capacity and level.

Entry points (engine + plain values in, result objects out):

- :func:`match_demands` - ranked domestic suppliers per demand, excluded ones with reason codes;
- :func:`assign_demands` - capacity-respecting many-to-many assignment maximising matched value;
- :func:`matching_degree` - share of demand value with a qualified domestic supplier, per item and chain;
- :func:`rank_texts` / :class:`TextIndex` - the Chinese/English BM25 text ranker alone (no database).

The names are imported on first use (PEP 562): ``reforge match rank`` needs the text ranker only,
not pandas and the SQL of the database capabilities.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOME = {"Edge": "assign", "assign_flows": "assign", "MatchParams": "params", "default_params": "params",
         "assign_demands": "rank", "match_demands": "rank", "matching_degree": "rank",
         "AssignResult": "result", "DegreeResult": "result", "MatchResult": "result",
         "TextIndex": "text", "rank_texts": "text", "tokens": "text"}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"reforge.match.{_HOME[name]}"), name)
    raise AttributeError(f"module 'reforge.match' has no attribute {name!r}")
