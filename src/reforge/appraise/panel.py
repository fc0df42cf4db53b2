"""Panel building on reduced data: conflicts of interest, role quotas, field coverage.

An expert cannot sit on the panel of an appraisal when (conflicts, always out):

- ``same_enterprise``: the expert works for the applicant (``experts.uscc``);
- ``supplier`` / ``buyer``: the expert's enterprise supplied to or bought from the applicant
  in any year of ``supply_links``.

Independence inside the panel: at most one expert per institution and one per employer
enterprise (the second is out with ``same_institution`` / ``same_employer``). Experts without
a role are out (``no_role``): their voice is undefined.

The builder is greedy and deterministic: first each role's minimum (``roles.yaml`` quotas),
then up to ``size``; at each step the candidate that covers a still-uncovered field wins,
then the higher voice (role weight x own weight), then the smaller expert id. A role's
maximum is never exceeded. Every expert gets reasons (codes + params) for being in or out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from reforge.appraise.roles import ROLES, RoleRules
from reforge.errors import InvalidInput
from reforge.messages import Message


@dataclass
class Seat:
    """One expert's outcome: in or out, and why."""

    expert_id: str
    name: str
    role: str | None
    field: str | None
    voice: float
    selected: bool
    reasons: list[Message] = field(default_factory=list)


def conflicts(expert: Mapping[str, object], applicant: str | None,
              partners: Mapping[str, set[str]]) -> list[Message]:
    """Conflict-of-interest reasons of one expert towards the applicant (empty: none)."""
    out: list[Message] = []
    emp = expert.get("uscc")
    if not isinstance(emp, str) or not emp or applicant is None:
        return out
    if emp == applicant:
        out.append(Message("appraise.panel.out.same_enterprise", {"uscc": emp}))
    for rel in sorted(partners.get(emp, set())):
        out.append(Message(f"appraise.panel.out.{rel}", {"uscc": emp}))
    return out


def propose(experts: pd.DataFrame, rules: RoleRules, applicant: str | None,
            partners: Mapping[str, set[str]], fields: Sequence[str], size: int | None = None) -> tuple[list[Seat], list[Message]]:
    """(one Seat per expert, notes) for a panel of ``size`` (default: the sum of role minimums).

    ``experts`` has expert_id, name, field, institution_id, weight, role, uscc.
    ``partners`` maps an enterprise to its relations to the applicant (``supplier``, ``buyer``).
    """
    mins = {r: rules.quotas[r].min if r in rules.quotas else 0 for r in ROLES}
    maxs = {r: rules.quotas[r].max if r in rules.quotas else 0 for r in ROLES}
    n = sum(mins.values()) if size is None else int(size)
    if n < 1 or n > sum(maxs.values()):
        raise InvalidInput(f"a panel needs 1 to {sum(maxs.values())} experts, asked for {n}",
                           code="appraise.panel.size", params={"size": n, "max": sum(maxs.values())})
    seats: dict[str, Seat] = {}
    free: list[str] = []
    for r in experts.sort_values("expert_id").to_dict("records"):
        role = r["role"] if isinstance(r.get("role"), str) else None
        w = float(r["weight"]) if pd.notna(r.get("weight")) else 1.0
        s = Seat(str(r["expert_id"]), str(r.get("name") or ""), role,
                 r["field"] if isinstance(r.get("field"), str) else None, rules.weight(role) * w, False)
        s.reasons = conflicts(r, applicant, partners)
        if role is None:
            s.reasons.append(Message("appraise.panel.out.no_role", {}))
        seats[s.expert_id] = s
        if not s.reasons:
            free.append(s.expert_id)
    inst = {str(r["expert_id"]): r.get("institution_id") for r in experts.to_dict("records")}
    emp = {str(r["expert_id"]): r.get("uscc") for r in experts.to_dict("records")}
    need = [f for f in dict.fromkeys(fields) if f]
    covered: set[str] = set()
    count = dict.fromkeys(ROLES, 0)
    chosen: list[str] = []
    used_inst: dict[str, str] = {}
    used_emp: dict[str, str] = {}

    def blocked(eid: str) -> Message | None:
        i, e = inst.get(eid), emp.get(eid)
        if isinstance(i, str) and i in used_inst:
            return Message("appraise.panel.out.same_institution", {"institution_id": i, "other": used_inst[i]})
        if isinstance(e, str) and e in used_emp:
            return Message("appraise.panel.out.same_employer", {"uscc": e, "other": used_emp[e]})
        return None

    def pick(pool: list[str]) -> str | None:
        ok = [e for e in pool if blocked(e) is None]
        if not ok:
            return None
        return min(ok, key=lambda e: (not (seats[e].field in need and seats[e].field not in covered),
                                      -seats[e].voice, e))

    def take(eid: str, why: Message) -> None:
        s = seats[eid]
        s.selected = True
        s.reasons.append(why)
        if s.field in need and s.field not in covered:
            covered.add(s.field)  # type: ignore[arg-type]
            s.reasons.append(Message("appraise.panel.in.field", {"field": s.field}))
        count[s.role] += 1  # type: ignore[index]
        chosen.append(eid)
        free.remove(eid)
        i, e = inst.get(eid), emp.get(eid)
        if isinstance(i, str):
            used_inst[i] = eid
        if isinstance(e, str):
            used_emp[e] = eid

    for role in ROLES:  # role minimums first
        while count[role] < mins[role] and len(chosen) < n:
            eid = pick([e for e in free if seats[e].role == role])
            if eid is None:
                break
            take(eid, Message("appraise.panel.in.quota", {"role": role, "min": mins[role]}))
    while len(chosen) < n:  # then the rest, within role maximums
        eid = pick([e for e in free if count[seats[e].role] < maxs[seats[e].role]])  # type: ignore[index]
        if eid is None:
            break
        take(eid, Message("appraise.panel.in.fill", {"voice": seats[eid].voice}))
    for eid in free:  # why the remaining clean candidates stayed out
        s = seats[eid]
        b = blocked(eid)
        if b is not None:
            s.reasons.append(b)
        elif count[s.role] >= maxs[s.role]:  # type: ignore[index]
            s.reasons.append(Message("appraise.panel.out.quota_full", {"role": s.role, "max": maxs[s.role]}))  # type: ignore[index]
        else:
            s.reasons.append(Message("appraise.panel.out.panel_full", {"size": n}))
    notes: list[Message] = []
    for role in ROLES:
        if count[role] < mins[role]:
            notes.append(Message("appraise.panel.note.quota_short", {"role": role, "min": mins[role], "got": count[role]}))
    for f in need:
        if f not in covered:
            notes.append(Message("appraise.panel.note.field_uncovered", {"field": f}))
    if len(chosen) < n:
        notes.append(Message("appraise.panel.note.short", {"size": n, "got": len(chosen)}))
    order = {e: i for i, e in enumerate(chosen)}
    return sorted(seats.values(), key=lambda s: (not s.selected, order.get(s.expert_id, 0), s.expert_id)), notes
