"""Atomic writes: stale temporary files of killed saves are cleared; several files are
written all or nothing; unwritable outputs are refused before any work."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rp_tui.errors import OutputError
from rp_tui.state.storage import (
    atomic_write_files,
    atomic_write_text,
    check_writable,
    json_text,
    remove_stale_temp_files,
)


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_write_removes_the_stale_temp_files_of_that_file_only(tmp_path):
    target = tmp_path / "portfolio.toml"
    stale = [tmp_path / f".portfolio.toml.{n:08d}.tmp" for n in range(3)]
    fresh = tmp_path / ".portfolio.toml.abcdefgh.tmp"  # a save in progress elsewhere
    other = tmp_path / ".other.toml.abcdefgh.tmp"  # another file's leftover
    lookalike = tmp_path / ".portfolio.toml.x.bak.tmp"  # not a name mkstemp makes
    for path in [*stale, fresh, other, lookalike]:
        path.write_text("half")
    for path in [*stale, other, lookalike]:
        _age(path, 3600)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert not any(p.exists() for p in stale)
    assert fresh.exists() and other.exists() and lookalike.exists()
    assert remove_stale_temp_files(target, older_than=0.0) == 1  # now the fresh one too


def test_killed_saves_leave_nothing_behind_after_the_next_write(tmp_path):
    """A real process killed mid-save (SIGKILL while it writes) leaves its temp file; the
    next save of the same file clears it once it is stale."""
    target = tmp_path / "portfolio.toml"
    code = (
        "import os, sys, tempfile\n"
        "from pathlib import Path\n"
        "p = Path(sys.argv[1])\n"
        "fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f'.{p.name}.', suffix='.tmp')\n"
        "os.write(fd, b'half')\n"
        "print(tmp, flush=True)\n"
        "import time; time.sleep(60)\n"
    )
    left = []
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True
        )
        left.append(Path(proc.stdout.readline().strip()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert all(p.exists() for p in left)
    for path in left:
        _age(path, 120)
    atomic_write_text(target, "saved")
    assert not any(p.exists() for p in left) and target.read_text() == "saved"
    assert sorted(os.listdir(tmp_path)) == ["portfolio.toml"]


def test_several_files_are_all_written_or_none_replaced(tmp_path):
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "c.csv").mkdir()  # cannot be replaced by a file
    with pytest.raises(IsADirectoryError):
        atomic_write_files({tmp_path / "a.csv": "new a", tmp_path / "c.csv": "new c"})
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "c.csv"], "no temp file is left"
    atomic_write_files({tmp_path / "a.csv": "new a", tmp_path / "b.csv": "new b"})
    assert (tmp_path / "a.csv").read_text() == "new a" and (tmp_path / "b.csv").exists()


def test_check_writable_refuses_before_any_work_and_creates_nothing(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match=r"--out .*file: is a file, not a directory"):
        check_writable(a_file, directory=True)
    with pytest.raises(OutputError, match=r"is a directory; name a file, such as"):
        check_writable(tmp_path, directory=False)
    with pytest.raises(OutputError, match=r"the folder .*missing does not exist"):
        check_writable(tmp_path / "missing" / "sweep.csv", directory=False)
    with pytest.raises(OutputError, match=r"the folder .*file is a file"):
        check_writable(a_file / "sweep.csv", directory=False)
    with pytest.raises(OutputError, match=r"file is a file, not a directory"):
        check_writable(a_file / "deeper" / "out", directory=True)
    check_writable(tmp_path / "new" / "out", directory=True)
    check_writable(tmp_path / "sweep.csv", directory=False)
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_json_text_writes_null_for_numbers_json_cannot_carry():
    doc = {"sharpe": float("nan"), "list": [float("inf"), 1.5], "n": 2}
    assert json_text(doc).replace(" ", "").replace("\n", "") == (
        '{"sharpe":null,"list":[null,1.5],"n":2}'
    )
