"""Entry points on the database: submit judgments, criterion weights, ranking of appraisals.

An expert's voice is ``role weight x experts.weight`` (see ``roles.yaml``); it weights both
the AHP aggregation of criterion judgments and the mean of the experts' scores that forms
the decision matrix (appraisals x criteria, scores 0-100, all criteria benefit-type).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from reforge.appraise import ahp, sql
from reforge.appraise.agreement import discourse_shares, kendall_w, leave_one_out_rho
from reforge.appraise.group import ExpertJudgment, group_weights
from reforge.appraise.objective import critic_weights, entropy_weights
from reforge.appraise.panel import propose
from reforge.appraise.result import PanelResult, RankingResult, WeightsResult
from reforge.appraise.roles import load_roles
from reforge.appraise.scoring import ranks, topsis, vikor, weighted_sum
from reforge.appraise.sensitivity import rank_stability, switch_points
from reforge.engine.base import Engine
from reforge.errors import DataMissing, InvalidInput, NotFound
from reforge.messages import Message

RANK_METHODS = ("topsis", "weighted_sum", "vikor")
WEIGHTINGS = ("ahp", "entropy", "critic", "equal")
_SCALE = (1 / 9 - 1e-9, 9 + 1e-9)
OUTLIER_RHO = 0.0  # an expert whose ranking correlates below this with the rest is flagged


def _matrix(rows: pd.DataFrame, criteria: Sequence[str]) -> np.ndarray:
    """A reciprocal matrix from judgment rows (criterion_a, criterion_b, value); every pair needed."""
    idx = {c: i for i, c in enumerate(criteria)}
    n = len(criteria)
    m = np.full((n, n), np.nan)
    np.fill_diagonal(m, 1.0)
    for a, b, v in rows[["criterion_a", "criterion_b", "value"]].itertuples(index=False):
        m[idx[a], idx[b]], m[idx[b], idx[a]] = float(v), 1.0 / float(v)
    return m


def submit_judgments(engine: Engine, appraisal_id: str, expert_id: str,
                     pairs: Mapping[tuple[str, str], float] | Sequence[tuple[str, str, float]]) -> dict[str, object]:
    """Store one expert's pairwise judgments on an appraisal's criteria (replacing earlier ones).

    ``pairs`` gives ``value`` = how much more important ``a`` is than ``b`` (Saaty 1/9-9) for
    every unordered pair of the appraisal's criteria exactly once. Everything is validated
    before the write; the answer holds the matrix's CR (an inconsistent matrix is stored,
    and flagged here and wherever it is used).
    """
    sql.appraisal(engine, appraisal_id)
    ex = sql.experts(engine)
    if expert_id not in set(ex.expert_id):
        raise NotFound(f"expert {expert_id!r} not found", code="appraise.expert.not_found",
                       params={"expert_id": str(expert_id)[:80]})
    criteria = sorted(set(sql.scores(engine, [appraisal_id]).criterion))
    if len(criteria) < 2:
        raise DataMissing(f"appraisal {appraisal_id} has fewer than 2 scored criteria",
                          code="appraise.data.no_criteria", params={"appraisal_id": appraisal_id})
    items = list(pairs.items()) if isinstance(pairs, Mapping) else [((a, b), v) for a, b, v in pairs]
    seen: set[frozenset[str]] = set()
    rows: list[tuple[str, str, float]] = []
    for (a, b), v in items:
        if a not in criteria or b not in criteria or a == b:
            raise InvalidInput(f"unknown criterion pair ({a}, {b}); criteria: {', '.join(criteria)}",
                               code="appraise.judgment.bad_pair",
                               params={"a": str(a)[:80], "b": str(b)[:80], "criteria": criteria})
        try:
            val = float(v)
        except (TypeError, ValueError):
            val = float("nan")
        if not (_SCALE[0] <= val <= _SCALE[1]):
            raise InvalidInput(f"judgment ({a}, {b}) = {v!r} is off Saaty's scale 1/9-9",
                               code="appraise.judgment.off_scale", params={"a": a, "b": b, "value": str(v)[:40]})
        key = frozenset((a, b))
        if key in seen:
            raise InvalidInput(f"the pair ({a}, {b}) is judged twice", code="appraise.judgment.duplicate",
                               params={"a": a, "b": b})
        seen.add(key)
        rows.append((a, b, val))
    n_pairs = len(criteria) * (len(criteria) - 1) // 2
    if len(rows) != n_pairs:
        raise InvalidInput(f"{len(rows)} of {n_pairs} criterion pairs judged; every pair is needed",
                           code="appraise.judgment.incomplete", params={"given": len(rows), "needed": n_pairs})
    c = ahp.consistency(_matrix(pd.DataFrame(rows, columns=["criterion_a", "criterion_b", "value"]), criteria))
    sql.write_judgments(engine, appraisal_id, expert_id, rows)
    return {"appraisal_id": appraisal_id, "expert_id": expert_id, "criteria": criteria,
            **c.to_dict(), "priorities": {k: float(p) for k, p in zip(criteria, c.priorities, strict=True)}}


def _batch(engine: Engine, appraisal_ids: Sequence[str] | None, kind: str | None,
           year: int | None) -> pd.DataFrame:
    ap = sql.appraisals(engine, list(appraisal_ids) if appraisal_ids is not None else None, kind, year)
    if appraisal_ids is not None:
        missing = sorted(set(appraisal_ids) - set(ap.appraisal_id))
        if missing:
            raise NotFound(f"appraisal {missing[0]!r} not found", code="appraise.not_found",
                           params={"appraisal_id": missing[0][:80]})
    if ap.empty:
        raise DataMissing("no appraisals match", code="appraise.data.none", params={})
    return ap


def criteria_weights(engine: Engine, appraisal_ids: Sequence[str] | None = None, kind: str | None = None,
                     year: int | None = None, method: str = "aij",
                     role_weights: Mapping[str, float] | None = None,
                     on_inconsistent: str = "exclude") -> WeightsResult:
    """Group criterion weights from the panel's AHP judgments on the chosen appraisals.

    Each (appraisal, expert) matrix is one judge with the expert's voice. Inconsistent
    matrices are excluded (a note says so) unless ``on_inconsistent="repair"``.
    """
    ap = _batch(engine, appraisal_ids, kind, year)
    ids = list(ap.appraisal_id)
    criteria, judges = load_judges(engine, ids)
    g = group_weights(judges, criteria, method, role_weights, on_inconsistent)
    shares = discourse_shares(judges, criteria, method, role_weights, on_inconsistent)
    return WeightsResult(ids, g, load_roles(role_weights).weights(), shares)


def load_judges(engine: Engine, ids: Sequence[str]) -> tuple[list[str], list[ExpertJudgment]]:
    """(criteria, one judge per (appraisal, expert) matrix) of the given appraisals."""
    jd = sql.judgments(engine, ids)
    if jd.empty:
        raise DataMissing("no pairwise judgments for these appraisals", code="appraise.data.no_judgments",
                          params={"n": len(ids)})
    criteria = sorted(set(jd.criterion_a) | set(jd.criterion_b))
    ex = sql.experts(engine).set_index("expert_id")
    judges: list[ExpertJudgment] = []
    for (aid, eid), rows in jd.groupby(["appraisal_id", "expert_id"], sort=True):
        m = _matrix(rows, criteria)
        if np.isnan(m).any():
            raise DataMissing(f"expert {eid} has not judged every criterion pair on {aid}",
                              code="appraise.data.incomplete_judgments", params={"expert": eid, "appraisal_id": aid})
        role = ex.at[eid, "role"] if eid in ex.index else None
        role = None if role is None or pd.isna(role) else str(role)
        weight = float(ex.at[eid, "weight"]) if eid in ex.index else 1.0
        label = eid if len(ids) == 1 else f"{eid}@{aid}"
        judges.append(ExpertJudgment(label, m, role, weight))
    return criteria, judges


def decision_matrix(engine: Engine, ids: Sequence[str],
                    role_weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Appraisals x criteria: the voice-weighted mean of the experts' scores (0-100)."""
    sc = sql.scores(engine, ids)
    if sc.empty:
        raise DataMissing("no expert scores for these appraisals", code="appraise.data.no_scores",
                          params={"n": len(ids)})
    return matrix_from_scores(sc, sql.experts(engine), ids, role_weights)


