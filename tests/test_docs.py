import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from spinexai.io.tables import schemas_markdown


def test_table_docs_are_generated_from_the_schemas():
    assert (REPO / "docs" / "tables.md").read_text() == schemas_markdown()


def test_code_is_lint_clean():
    """ruff with the rules in pyproject.toml, over the package, scripts, tests and benchmarks."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    run = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:]
