"""Policy evaluation: staggered difference-in-differences (Callaway & Sant'Anna) on the engine.

``att_gt`` estimates group-time effects and returns a ``DidResult`` (``.to_dict()``,
``.aggregate(kind)``); ``evaluate`` runs a programme evaluation on the database.
"""

from __future__ import annotations

from typing import Any

from reforge.policy.did import DidResult, att_gt


def evaluate(*args: Any, **kwargs: Any) -> dict:
    """Programme evaluation on the database; see ``reforge.policy.programme.evaluate``."""
    from reforge.policy.programme import evaluate as _evaluate
    return _evaluate(*args, **kwargs)


__all__ = ["att_gt", "evaluate", "DidResult"]
