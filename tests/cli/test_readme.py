"""The README a newcomer reads: the two commands as CI runs them, short, one performance line per benchmark,
and every link it and docs/ give leads to a file of this repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
INSTALL_AND_RUN = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && painrewire demo"
TEST_COMMAND = "bash scripts/install-system-packages.sh && pip install -e '.[dev]' && python -m pytest -n 2"


def _links(path: Path) -> list[str]:
    return re.findall(r"\]\(([^)#\s]+)", path.read_text(encoding="utf-8"))


def test_the_readme_gives_the_demo_and_test_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    assert INSTALL_AND_RUN in text and TEST_COMMAND in text
    assert "python -m pytest -n 2 -q" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "`painrewire-demo`" in text and "admin@demo.painrewire.org" in text  # the demo logins


def test_the_readme_reads_in_five_minutes() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.split()) < 1_500  # about five minutes at a reading pace of 250-300 words a minute
    assert max(len(line) for line in text.splitlines() if not line.startswith("|")) <= 120


def test_the_performance_table_has_one_line_per_benchmark() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Performance") :].split("\n## ")[0]
    named = re.findall(r"^\| `(bench/[a-z_]+\.py)`", table, flags=re.MULTILINE)
    helpers = {"bench/throwaway_db.py", "bench/loadtest.py"}  # shared by the benchmarks, not one themselves
    scripts = sorted(f"bench/{p.name}" for p in (ROOT / "bench").glob("*.py"))
    assert sorted(named) == [s for s in scripts if s not in helpers]


def test_every_link_leads_to_a_file_here_and_none_outside() -> None:
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for link in _links(page):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            assert not link.startswith("../"), f"{page.name} links outside the repository: {link}"
            assert (page.parent / link).exists(), f"{page.name} links to a missing file: {link}"


def test_the_architecture_page_draws_the_layers() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "```mermaid" in text
    for layer in ("Plumbing", "Accounts", "Patients", "Clinical domains", "Composition"):
        assert f"<b>{layer}</b>" in text
    for part in ("One transaction per request", "## Errors", "## Access and audit", "outbox", "Pure cores"):
        assert part in text
