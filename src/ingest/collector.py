"""Python's cyclic garbage collector, tuned for a long job: :func:`collecting_less`.

A run (and each parse worker) allocates many short-lived objects (requests, rows, sections)
among a large heap of long-lived ones (modules, the ORM's metadata). With the default
thresholds the collector took 6.5% of the pipeline's CPU in ``bench/crawl.py``, mostly
rescanning that old heap.
"""

from __future__ import annotations

__all__ = ["GC_THRESHOLD", "collecting_less"]

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

GC_THRESHOLD = 50_000
"""Allocations between two young collections inside :func:`collecting_less` (default 700)."""


@contextmanager
def collecting_less() -> Iterator[None]:
    """Collect cyclic garbage less often for the block; the process is left as it was found.

    The objects alive when the block starts are frozen (never scanned again) and young
    collections wait for ``GC_THRESHOLD`` allocations; both are undone at the end.
    """
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen:
            gc.unfreeze()
