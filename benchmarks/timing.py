"""Timing helper shared by the benchmark scripts (run them as ``python benchmarks/X.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Best mean seconds per call over ``repeat`` rounds of ``number`` calls: the least
    disturbed measurement on a shared machine."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return min(rounds)