def matrix_from_scores(sc: pd.DataFrame, experts: pd.DataFrame, ids: Sequence[str],
                       role_weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The voice-weighted mean scores (reduced data; see :func:`decision_matrix`)."""
    rules = load_roles(role_weights)
    ex = experts.set_index("expert_id")
    role = sc.expert_id.map(ex["role"]).where(lambda s: s.notna(), None)
    own = sc.expert_id.map(ex["weight"]).fillna(1.0).astype(float)
    sc = sc.assign(voice=[rules.weight(r if isinstance(r, str) else None) for r in role] * own.to_numpy())
    sc = sc.assign(ws=sc.voice * sc.score.astype(float))
    agg = sc.groupby(["appraisal_id", "criterion"]).agg(ws=("ws", "sum"), v=("voice", "sum"))
    if (agg.v <= 0).any():
        raise InvalidInput("every expert scoring a criterion has weight 0", code="appraise.data.zero_voice",
                           params={})
    mat = (agg.ws / agg.v).unstack("criterion")
    if mat.isna().any().any():
        bad = mat.index[mat.isna().any(axis=1)][0]
        raise DataMissing(f"appraisal {bad} lacks a score on some criterion",
                          code="appraise.data.incomplete_scores", params={"appraisal_id": bad})
    return mat.reindex(list(ids))


def rank_appraisals(engine: Engine, appraisal_ids: Sequence[str] | None = None, kind: str | None = None,
                    year: int | None = None, method: str = "topsis", weighting: str = "ahp",
                    role_weights: Mapping[str, float] | None = None,
                    on_inconsistent: str = "exclude") -> RankingResult:
    """Rank appraisals (a batch: ids, or kind and year) by TOPSIS, weighted sum or VIKOR.

    The score is TOPSIS closeness or the weighted sum (higher is better) or VIKOR's ``Q``
    (lower is better); rank 1 is the best either way. Agreement: Kendall's W of the experts
    who scored every appraisal, each ranking them by their own weighted score.

    ``weighting``: ``ahp`` (the panel's group weights, see :func:`criteria_weights`),
    ``entropy``, ``critic`` (objective, from the decision matrix) or ``equal``.
    """
    if method not in RANK_METHODS:
        raise InvalidInput(f"unknown ranking method {method!r}", code="appraise.rank.method",
                           params={"value": str(method)[:40], "choices": list(RANK_METHODS)})
    if weighting not in WEIGHTINGS:
        raise InvalidInput(f"unknown weighting {weighting!r}", code="appraise.rank.weighting",
                           params={"value": str(weighting)[:40], "choices": list(WEIGHTINGS)})
    ap = _batch(engine, appraisal_ids, kind, year)
    ids = list(ap.appraisal_id)
    if len(ids) < 2:
        raise InvalidInput("ranking needs at least 2 appraisals", code="appraise.rank.too_few",
                           params={"n": len(ids)})
    mat = decision_matrix(engine, ids, role_weights)
    criteria = [str(c) for c in mat.columns]
    notes: list[Message] = []
    x = mat.to_numpy(dtype=float)
    if weighting == "ahp":
        wr = criteria_weights(engine, ids, method="aij", role_weights=role_weights, on_inconsistent=on_inconsistent)
        if sorted(wr.group.criteria) != sorted(criteria):
            raise DataMissing("the judged criteria differ from the scored criteria",
                              code="appraise.data.criteria_differ",
                              params={"judged": wr.group.criteria, "scored": criteria})
        w = np.array([dict(zip(wr.group.criteria, wr.group.weights, strict=True))[c] for c in criteria])
        notes += wr.group.notes
    elif weighting == "entropy":
        w = entropy_weights(x)
    elif weighting == "critic":
        w = critic_weights(x)
    else:
        w = np.full(len(criteria), 1.0 / len(criteria))
    if method == "vikor":
        s = vikor(x, w)[2]
        rk = ranks(-s)
    else:
        s = topsis(x, w) if method == "topsis" else weighted_sum(x, w)
        rk = ranks(s)
    table = ap.set_index("appraisal_id").loc[ids, ["title", "uscc"]].reset_index()
    table = table.assign(score=s, rank=rk).sort_values(["rank", "appraisal_id"]).reset_index(drop=True)
    sc = sql.scores(engine, ids)
    own = sc.assign(ws=sc.score.astype(float) * sc.criterion.map(dict(zip(criteria, w, strict=True))).astype(float))
    per = own.pivot_table(index="expert_id", columns="appraisal_id", values="ws", aggfunc="sum").reindex(columns=ids)
    full = per.dropna()
    w_kendall = kendall_w(full.to_numpy()) if len(full) >= 2 else None
    if len(full) >= 3 and len(ids) >= 3:
        for eid, rho in zip(full.index, leave_one_out_rho(full.to_numpy()), strict=True):
            if rho < OUTLIER_RHO:
                notes.append(Message("appraise.note.outlier", {"expert": str(eid), "rho": float(rho),
                                                                "threshold": OUTLIER_RHO}))
    sens = {"switch_points": [{**p, "criterion": criteria[int(p["criterion"])],  # type: ignore[call-overload]
                               "top_below": None if p["top_below"] is None else ids[int(p["top_below"])],  # type: ignore[arg-type]
                               "top_above": None if p["top_above"] is None else ids[int(p["top_above"])]}  # type: ignore[arg-type]
                              for p in switch_points(x, w, method=method)],
            **rank_stability(x, w, method=method, draws=200)}
    return RankingResult(method, weighting, criteria, w, table, mat, notes, w_kendall, len(full), sens)


def build_panel(engine: Engine, appraisal_id: str, size: int | None = None, fields: Sequence[str] | None = None,
                role_weights: Mapping[str, float] | None = None) -> PanelResult:
    """Propose a balanced panel for an appraisal (see :mod:`reforge.appraise.panel`).

    Fields to cover: the appraisal's ``item_id`` plus ``fields``. Conflicts come from the
    experts' employers and the applicant's ``supply_links`` partners (any year).
    """
    ap = sql.appraisal(engine, appraisal_id)
    applicant = ap.get("uscc") if isinstance(ap.get("uscc"), str) else None
    partners: dict[str, set[str]] = {}
    if applicant:
        for p, rel in sql.trade_partners(engine, applicant).itertuples(index=False):
            partners.setdefault(str(p), set()).add(str(rel))
    need = [str(ap["item_id"])] if isinstance(ap.get("item_id"), str) else []
    need += [str(f) for f in (fields or [])]
    rules = load_roles(role_weights)
    seats, notes = propose(sql.experts(engine), rules, applicant, partners, need, size)
    n = size if size is not None else sum(q.min for q in rules.quotas.values())
    return PanelResult(appraisal_id, applicant, list(dict.fromkeys(need)), int(n), seats, notes)
