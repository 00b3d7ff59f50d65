"""Mutation score of the money path: mutmut over each domain module against its own tests.

Run: ``.venv/bin/pip install mutmut==3.8.1 && .venv/bin/python benchmarks/mutation_score.py
[MODULE …] [--show]``. Each module is mutated in a scratch copy of the repository (the
working tree is never touched), one mutant at a time (flipped comparisons, swapped
operators, shifted constants, negated conditions, removed statements …), and the tests that
exercise that module are run against every mutant. Prints killed / total per module and,
with ``--show``, the diff of every surviving mutant (each must be argued equivalent).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# module under test -> the tests that pin it
TARGETS = {
    "rp_tui/domain/rebalance.py": [
        "tests/domain/test_rebalance.py",
        "tests/domain/test_sizing_checks.py",
        "tests/domain/test_money_path.py",
        "tests/domain/test_rebalance_pins.py",
    ],
    "rp_tui/domain/share_fitting.py": [
        "tests/domain/test_rebalance.py",
        "tests/domain/test_sizing_checks.py",
        "tests/domain/test_money_path.py",
        "tests/domain/test_fitting_pins.py",
        "tests/domain/test_sizing_pins.py",
        "tests/domain/test_floor_pins.py",
        "tests/domain/test_rebalance_pins.py",
    ],
    "rp_tui/domain/sizing_checks.py": [
        "tests/domain/test_sizing_checks.py",
        "tests/domain/test_money_path.py",
        "tests/domain/test_sizing_pins.py",
        "tests/domain/test_floor_pins.py",
    ],
    "rp_tui/domain/fee_model.py": [
        "tests/domain/test_fee_model.py",
        "tests/domain/test_fee_examples.py",
        "tests/domain/test_fee_conversion.py",
        "tests/domain/test_fee_pins.py",
    ],
    "rp_tui/domain/safety.py": ["tests/domain/test_safety.py", "tests/domain/test_safety_pins.py"],
    "rp_tui/domain/allocation.py": ["tests/domain/test_allocation.py"],
}
MUTMUT = Path(sys.executable).with_name("mutmut")


def run_one(module: str, tests: list[str], show: bool) -> tuple[int, int, list[str]]:
    """Mutate ``module`` in a scratch copy, run ``tests``; (killed, total, survivor diffs)."""
    with tempfile.TemporaryDirectory(prefix="rp-tui-mutmut-") as scratch:
        root = Path(scratch)
        shutil.copytree(
            REPO / "rp_tui", root / "rp_tui", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copytree(
            REPO / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
        others = [
            str(p.relative_to(root))
            for p in (root / "rp_tui").rglob("*.py")
            if str(p.relative_to(root)) != module
        ]
        tests = [t for t in tests if (REPO / t).exists()]
        config = (REPO / "pyproject.toml").read_text()
        config += (
            "\n[tool.mutmut]\n"
            'source_paths = ["rp_tui/"]\n'
            f"do_not_mutate = {others!r}\n"
            f"pytest_add_cli_args_test_selection = {tests!r}\n"
        ).replace("'", '"')
        (root / "pyproject.toml").write_text(config)
        subprocess.run([str(MUTMUT), "run"], cwd=root, capture_output=True, text=True, check=False)
        results = subprocess.run(
            [str(MUTMUT), "results", "--all", "true"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        statuses = re.findall(r"^\s+(\S+__mutmut_\d+): (\w[\w ]*)$", results, re.M)
        killed = sum(1 for _, status in statuses if status == "killed")
        survivors = [name for name, status in statuses if status != "killed"]
        diffs = []
        if show:
            for name in survivors:
                diffs.append(
                    subprocess.run(
                        [str(MUTMUT), "show", name], cwd=root, capture_output=True, text=True
                    ).stdout
                )
        else:
            diffs = survivors
        return killed, len(statuses), diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="default: every module of TARGETS")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    args = parser.parse_args()
    if not MUTMUT.exists():
        raise SystemExit("mutmut is not installed: .venv/bin/pip install mutmut==3.8.1")
    print(f"{'module':<34} {'killed':>7} {'total':>6} {'score':>7}")
    for module in args.modules or TARGETS:
        killed, total, survivors = run_one(module, TARGETS[module], args.show)
        score = killed / total if total else float("nan")
        print(f"{module:<34} {killed:>7} {total:>6} {score:>7.1%}", flush=True)
        for survivor in survivors:
            print("    " + survivor.replace("\n", "\n    "))


if __name__ == "__main__":
    main()
