"""Appraisal of new products and technological achievements with a weighted downstream voice.

Weights: AHP per expert (:mod:`.ahp`), group aggregation with role-weighted voices
(:mod:`.group`, roles in ``roles.yaml``), entropy / CRITIC objective weights (:mod:`.objective`);
scoring of alternatives by weighted sum, TOPSIS and VIKOR (:mod:`.scoring`); Kendall's W and
discourse shares by leave-role-out (:mod:`.agreement`). First set / batch / version
eligibility and insurance arithmetic (:mod:`.catalogue`, rules in ``catalogue.yaml``); links to the chain
items a product addresses and to the item's adopters (:mod:`.links`). Entry points on the
database (:mod:`.evaluate`, SQL in :mod:`.sql`, results in :mod:`.result`).
"""

from reforge.appraise.agreement import discourse_shares, kendall_w
from reforge.appraise.ahp import Consistency, aggregate_judgments, aggregate_priorities, consistency, repair
from reforge.appraise.catalogue import eligibility, insurance, load_catalogue
from reforge.appraise.evaluate import (
           build_panel,
           criteria_weights,
           decision_matrix,
           rank_appraisals,
           submit_judgments,
)
from reforge.appraise.group import ExpertJudgment, GroupWeights, group_weights
from reforge.appraise.links import LinksResult, appraisal_links, links_for
from reforge.appraise.objective import critic_weights, entropy_weights
from reforge.appraise.roles import ROLES, load_roles
from reforge.appraise.scoring import ranks, topsis, vikor, weighted_sum

__all__ = ["Consistency", "LinksResult", "appraisal_links", "build_panel", "ExpertJudgment", "GroupWeights", "ROLES", "aggregate_judgments",
           "aggregate_priorities", "consistency", "criteria_weights", "critic_weights", "decision_matrix", "eligibility", "insurance", "load_catalogue", "discourse_shares", "kendall_w", "entropy_weights", "group_weights", "links_for",
           "load_roles", "rank_appraisals", "ranks", "repair", "submit_judgments", "topsis", "vikor", "weighted_sum"]
