"""Appraisal of new products and technological achievements with a weighted downstream voice.

Weights: AHP per expert (:mod:`.ahp`), group aggregation with role-weighted voices
(:mod:`.group`, roles in ``roles.yaml``), entropy / CRITIC objective weights (:mod:`.objective`);
scoring of alternatives by weighted sum and TOPSIS (:mod:`.scoring`).
"""

from reforge.appraise.ahp import Consistency, aggregate_judgments, aggregate_priorities, consistency, repair
from reforge.appraise.group import ExpertJudgment, GroupWeights, group_weights
from reforge.appraise.objective import critic_weights, entropy_weights
from reforge.appraise.roles import ROLES, load_roles
from reforge.appraise.scoring import ranks, topsis, weighted_sum

__all__ = ["Consistency", "ExpertJudgment", "GroupWeights", "ROLES", "aggregate_judgments",
           "aggregate_priorities", "consistency", "critic_weights", "entropy_weights", "group_weights",
           "load_roles", "ranks", "repair", "topsis", "weighted_sum"]
