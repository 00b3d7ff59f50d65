"""Fuzz the input readers with seeded mutants of the shipped files (issue #10).

- config: 10,000 mutants of ``portfolio.toml`` (lines deleted / duplicated / swapped,
  values replaced by huge integers, inf, nan, deep arrays, wrong types or unicode, unknown
  keys and tables, truncation), each parsed and its fee schedules looked up: any exception
  other than ``ConfigError`` is a defect;
- prices: 4,000 price files from the bundled history (truncation, bad dates, UTC offsets,
  NaN / negative / junk prices, duplicate and case-duplicate columns, ragged rows, no rows,
  binary junk; CSV or gzip, sometimes damaged), each loaded, cut, selected and weighted:
  any exception other than ``DataError`` is a defect.

Run: ``.venv/bin/python benchmarks/fuzz_inputs.py [--config N] [--prices N] [--seed S]``.
Prints cases run, refused and unexpected per kind (with the seed of each unexpected case,
for ``tests/inputs/mutators.py``); exits 1 if any was unexpected.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo, for tests.inputs


def main() -> int:
    from rp_tui.errors import ConfigError, DataError
    from tests.inputs.mutators import run_cases

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=int, default=10_000, help="config mutants (10000)")
    parser.add_argument("--prices", type=int, default=4_000, help="price-file mutants (4000)")
    parser.add_argument("--seed", type=int, default=1, help="first seed (1)")
    args = parser.parse_args()

    failed = 0
    print(f"{'kind':<8} {'cases':>7} {'refused':>8} {'accepted':>9} {'unexpected':>11} {'s':>7}")
    with tempfile.TemporaryDirectory() as work:
        for kind, count, expected in (
            ("config", args.config, ConfigError),
            ("prices", args.prices, DataError),
        ):
            started = time.perf_counter()
            tally = run_cases(kind, count, args.seed, Path(work), expected, None)
            took = time.perf_counter() - started
            accepted = tally.cases - tally.refused - len(tally.unexpected)
            print(
                f"{kind:<8} {tally.cases:>7} {tally.refused:>8} {accepted:>9} "
                f"{len(tally.unexpected):>11} {took:>7.1f}"
            )
            kinds = Counter((name, message[:100]) for name, message, _, _ in tally.unexpected)
            for (name, message), n in kinds.most_common(10):
                cases = [c for t, m, c, _ in tally.unexpected if (t, m[:100]) == (name, message)]
                print(f"  {n} x {name}: {message} (cases {cases[:5]}, seed {args.seed})")
            failed += len(tally.unexpected)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
