"""Run numpy linear algebra single-threaded.

The influence matrices are tall and skinny (units × cells); multithreaded BLAS gains
nothing on them and, on a loaded machine, loses an order of magnitude to thread
contention (measured: 100k × 45 cross-product 0.9 s with 2 threads under load vs 0.04 s
with one). ``threadpoolctl`` ships with the scientific stack; without it this is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache


@lru_cache(maxsize=1)
def _controller():  # noqa: ANN202 - threadpoolctl.ThreadpoolController or None
    """One scan of the loaded BLAS/OpenMP libraries per process (each scan costs ~15 ms)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - optional
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS/OpenMP pools to one thread inside the block (numpy must be imported first)."""
    ctl = _controller()
    if ctl is None:  # pragma: no cover - optional
        yield
        return
    with ctl.limit(limits=1):
        yield
