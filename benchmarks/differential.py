"""Differential check for speed work (issue #16): the same inputs through this tree and an
older revision, every output compared (bit for bit, and the largest relative difference).

Cases, all seeded:

1. ``plan_rebalance`` on random accounts: holdings, cash, prices, targets, every rule
   (band absolute/relative, rebalance-all, modes, buffer, whole or fractional shares,
   minimum trade, commission ratio, slippage, skip-uneconomic, withdrawals, frozen and
   must-trade assets), fee schedules drawn from ``rp_tui/data/fees.toml`` (and free ones),
   FX rates and currency groups with IDEALPRO conversion fees.
2. ``erc_weights`` on random factor-model covariances (2-30 assets),
   risk budgets; ``allocate`` for every method, estimator, returns kind, outlier rule,
   bounds and volatility target.
3. Backtests through ``rp_tui.services.backtest.backtest``: skfolio's 20 US stocks, the
   bundled multi-asset and factor-ETF prices, under many policies, methods and calendars
   (equity, growth, trades, targets, holdings, cash; the benchmarks too).
4. Sweep points (``run_chunk``) on a grid of bands, modes, fee plans and methods.

Run: ``.venv/bin/python benchmarks/differential.py --old REV [--plans 8000]`` (the cases are in
``benchmarks/differential_cases.py``). The old side
is this working tree with the speed work's modules (:data:`OWNED`) as they were at ``REV``, so
others' uncommitted work elsewhere is on both sides. Exits 1 when an output differs by more
than 1e-12 (relative); prints how many are bit-identical.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-12
OWNED = tuple(
    f"rp_tui/{name}.py"
    for name in (
        *(
            f"domain/{m}"
            for m in [
                "allocation",
                "strategy",
                "covariance",
                "returns",
                "target_path",
                "replay",
                "rebalance",
                "sizing_checks",
                "share_fitting",
                "fee_model",
                "optimize",
                "active_set",
                "barrier",
                "hrp",
                "frictionless",
            ]
        ),
        "services/backtest",
        "services/backtest_runs",
        "services/sweep",
        "services/sweep_dask",
        "cli/sweep_command",
        "cli/backtest_command",
        "inputs/prices",
        "inputs/fee_data",
    )
)


def old_tree(rev: str, folder: Path) -> Path:
    """This tree's ``rp_tui`` with the :data:`OWNED` modules as at ``rev`` (and any module
    added since, under those packages, removed when ``rev`` lacks it)."""
    import shutil

    shutil.copytree(
        REPO / "rp_tui", folder / "rp_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "rp_tui"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    tracked_now = subprocess.run(
        ["git", "ls-files", "rp_tui"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    added = [p for p in tracked_now if p not in listed and p.startswith("rp_tui/domain/")]
    for path in (*OWNED, *added):
        if path in listed:
            text = subprocess.run(
                ["git", "show", f"{rev}:{path}"], cwd=REPO, capture_output=True, check=True
            ).stdout
            (folder / path).write_bytes(text)
        elif (folder / path).exists():
            (folder / path).unlink()
    return folder


def emit(path: str, plans: int) -> None:
    from differential_cases import allocations, backtests, random_plans, sweeps

    os.environ.setdefault("RP_TUI_DATA_DIR", tempfile.mkdtemp(prefix="rp-tui-diff-"))
    folder = Path(tempfile.mkdtemp(prefix="rp-tui-diff-data-"))
    out = {}
    out.update(random_plans(plans))
    out.update(allocations())
    out.update(backtests(folder))
    out.update(sweeps(folder))
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _leaves(x, prefix=""):
    if isinstance(x, dict):
        for k in sorted(x, key=str):
            yield from _leaves(x[k], f"{prefix}.{k}")
    elif isinstance(x, (tuple, list)):
        for i, v in enumerate(x):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, x


def _category(key: str) -> str:
    """Where an output comes from: ``plan``, ``erc``, ``allocate``, ``sweep``, or the
    backtest's data and policy (its strategy and benchmarks together)."""
    words = key.removeprefix("raw ").split()
    return words[0] if words[0] in ("plan", "erc", "allocate", "sweep") else " ".join(words[:2])


