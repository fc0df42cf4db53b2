"""Page warm-up (issue 13): after the server starts and after every change of the analysed data,
a background thread computes the heavy pages' default results under the very keys the pages read
(the memo and the result store), so the next visitor is served in milliseconds instead of waiting
seconds for the analyses.

Warmed, cheap and shared first: every chain's bottlenecks (overview and chain pages), the generic
technologies, the early warnings, the Little Giant shortlist, review list and cohorts, the credit grades, the
joint-research results, today's project portfolio, the blank and chokepoint items and their boards.
Region-bound and enterprise views are not warmed: they are computed on their first visit and kept.
A data change during a warm-up abandons it; the next round starts from the new data. Results that
are still valid (same data, same code) are read back from the result store, not recomputed.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Step = Callable[[Any], Any]  # fn(db): opens its own short read(s); the result is ignored


def steps(stopped: Callable[[], bool]) -> list[tuple[str, Step]]:
    """The warm-up steps, in order, as (name, fn(db)). Each read is short (one page's analyses), so
    a write or a CLI command waiting for the file gets in between; the boards are one read each,
    their list read when their turn comes, and each first asks ``stopped()``."""
    from reforge.api import services as sv
    from reforge.web.chain_pages import chain_bottlenecks, generic_result
    from reforge.web.credit_pages import credit_lean
    from reforge.web.match_pages import match_result
    from reforge.web.projects_pages import board_result, gap_result, portfolio_result
    from reforge.web.research_pages import research_results
    from reforge.web.tier_pages import cohort_table, review_list, shortlist, warnings_list

    def read(fn: Callable[[Any, Any], Any]) -> Step:
        def step(db: Any) -> Any:
            with db.reader() as e:
                return fn(db, e)
        return step

    def chains(db: Any) -> None:
        for c in read(lambda db, e: sv.list_chains(e))(db):
            read(lambda db, e, cid=c["chain_id"]: chain_bottlenecks(db, e, cid, None, None))(db)

    def boards(db: Any) -> None:
        g = read(lambda db, e: gap_result(db, e, None))(db)
        # each chain's bottlenecks and the item labels come from the server's analysis memo (kept
        # while the data are unchanged), so they are computed once for all the boards
        for item in sorted({r["item_id"] for r in (g["data"] or [])}) if g["ok"] else []:
            if stopped():
                return
            read(lambda db, e, i=item: None if stopped() else board_result(db, e, i, None, None, None))(db)

    tier = "little_giant"
    return [("chains", chains), ("generic", read(lambda db, e: generic_result(db, e, None))),
            ("warnings", read(warnings_list)), ("shortlist", read(lambda db, e: shortlist(db, e, tier))),
            ("review", read(lambda db, e: review_list(db, e, tier))),
            ("cohorts", read(lambda db, e: cohort_table(db, e, tier))), ("credit", read(credit_lean)),
            ("research", lambda db: research_results(db, None, None, None)),
            ("match", read(lambda db, e: match_result(db, e, None))),
            ("projects", read(lambda db, e: portfolio_result(db, e, None, None, None))), ("boards", boards)]


class PageWarmer:
    """The background thread; ``ready`` says whether the current data's pages are warm."""

    def __init__(self, db: Any, pause: float = 1.0) -> None:
        self.db = db
        self.pause = pause
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reforge-warm", daemon=True)
        self.ready_generation: int | None = None  # the write generation whose pages are warm
        self.seconds: float | None = None  # the last complete warm-up, wall seconds

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait)

    @property
    def ready(self) -> bool:
        """The pages of the data as they are now have been warmed."""
        return self.ready_generation == self.db.generation

    def _run(self) -> None:
        while not self._stop.is_set():
            gen = self.db.generation
            if gen != self.ready_generation and self.warm(gen):
                self.ready_generation = gen
            self._stop.wait(self.pause)

    def warm(self, gen: int) -> bool:
        """One round over :func:`steps` for write generation ``gen``; False when the data changed
        (or the server stops) before the end."""
        t0 = time.perf_counter()
        day = _dt.date.today()

        def stopped() -> bool:
            return self._stop.is_set() or self.db.generation != gen or _dt.date.today() != day

        for name, fn in steps(stopped):
            if stopped():
                return False
            try:
                fn(self.db)
            except Exception:  # noqa: BLE001 - a page shows its own error; the warm-up goes on
                log.exception("warm-up step %s failed", name)
        if self.db.store is not None:
            self.db.store.flush()  # ready means stored too: a restart reads the results back
        if stopped():
            return False
        self.seconds = time.perf_counter() - t0
        log.info("pages warm in %.1f s", self.seconds)
        return True
