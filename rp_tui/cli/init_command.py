"""``rp-tui init [PATH]``: write a commented starter ``portfolio.toml`` from a shipped example,
and the same offer when ``rp-tui`` starts where there is no portfolio file."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from rp_tui.errors import UserError

EXAMPLES = {
    "multi-asset": "stocks and bonds: SPY, EFA, EEM, TLT, IEF, TIP, LQD (2008-2016 prices)",
    "factor-etfs": "US equity factor ETFs: MTUM, QUAL, SIZE, USMV, VLUE (2014-2022 prices)",
}
DEFAULT_EXAMPLE = "multi-asset"


def example_text(name: str) -> str:
    """The commented ``portfolio.toml`` of the shipped example ``name``."""
    return resources.files("rp_tui.examples").joinpath(f"{name}.toml").read_text("utf-8")


def example_path(name: str = DEFAULT_EXAMPLE) -> Path:
    """The shipped example's file, to run on without writing one (e.g. ``--reset-demo``)."""
    with resources.as_file(resources.files("rp_tui.examples").joinpath(f"{name}.toml")) as p:
        return Path(p)


def write_example(path: Path, name: str, overwrite: bool = False) -> Path:
    """Write example ``name`` to ``path`` (a directory gets ``portfolio.toml`` inside).

    Raises:
        UserError: the file exists (and ``overwrite`` is false), or cannot be written.
    """
    from rp_tui.state.storage import atomic_write_text

    target = path / "portfolio.toml" if path.is_dir() else path
    if target.exists() and not overwrite:
        raise UserError(f"{target} exists: keep it, or add --force to replace it")
    try:
        atomic_write_text(target, example_text(name))
    except OSError as exc:
        raise UserError(f"{target}: cannot write it ({exc.strerror or exc})") from exc
    return target


def run(args: argparse.Namespace) -> dict:
    """Write the chosen example and say what to do next."""
    target = write_example(Path(args.path), args.example, args.force)
    if args.format == "text":
        print(f"wrote {target}: the {args.example} example ({EXAMPLES[args.example]})")
        flag = "" if target == Path("portfolio.toml") else f" --config {target}"
        print(f"next: rp-tui{flag} (the app), or rp-tui plan{flag}")
    return {"path": str(target), "example": args.example}


def offer_example(config: str) -> str:
    """At start-up without ``config``: in a terminal, offer to write an example there and
    return its path; elsewhere refuse with the fix.

    Raises:
        UserError: no terminal to ask, or the user declined.
    """
    path = Path(config)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(f"{path}: not found: run rp-tui init to write one, or pass --config FILE")
    names = list(EXAMPLES)
    print(f"There is no {path} here. Write a commented example portfolio to start from?")
    for i, name in enumerate(names, 1):
        print(f"  {i}  {name:12} {EXAMPLES[name]}{'  (default)' if i == 1 else ''}")
    answer = input("Choose 1 or 2 (Enter: 1, q: quit): ").strip().lower()
    if answer in ("q", "quit", "n", "no"):
        raise UserError("no portfolio file: nothing to show (rp-tui init writes one)")
    choice = names[int(answer) - 1] if answer in ("1", "2") else names[0]
    target = write_example(path, choice)
    print(f"wrote {target}; starting the demo account on it")
    return str(target)
