"""Colour themes from ``*.toml`` files, validated into :class:`textual.theme.Theme` objects.

A theme file holds ``name`` (must match the file name without ``.toml``), ``dark`` (bool)
and the colours ``primary, secondary, accent, foreground, background, surface, panel,
success, warning, error`` as ``#RRGGBB`` (any colour Textual parses). A file that fails
validation (including TOML that Python cannot hold: integers over 4,300 digits, arrays
nested a thousand deep) is reported and skipped; it never stops the app.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from rp_tui.inputs.config_rules import show

DEFAULT_THEME = "rp-dark"
FALLBACK_THEME = "textual-dark"  # built into Textual; used only if rp-dark is unusable
COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
)
FIELDS = ("name", "dark", *COLOUR_FIELDS)
MAX_BYTES = 64 * 1024  # a theme is a few hundred bytes; anything this big is not one


def theme_dirs() -> list[Path]:
    """Where themes are looked for, later directories overriding earlier ones by name.

    The package's ``rp_tui/themes`` (an installed wheel) or else the repository's
    ``themes/`` (a source checkout), then the user's ``<config dir>/rp-tui/themes``.
    """
    from platformdirs import user_config_dir

    here = Path(__file__).resolve()
    packaged = here.parents[1] / "themes"
    bundled = packaged if packaged.is_dir() else here.parents[2] / "themes"
    return [bundled, Path(user_config_dir("rp-tui", appauthor=False)) / "themes"]


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


def parse_theme(path: Path) -> Theme:
    """Read and validate one theme file.

    Raises:
        ThemeFileError: unreadable file, invalid TOML, a missing / unknown / mistyped field,
            or a colour Textual cannot parse.
    """
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ThemeFileError(f"{path.name}: too large for a theme (over {MAX_BYTES} bytes)")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path.name}: cannot be read ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path.name}: not valid TOML ({exc})") from exc
    except (ValueError, OverflowError) as exc:  # e.g. an integer over 4,300 digits
        raise ThemeFileError(f"{path.name}: not valid TOML ({_shorter(exc)})") from None
    except RecursionError:
        raise ThemeFileError(f"{path.name}: not valid TOML (nested too deeply)") from None
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ThemeFileError(f"{path.name}: unknown field {', '.join(unknown)}")
    missing = [key for key in FIELDS if key not in data]
    if missing:
        raise ThemeFileError(f"{path.name}: missing {', '.join(missing)}")
    name = data["name"]
    if name != path.stem:
        raise ThemeFileError(f"{path.name}: name = {_shown(name)} must match the file name")
    if not isinstance(data["dark"], bool):
        raise ThemeFileError(f"{path.name}: dark must be true or false")
    colours = {}
    for key in COLOUR_FIELDS:
        value = data[key]
        try:
            if not isinstance(value, str):
                raise ColorParseError(key)
            Color.parse(value)
        except (ColorParseError, ValueError, OverflowError):  # rgb(1e999, …): no float
            raise ThemeFileError(
                f"{path.name}: {key} = {_shown(value)} is not a colour such as '#4EA1F3'"
            ) from None
        colours[key] = value
    theme = Theme(name=name, dark=data["dark"], **colours)
    try:  # the same derivation Textual runs when the theme is applied
        theme.to_color_system().generate()
    except Exception as exc:
        raise ThemeFileError(f"{path.name}: colours rejected by Textual ({exc})") from exc
    return theme


def _shown(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a value may be 4,000 digits long)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**limit:
        if value.bit_length() > 14_000:  # str() refuses past 4,300 digits (a hex literal)
            return show(value)  # <a number of about N digits>
        return f"{str(value)[:limit]}... ({len(str(abs(value)))} digits)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def _shorter(exc: Exception) -> str:
    """The first sentence of an exception's message."""
    return str(exc).split(":")[0].split(";")[0]


@dataclass
class ThemeSet:
    """Themes found, by name in load order, and one message per skipped file."""

    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def load_themes(dirs: Iterable[Path] | None = None) -> ThemeSet:
    """Every ``*.toml`` in ``dirs`` (default :func:`theme_dirs`); missing dirs are skipped."""
    found = ThemeSet()
    for folder in theme_dirs() if dirs is None else dirs:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path)
            except ThemeFileError as exc:
                found.problems.append(f"Theme skipped: {exc}")
                continue
            found.themes[theme.name] = theme
    return found


def choose_theme(
    wanted: str, available: Sequence[str], listed: Sequence[str]
) -> tuple[str, str | None]:
    """The theme to start with and, if ``wanted`` is not ``available``, a message naming
    the ``listed`` alternatives (the file themes, not all of Textual's built-ins)."""
    if wanted in available:
        return wanted, None
    fallback = DEFAULT_THEME if DEFAULT_THEME in available else FALLBACK_THEME
    known = ", ".join(listed) or "none"
    return fallback, f"Theme {wanted!r} not found (have {known}); using {fallback}"


def next_theme(names: Sequence[str], current: str) -> str:
    """The theme after ``current`` in ``names`` (the first when ``current`` is not there)."""
    names = list(names) or [current]
    position = names.index(current) + 1 if current in names else 0
    return names[position % len(names)]
