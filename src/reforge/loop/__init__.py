"""Closing the loop from chokepoint to fix (issue 18): chain leaders (链主) and their core-part
ecosystems (:mod:`.leaders`, rules in ``leaders.yaml``, SQL in :mod:`.sql`) and the label history
of chain items (:mod:`.history`); result types in :mod:`.result`. Tackling projects: portfolio
(:mod:`.projects`), the board of an item (:mod:`.board`), outcome evaluation (:mod:`.outcome`)."""

from reforge.loop.history import label_history
from reforge.loop.leaders import chain_leaders, ecosystem
from reforge.loop.result import HistoryResult, LeadersResult
from reforge.loop.rules import LeaderRules, load_rules

__all__ = ["HistoryResult", "LeaderRules", "LeadersResult", "chain_leaders", "ecosystem", "label_history",
           "load_rules"]
