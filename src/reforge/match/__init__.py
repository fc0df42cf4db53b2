"""Supply-demand matching: who can make what a downstream firm needs, at what capacity and level.

Entry points (engine + plain values in, result objects out):

- :func:`match_demands` - ranked domestic suppliers per demand, excluded ones with reason codes;
- :func:`assign_demands` - capacity-respecting many-to-many assignment maximising matched value;
- :func:`matching_degree` - share of demand value with a qualified domestic supplier, per item and chain;
- :func:`rank_texts` / :class:`TextIndex` - the Chinese/English BM25 text ranker alone (no database).
"""

from reforge.match.assign import Edge, assign_flows
from reforge.match.params import MatchParams, default_params
from reforge.match.rank import assign_demands, match_demands, matching_degree
from reforge.match.result import AssignResult, DegreeResult, MatchResult
from reforge.match.text import TextIndex, rank_texts, tokens

__all__ = ["AssignResult", "DegreeResult", "Edge", "MatchParams", "MatchResult", "TextIndex", "assign_demands",
           "assign_flows", "default_params", "match_demands", "matching_degree", "rank_texts", "tokens"]
