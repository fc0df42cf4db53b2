"""Rows left pointing at nothing by a ``replace``, found from the schema's references.

``settle_orphans`` runs inside the import transaction, after the replaced tables
were rewritten. For every reference (``schema.tables``) into a table whose rows
changed, it counts the rows whose value no longer exists in any target. Without
cascade any such row makes the import fail (the caller rolls back). With cascade,
rows whose referencing column is required are deleted and optional references are
set to NULL; deletions repeat down the graph (a deleted row's dependents are
checked in turn). Accounts (service table ``users``) are never cascaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reforge.engine.base import Engine
from reforge.engine.sqlbuild import literal
from reforge.schema.tables import TABLES, Reference, Table


@dataclass
class Orphans:
    """Dangling rows found (table, column, target, rows) and, with cascade, what was done."""

    found: list[tuple[str, str, str, int, bool]] = field(default_factory=list)  # ..., service table
    removed: dict[str, int] = field(default_factory=dict)
    nulled: dict[str, int] = field(default_factory=dict)
    blocked: bool = False


def _dangling(t: Table, ref: Reference) -> str:
    """WHERE condition for rows of ``t`` whose ``ref`` column points at nothing (uses the table name)."""
    c = f"{t.name}.{ref.column}"
    cond = [f"{c} IS NOT NULL"]
    if ref.when:
        cond.append(f"{t.name}.{ref.when[0]} = {literal(ref.when[1])}")
    cond += [f"NOT EXISTS (SELECT 1 FROM {tgt} AS x WHERE x.{col} = {c})" for tgt, col in ref.targets]
    return " AND ".join(cond)


def dangling_references(engine: Engine, tables: list[str]) -> list[tuple[str, str, str, int]]:
    """``(table, column, target, rows)`` for every reference of ``tables`` with rows pointing at
    nothing (a whole-database check, e.g. after a bulk load)."""
    out = []
    for name in tables:
        t = next(x for x in TABLES if x.name == name)
        for ref in t.references:
            if not all(engine.table_exists(tgt) for tgt, _ in ref.targets):
                continue
            n = int(engine.fetch_scalar(f"SELECT COUNT(*) FROM {t.name} WHERE {_dangling(t, ref)}") or 0)
            if n:
                out.append((t.name, ref.column, " or ".join(f"{a}.{b}" for a, b in ref.targets), n))
    return out


def dependents(changed: set[str], skip: set[str]) -> list[tuple[Table, Reference]]:
    """References (from any table not in ``skip``) with a target in ``changed``."""
    return [(t, r) for t in TABLES if t.name not in skip for r in t.references
            if any(tgt in changed for tgt, _ in r.targets)]


def settle_orphans(engine: Engine, replaced: set[str], cascade: bool) -> Orphans:
    """Find (and with ``cascade`` remove or un-link) rows orphaned by rewriting ``replaced``.
    ``blocked`` is True when the import must be rolled back."""
    out = Orphans()
    changed = set(replaced)
    for _ in range(len(TABLES) + 1):
        deleted: set[str] = set()
        for t, ref in dependents(changed, replaced):
            if not engine.table_exists(t.name):
                continue
            where = _dangling(t, ref)
            n = int(engine.fetch_scalar(f"SELECT COUNT(*) FROM {t.name} WHERE {where}") or 0)
            if not n:
                continue
            target = " or ".join(f"{a}.{b}" for a, b in ref.targets)
            out.found.append((t.name, ref.column, target, n, t.service))
            if t.service or not cascade:
                out.blocked = True
                continue
            col = t.column(ref.column)
            if col.required or col.name in t.key:
                engine.execute(f"DELETE FROM {t.name} WHERE {where}")
                out.removed[t.name] = out.removed.get(t.name, 0) + n
                deleted.add(t.name)
            else:
                engine.execute(f"UPDATE {t.name} SET {ref.column} = NULL WHERE {where}")
                out.nulled[t.name] = out.nulled.get(t.name, 0) + n
        if out.blocked or not deleted:
            break
        changed = deleted
    return out