def _difference(x, y) -> float | None:
    """0 when bit-identical, the largest relative difference (``|a−b| / max(1, |a|, |b|)``)
    of numbers, ``inf`` when they cannot be compared; ``None`` for equal non-numbers."""
    if isinstance(x, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(x, bool):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return math.inf
        if x.dtype.kind not in "fc" and y.dtype.kind not in "fc":
            return 0.0 if np.array_equal(x, y) else math.inf
        xf, yf = x.astype(float), y.astype(float)
        if np.array_equal(xf, yf, equal_nan=True):
            return 0.0
        if not np.array_equal(np.isnan(xf), np.isnan(yf)):
            return math.inf
        scale = np.maximum(1.0, np.maximum(np.abs(xf), np.abs(yf)))
        with np.errstate(invalid="ignore"):
            return float(np.nanmax(np.abs(xf - yf) / scale))
    return None if x == y else math.inf


def compare(old: dict, new: dict) -> tuple[dict, list[str]]:
    """Per category: ``[outputs, bit-identical, largest relative difference]`` (keys
    starting ``raw `` apart: shares and cash, reported but judged as fractions of NAV), and
    the outputs that differ by more than :data:`TOLERANCE` (or in structure)."""
    summary: dict[str, list] = {}
    failures = []
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new:
            failures.append(f"{key}: only in {'new' if key in new else 'old'}")
            continue
        raw = key.startswith("raw ")
        a, b = dict(_leaves(old[key])), dict(_leaves(new[key]))
        if a.keys() != b.keys():
            failures.append(f"{key}: different structure")
            continue
        row = summary.setdefault(("raw " if raw else "") + _category(key), [0, 0, 0.0])
        for leaf in a:
            err = _difference(a[leaf], b[leaf])
            row[0] += 1
            row[1] += not err
            row[2] = max(row[2], err or 0.0)
            if err is not None and err > TOLERANCE and not raw:
                failures.append(f"{key}{leaf}: relative difference {err:.3g}")
    return summary, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", metavar="REV", help="the revision to compare with")
    parser.add_argument("--plans", type=int, default=8000)
    parser.add_argument("--emit", metavar="PICKLE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:
        emit(args.emit, args.plans)
        return
    folder = old_tree(args.old, Path(tempfile.mkdtemp(prefix="rp-tui-diff-")))
    outputs = {}
    for name, path in (("old", str(folder)), ("new", str(REPO))):
        env = {**os.environ, "PYTHONPATH": path}
        target = folder / f"{name}.pickle"
        argv = [sys.executable, __file__, "--emit", str(target), "--plans", str(args.plans)]
        subprocess.run(argv, check=True, env=env, cwd=folder)
        outputs[name] = pickle.loads(target.read_bytes())
    summary, failures = compare(outputs["old"], outputs["new"])
    judged = [v for k, v in summary.items() if not k.startswith("raw ")]
    total, same = sum(v[0] for v in judged), sum(v[1] for v in judged)
    worst = max((v[2] for v in judged), default=0.0)
    print(
        f"{len(outputs['new'])} cases, {total} outputs: {same} bit-identical, "
        f"{total - same - len(failures)} within {TOLERANCE:g} (largest relative difference "
        f"{worst:.3g}), {len(failures)} differ"
    )
    differing = {name: row for name, row in summary.items() if row[1] < row[0]}
    if differing:
        print("not bit-identical (outputs, bit-identical, largest relative difference):")
    for name, (n, identical, err) in differing.items():
        print(f"   {name:<44} {n:6d} {identical:6d}  {err:.3g}")
    for line in failures[:40]:
        print("  ", line)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
