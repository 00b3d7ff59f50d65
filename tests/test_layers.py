"""The layer rules of the brief, enforced by import-linter contracts in pyproject.toml."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint_imports(config: Path, package_root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=package_root,
        env=env,
    )


def test_import_contracts_hold():
    result = lint_imports(REPO / "pyproject.toml", REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 7 kept, 0 broken" in result.stdout


def test_contract_catches_a_domain_module_importing_textual(tmp_path):
    """The same contracts, on a copy of the package with one forbidden import added."""
    shutil.copytree(
        REPO / "rp_tui", tmp_path / "rp_tui", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "rp_tui" / "domain" / "leak.py").write_text("import textual\n")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tmp_path / "pyproject.toml", tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "rp_tui.domain.leak -> textual" in result.stdout
