"""The theme loader never crashes: generated and mutated theme files are either loaded or
reported as a :class:`ThemeFileError` (``benchmarks/fuzz_themes.py`` runs 3,000+)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from rp_tui.ui.themes import ThemeFileError, parse_theme
from tests.ui.conftest import SIZE, make_app, settle, toast
from tests.ui.theme_fuzz import STEM, outcome, theme_files

THEME = Path(__file__).resolve().parents[2] / "themes" / "rp-dark.toml"
GOOD = THEME.read_text(encoding="utf-8").replace('"rp-dark"', f'"{STEM}"')


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("primary", "1" * 5000, "not valid TOML"),  # int() refuses over 4,300 digits
        # Nested 1,000 deep: tomllib runs out of stack on some Pythons (RecursionError,
        # reported as invalid TOML) and parses it on others (then it is not a colour).
        ("primary", "[" * 1000 + "]" * 1000, "NESTED"),
        ("primary", "{a = " * 1000 + "1" + "}" * 1000, "NESTED"),
        ("primary", "1" * 400, "primary = 111111"),
        ("primary", "0x" + "f" * 5000, "primary = <a number of about 6021 digits>"),
        ("primary", "9" * 400 + ".5", "primary = inf"),
        ("primary", '"rgb(1e999, 0, 0)"', "primary = 'rgb(1e999, 0, 0)'"),
        ("dark", "1" * 4300, "dark must be true or false"),
    ],
)
def test_pathological_values_are_reported_not_raised(tmp_path, field, value, problem):
    line = next(line for line in GOOD.splitlines() if line.startswith(f"{field} ="))
    path = tmp_path / f"{STEM}.toml"
    path.write_text(GOOD.replace(line, f"{field} = {value}"), encoding="utf-8")
    pattern = problem.replace("(", r"\(").replace(")", r"\)")
    if problem == "NESTED":
        pattern = "not valid TOML|primary = .* is not a colour"
    with pytest.raises(ThemeFileError, match=pattern):
        parse_theme(path)


def test_a_huge_file_is_refused_unread(tmp_path):
    path = tmp_path / f"{STEM}.toml"
    path.write_text(GOOD + "#" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ThemeFileError, match="too large"):
        parse_theme(path)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(theme_files())
def test_generated_and_mutated_theme_files_never_crash_the_loader(content):
    with tempfile.TemporaryDirectory() as folder:
        assert outcome(Path(folder), content) in ("accepted", "refused")


async def test_the_app_starts_past_pathological_theme_files(tmp_path, session):
    broken = {
        "huge-int": "1" * 5000,
        "deep-array": "[" * 1000 + "]" * 1000,
        "long-float": "9" * 400 + ".5",
    }
    for name, value in broken.items():
        text = GOOD.replace(f'"{STEM}"', f'"{name}"').replace('"#4EA1F3"', value)
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    app = make_app(session, theme_dirs=[THEME.parent, tmp_path])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for name in broken:
            await toast(pilot, f"{name}.toml")
        assert app.theme == "rp-dark" and not set(broken) & set(app.theme_names)
