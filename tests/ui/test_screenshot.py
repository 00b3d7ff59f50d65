"""The palette's Screenshot saves in the data directory (a server has no ~/Downloads)."""

from __future__ import annotations

from rp_tui.ui.palette import SCREENSHOTS
from tests.ui.conftest import SIZE, make_app, settle, toast, until
from tests.ui.test_help_palette import palette


async def test_screenshot_goes_to_the_data_directory_and_says_where(
    session, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no Downloads folder there
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    app = make_app(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await palette(pilot, "Screenshot")
        folder = data_dir / SCREENSHOTS
        await until(pilot, lambda: any(folder.glob("*.svg")), what="the SVG file")
        saved = next(folder.glob("*.svg"))
        texts = await toast(pilot, "Saved to")
        assert any(str(saved) in " ".join(t.split()).replace(" ", "") or saved.name in t
                   for t in texts), texts  # fmt: skip
        svg = saved.read_text(encoding="utf-8")
        assert "NAV" in svg and "Search for commands" not in svg  # the dashboard, not the palette
