"""Generated and mutated theme files for fuzzing the theme loader (issue #10).

Two Hypothesis strategies of file contents (bytes):

- :func:`written_themes`: a theme written field by field, each value drawn from valid
  colours, near-colours (``rgb(…)`` / ``hsl(…)`` with huge, negative or odd numbers, hex of
  the wrong length, colour names), any text, booleans, integers of up to 5,000 digits,
  floats such as ``1e400`` or a 400-digit mantissa, arrays and inline tables nested up to
  3,000 deep, dates; fields missing, repeated or unknown, tables and dotted keys;
- :func:`mutated_themes`: a shipped theme with a few byte-level mutations (spans deleted,
  repeated or replaced by junk, a value replaced by one of the above, truncation, BOM,
  CR line ends, invalid UTF-8).

:func:`outcome` feeds one file to :func:`rp_tui.ui.themes.parse_theme` and
:func:`rp_tui.ui.themes.load_themes`: a theme or a :class:`ThemeFileError` are the only
expected outcomes; anything else is a defect.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import strategies as st

from rp_tui.ui.themes import COLOUR_FIELDS, FIELDS, ThemeFileError, load_themes, parse_theme

THEMES = Path(__file__).resolve().parents[2] / "themes"
SHIPPED = [path.read_bytes() for path in sorted(THEMES.glob("*.toml"))]
STEM = "rp-fuzz"  # the file name the theme is written under

DIGITS = (1, 19, 20, 309, 400, 4300, 4301, 5000)
DEPTHS = (1, 2, 50, 200, 999, 1000, 3000)
VALUE_KINDS = ("colour",) * 3 + (
    "string",
    "bool",
    "number",
    "deep",
    "array",
    "table",
    "date",
    "raw",
)
NAMES = ("red", "ansi_bright_red", "transparent", "auto", "rebeccapurple", "nope", "")


@st.composite
def number_text(draw) -> str:
    """A TOML number's source: small, huge, hex, exponent, inf / nan, signed."""
    sign = draw(st.sampled_from(("", "-", "+")))
    kind = draw(st.sampled_from(("int", "long", "float", "exp", "special", "hex", "under")))
    if kind == "int":
        return sign + str(draw(st.integers(0, 2**70)))
    if kind == "long":
        return sign + "1" * draw(st.sampled_from(DIGITS))
    if kind == "float":
        return f"{sign}{'9' * draw(st.sampled_from(DIGITS))}.{draw(st.integers(0, 99))}"
    if kind == "exp":
        return f"{sign}1e{draw(st.sampled_from(('400', '-400', '308', '1' * 400)))}"
    if kind == "special":
        return sign + draw(st.sampled_from(("inf", "nan")))
    if kind == "hex":
        return "0x" + "f" * draw(st.sampled_from(DIGITS))
    return sign + "1_000_" + "0" * draw(st.integers(0, 5))


@st.composite
def colour_text(draw) -> str:
    """A string that is, or nearly is, a colour."""
    kind = draw(st.sampled_from(("hex", "badhex", "func", "name", "text")))
    if kind == "hex":
        return "#" + draw(st.text("0123456789abcdefABCDEF", min_size=6, max_size=6))
    if kind == "badhex":
        return "#" + draw(st.text("0123456789abcdefgXYZ", max_size=12))
    if kind == "func":
        func = draw(st.sampled_from(("rgb", "rgba", "hsl", "hsla", "lab", "RGB", "")))
        parts = draw(st.lists(number_text(), max_size=5))
        unit = draw(st.sampled_from(("", "%", "deg")))
        return f"{func}({', '.join(p + unit for p in parts)})"
    if kind == "name":
        return draw(st.sampled_from(NAMES)) + draw(st.sampled_from(("", " 50%", " 1e999%")))
    return draw(st.text(max_size=40))


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


