"""Theme files: loading, validation, the configured theme at start, cycling with ``t``."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color

from rp_tui.services.session import open_session
from rp_tui.ui.plots import palette
from rp_tui.ui.themes import (
    ThemeFileError,
    load_themes,
    parse_theme,
    theme_dirs,
)

from .conftest import (
    SIZE,
    THEMES,
    make_app,
    portfolio_copy,
    press,
    screen_text,
    settle,
    toast,
    until,
)

SHIPPED = ["rp-contrast", "rp-dark", "rp-light"]
GOOD = (THEMES / "rp-dark.toml").read_text(encoding="utf-8")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_themes_load_with_every_field():
    found = load_themes([THEMES])
    assert found.problems == []
    assert sorted(found.themes) == SHIPPED
    light = found.themes["rp-light"]
    assert light.dark is False and light.primary == "#0B5CAD" and light.panel == "#E4E4DC"


def test_default_dirs_find_the_bundled_themes():
    dirs = theme_dirs()
    assert dirs[0] == THEMES or dirs[0].parts[-2:] == ("rp_tui", "themes")
    assert dirs[-1].parts[-2:] == ("rp-tui", "themes")
    assert set(SHIPPED) <= set(load_themes(dirs[:1]).themes)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad-toml", "name = ", "not valid TOML"),
        ("bad-missing", 'name = "bad-missing"\ndark = true\nprimary = "#000000"\n', "missing"),
        ("bad-colour", GOOD.replace("rp-dark", "bad-colour").replace("#4EA1F3", "blue-ish"),
         "primary = 'blue-ish' is not a colour"),
        ("bad-dark", GOOD.replace("rp-dark", "bad-dark").replace("dark = true", 'dark = "yes"'),
         "dark must be true or false"),
        ("bad-name", GOOD, "must match the file name"),
        ("bad-extra", GOOD.replace("rp-dark", "bad-extra") + 'primay = "#FFFFFF"\n',
         "unknown field primay"),
    ],
)  # fmt: skip
def test_broken_theme_files_are_rejected_with_a_reason(tmp_path, name, text, problem):
    path = write(tmp_path, name, text)
    with pytest.raises(ThemeFileError, match=problem) as info:
        parse_theme(path)
    assert f"{name}.toml" in str(info.value)


def test_load_skips_broken_files_and_later_dirs_override(tmp_path):
    user = tmp_path / "user"
    write(user, "broken", "dark = true\n")
    write(user, "rp-dark", GOOD.replace("#4EA1F3", "#FF0000"))  # the user's own rp-dark
    found = load_themes([THEMES, user, tmp_path / "missing"])
    assert sorted(found.themes) == SHIPPED
    assert found.themes["rp-dark"].primary == "#FF0000"
    assert len(found.problems) == 1 and "broken.toml" in found.problems[0]


async def test_theme_comes_from_the_config(tmp_path, data_dir):
    config = portfolio_copy(tmp_path, 'theme = "rp-dark"', 'theme = "rp-light"')
    app = make_app(open_session(config))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "rp-light"
        assert app.current_theme.primary == "#0B5CAD"
        await until(pilot, lambda: "demo, rp-light" in screen_text(app).splitlines()[0])


async def test_broken_theme_file_is_skipped_with_a_notification(tmp_path, session):
    extra = tmp_path / "themes"
    write(extra, "broken", GOOD.replace("rp-dark", "broken").replace("#14171C", "#14171"))
    write(extra, "rp-mine", GOOD.replace("rp-dark", "rp-mine"))
    app = make_app(session, theme_dirs=[THEMES, extra])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "rp-dark"
        assert app.theme_names == [*SHIPPED, "rp-mine"]
        shown = await toast(pilot, "broken.toml")
        assert any("broken.toml" in t and "background" in t for t in shown), shown
        assert app.is_running


async def test_unknown_theme_falls_back_to_rp_dark(tmp_path, data_dir):
    config = portfolio_copy(tmp_path, 'theme = "rp-dark"', 'theme = "no-such-theme"')
    app = make_app(open_session(config))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.theme == "rp-dark"
        await toast(pilot, "'no-such-theme' not found")


async def test_t_cycles_the_loaded_themes(session):
    app = make_app(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = [app.theme]
        for _ in SHIPPED:
            before = app.theme
            await press(pilot, "t", lambda before=before: app.theme != before)
            seen.append(app.theme)
        assert seen == ["rp-dark", "rp-light", "rp-contrast", "rp-dark"]
        await pilot.press("t")
        await until(pilot, lambda: "demo, rp-light" in screen_text(app).splitlines()[0])


def test_plot_colours_follow_the_theme():
    themes = load_themes([THEMES]).themes
    for name in SHIPPED:
        theme = themes[name]
        colours = palette(theme)
        assert colours[0] == Color.parse(theme.primary).rgb
        assert colours[1] == Color.parse(theme.accent).rgb
        assert len(colours) == len(set(colours))
