"""Fuzz the theme loader with generated and mutated theme files (issue #10).

Each case (``tests/ui/theme_fuzz.py``: a theme written from drawn values, or a shipped
theme mutated byte by byte) is written to a temporary folder and fed to ``parse_theme`` and
``load_themes``: a loaded theme or a reported ``ThemeFileError`` are expected; any other
exception is a defect.

Run: ``.venv/bin/python benchmarks/fuzz_themes.py [--cases N] [--seed S]`` (3000 cases by
default). Prints cases, accepted, refused and unexpected (with the first few unexpected
files' errors); exits 1 if any was unexpected.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo, for tests.ui


def main() -> int:
    from hypothesis import HealthCheck, given, seed, settings

    from tests.ui.theme_fuzz import outcome, theme_files

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3_000, help="theme files (3000)")
    parser.add_argument("--seed", type=int, default=1, help="Hypothesis seed (1)")
    args = parser.parse_args()

    tally: Counter[str] = Counter()
    unexpected: list[tuple[str, bytes]] = []

    @seed(args.seed)
    @settings(
        max_examples=args.cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(theme_files())
    def case(content: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            try:
                tally[outcome(Path(folder), content)] += 1
            except BaseException as exc:  # every other outcome is a defect
                if isinstance(exc, KeyboardInterrupt):
                    raise
                tally["unexpected"] += 1
                unexpected.append((f"{type(exc).__name__}: {str(exc)[:120]}", content[:200]))

    started = time.perf_counter()
    case()
    took = time.perf_counter() - started
    cases = sum(tally.values())
    print(f"{'cases':>7} {'accepted':>9} {'refused':>8} {'unexpected':>11} {'s':>6}")
    print(
        f"{cases:>7} {tally['accepted']:>9} {tally['refused']:>8} {tally['unexpected']:>11} "
        f"{took:>6.1f}"
    )
    kinds = Counter(error for error, _ in unexpected)
    for error, n in kinds.most_common(10):
        content = next(c for e, c in unexpected if e == error)
        print(f"  {n} x {error}\n    e.g. a file starting {content[:100]!r}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
