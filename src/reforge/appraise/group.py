"""Group criterion weights from several experts' AHP matrices, with role-weighted voices.

Each expert's matrix is checked first (:func:`reforge.appraise.ahp.consistency`). A matrix
with ``CR > threshold`` is never used as it is: by default it is excluded (a note says so);
with ``on_inconsistent="repair"`` it is repaired by Xu & Wei's method and used, marked
``repaired``; with ``"error"`` the call fails. The voice of expert ``k`` is
``role_weight(role_k) * own_weight_k`` (see ``roles.yaml``), normalised over the matrices used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reforge.appraise import ahp
from reforge.appraise.roles import load_roles
from reforge.errors import InvalidInput
from reforge.messages import Message

METHODS = ("aij", "aip")
ON_INCONSISTENT = ("exclude", "repair", "error")


@dataclass(frozen=True)
class ExpertJudgment:
    """One expert's pairwise matrix over the shared criteria."""

    expert_id: str
    matrix: object
    role: str | None = None
    weight: float = 1.0  # the expert's own weight (seniority / competence), >= 0


@dataclass(frozen=True)
class ExpertOutcome:
    """What the aggregation did with one expert's matrix."""

    expert_id: str
    role: str | None
    voice: float          # normalised share of the group result (0 when excluded)
    cr: float
    cr_after: float | None
    status: str           # used | repaired | excluded
    priorities: np.ndarray


@dataclass(frozen=True)
class GroupWeights:
    """Group priorities of the criteria, with the experts' outcomes and notes (codes)."""

    criteria: list[str]
    weights: np.ndarray
    method: str
    experts: list[ExpertOutcome]
    group_cr: float | None  # CR of the aggregated matrix (AIJ only)
    notes: list[Message]


def group_weights(judgments: Sequence[ExpertJudgment], criteria: Sequence[str], method: str = "aij",
                  role_weights: Mapping[str, float] | None = None, on_inconsistent: str = "exclude",
                  threshold: float = ahp.CR_THRESHOLD, repair_step: float = 0.9) -> GroupWeights:
    """Aggregate the experts' matrices into criterion weights (AIJ or AIP)."""
    if method not in METHODS:
        raise InvalidInput(f"unknown aggregation {method!r}; use one of {', '.join(METHODS)}",
                           code="appraise.group.method", params={"value": str(method)[:40], "choices": list(METHODS)})
    if on_inconsistent not in ON_INCONSISTENT:
        raise InvalidInput(f"unknown choice {on_inconsistent!r} for inconsistent matrices",
                           code="appraise.group.on_inconsistent",
                           params={"value": str(on_inconsistent)[:40], "choices": list(ON_INCONSISTENT)})
    if not judgments:
        raise InvalidInput("no expert judgments", code="appraise.ahp.none", params={})
    rules = load_roles(role_weights)
    n = len(criteria)
    notes: list[Message] = []
    used: list[tuple[int, np.ndarray, np.ndarray, float]] = []  # (index, matrix, priorities, raw voice)
    rows: list[dict[str, object]] = []
    for i, j in enumerate(judgments):
        m = ahp.check_matrix(j.matrix)
        if m.shape[0] != n:
            raise InvalidInput(f"expert {j.expert_id} compared {m.shape[0]} criteria, expected {n}",
                               code="appraise.ahp.sizes_differ", params={"expert": j.expert_id, "n": n})
        if j.role is not None and j.role not in rules.roles:
            raise InvalidInput(f"unknown expert role {j.role!r}", code="appraise.role.unknown",
                               params={"role": str(j.role)[:40], "roles": list(rules.roles)})
        if not np.isfinite(j.weight) or j.weight < 0:
            raise InvalidInput(f"expert {j.expert_id} has a bad weight", code="appraise.bad_voices", params={"n": 1})
        c = ahp.consistency(m, threshold)
        raw = rules.weight(j.role) * float(j.weight)
        row: dict[str, object] = {"expert_id": j.expert_id, "role": j.role, "cr": c.cr, "cr_after": None,
                                  "priorities": c.priorities, "status": "used"}
        if not c.consistent:
            if on_inconsistent == "error":
                raise InvalidInput(f"expert {j.expert_id}'s judgments are inconsistent (CR {c.cr:.3f})",
                                   code="appraise.ahp.inconsistent",
                                   params={"expert": j.expert_id, "cr": c.cr, "threshold": threshold})
            if on_inconsistent == "exclude":
                row["status"] = "excluded"
                notes.append(Message("appraise.note.excluded_inconsistent",
                                     {"expert": j.expert_id, "cr": c.cr, "threshold": threshold}))
                rows.append(row)
                continue
            r = ahp.repair(m, repair_step, threshold)
            m, c = r.matrix, r.after
            row.update(status="repaired", cr_after=c.cr, priorities=c.priorities)
            notes.append(Message("appraise.note.repaired",
                                 {"expert": j.expert_id, "cr": r.before.cr, "cr_after": c.cr,
                                  "iterations": r.iterations}))
        used.append((i, m, c.priorities, raw))
        rows.append(row)
    if not used or sum(u[3] for u in used) <= 0:
        raise InvalidInput("no consistent expert judgments with a positive weight are left",
                           code="appraise.group.none_usable", params={"n": len(judgments)})
    voices = np.array([u[3] for u in used])
    voices = voices / voices.sum()
    group_cr: float | None = None
    if method == "aij":
        g = ahp.aggregate_judgments([u[1] for u in used], voices)
        gc = ahp.consistency(g, threshold)
        w, group_cr = gc.priorities, gc.cr
    else:
        w = ahp.aggregate_priorities([u[2] for u in used], voices)
    voice_of = {u[0]: float(v) for u, v in zip(used, voices, strict=True)}
    outcomes = [ExpertOutcome(str(r["expert_id"]), r["role"], voice_of.get(i, 0.0), float(r["cr"]),  # type: ignore[arg-type]
                              r["cr_after"], str(r["status"]), r["priorities"])  # type: ignore[arg-type]
                for i, r in enumerate(rows)]
    return GroupWeights(list(criteria), w, method, outcomes, group_cr, notes)