@st.composite
def value_text(draw, depth: int = 0) -> str:
    """The TOML source of one value of any kind."""
    kind = draw(st.sampled_from(VALUE_KINDS))
    if kind == "colour":
        return toml_string(draw(colour_text()))
    if kind == "string":
        return toml_string(draw(st.text(max_size=60)))
    if kind == "bool":
        return draw(st.sampled_from(("true", "false", "True", "yes")))
    if kind == "number":
        return draw(number_text())
    if kind == "deep":
        n = draw(st.sampled_from(DEPTHS))
        if draw(st.booleans()):
            return "[" * n + "]" * n
        return "{a = " * n + "1" + "}" * n
    if kind == "array" and depth < 3:
        items = draw(st.lists(value_text(depth + 1), max_size=4))
        return f"[{', '.join(items)}]"
    if kind == "table" and depth < 3:
        items = draw(st.lists(value_text(depth + 1), max_size=3))
        return "{" + ", ".join(f"k{i} = {v}" for i, v in enumerate(items)) + "}"
    if kind == "date":
        return draw(st.sampled_from(("1979-05-27T07:32:00Z", "1979-05-27", "07:32:00")))
    return draw(st.text(max_size=20))  # not TOML at all, most of the time


@st.composite
def written_themes(draw) -> bytes:
    """A theme file written key by key, mostly well formed, with drawn values."""
    lines = []
    if draw(st.integers(0, 3)):
        name = STEM if draw(st.integers(0, 4)) else draw(st.text(max_size=12))
        lines.append(f"name = {toml_string(name)}")
    for key in FIELDS[1:]:
        if draw(st.integers(0, 9)) == 0:
            continue  # missing
        valid = "true" if key == "dark" else toml_string("#4EA1F3")
        value = draw(value_text()) if draw(st.integers(0, 2)) == 0 else valid
        lines.append(f"{key} = {value}")
        if draw(st.integers(0, 19)) == 0:
            lines.append(f"{key} = {draw(value_text())}")  # repeated
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(("primay", "variables", "ansi", "text_alpha", '"primary"')))
        lines.append(f"{key} = {draw(value_text())}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(f"[{draw(st.sampled_from(('ui', 'primary', 'a.b', '[x]')))}]")
        lines.append(f"{draw(st.sampled_from(COLOUR_FIELDS))} = {draw(value_text())}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(f"primary.sub = {draw(value_text())}")
    lines = draw(st.permutations(lines)) if draw(st.integers(0, 4)) == 0 else lines
    text = "\n".join(lines) + "\n"
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def mutated_themes(draw) -> bytes:
    """A shipped theme (renamed to :data:`STEM`) after one to four mutations."""
    data = bytearray(draw(st.sampled_from(SHIPPED)))
    for stem in (b"rp-dark", b"rp-light", b"rp-contrast"):
        data = bytearray(data.replace(b'"' + stem + b'"', b'"' + STEM.encode() + b'"'))
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        at = draw(st.integers(0, size))
        end = draw(st.integers(at, min(size, at + 40)))
        kind = draw(st.sampled_from(("delete", "repeat", "junk", "value", "cut", "bom", "cr")))
        if kind == "delete":
            del data[at:end]
        elif kind == "repeat":
            data[at:at] = data[at:end] * draw(st.integers(1, 3))
        elif kind == "junk":
            data[at:end] = draw(st.binary(max_size=12))
        elif kind == "value":  # replace what follows an "=" up to the line end
            equals = data.find(b"=", at)
            if equals >= 0:
                line_end = data.find(b"\n", equals)
                line_end = len(data) if line_end < 0 else line_end
                value = draw(value_text()).encode("utf-8", errors="surrogatepass")
                data[equals + 1 : line_end] = b" " + value
        elif kind == "cut":
            del data[at:]
        elif kind == "bom":
            data[0:0] = b"\xef\xbb\xbf"
        else:
            data = bytearray(data.replace(b"\n", draw(st.sampled_from((b"\r\n", b"\r")))))
    return bytes(data)


def theme_files() -> st.SearchStrategy[bytes]:
    """Either kind of theme file."""
    return st.one_of(written_themes(), mutated_themes())


def outcome(folder: Path, content: bytes) -> str:
    """``"accepted"`` or ``"refused"`` (a :class:`ThemeFileError`); anything else raised
    by the loader propagates: it is a defect."""
    path = folder / f"{STEM}.toml"
    path.write_bytes(content)
    try:
        parse_theme(path)
    except ThemeFileError:
        found = load_themes([folder])  # reported, skipped, never raised
        assert not found.themes and len(found.problems) == 1, found
        return "refused"
    found = load_themes([folder])
    assert list(found.themes) == [STEM] and not found.problems, found
    return "accepted"
