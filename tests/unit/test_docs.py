"""The README stays short and starts with the two commands; every relative link in the docs resolves."""
import re
from pathlib import Path

from harness.pages import PAGES as SOURCE_PAGES

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "compose" / "README.md",
         ROOT / "results" / "README.md"]


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 150
    commands = [line.split("#")[0].strip() for line in lines[:6] if line.startswith("make ")]
    assert commands == ["make scenario NAME=conn_max_age", "make test"]


def test_every_scenario_has_a_page_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for module in sorted((ROOT / "scenarios").glob("[a-z]*.py")):
        assert f"(docs/scenarios/{module.stem}.md)" in readme, module.stem
        assert (ROOT / "docs" / "scenarios" / f"{module.stem}.md").exists()


def test_claim_sources_are_named_in_the_project_s_words():
    """Every published page a claim cites is introduced in the README by the name claims use; no bare numbers."""
    readme = (ROOT / "README.md").read_text()
    assert all(f"**{page.name}**" in readme for page in SOURCE_PAGES)
    current = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "scenarios").glob("*.py"))]
    assert [path.name for path in current if re.search(r"\bseeds?\b", path.read_text(), re.IGNORECASE)] == []


def test_every_relative_link_resolves():
    broken = [(page.relative_to(ROOT), target) for page in PAGES
              for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text())
              if not target.startswith(("http", "#", "mailto:"))
              and not (page.parent / target.split("#")[0]).exists()]
    assert broken == []


def test_the_readme_says_how_to_check_your_own_project():
    section = (ROOT / "README.md").read_text().split("## Check your own project", 1)[1].split("\n## ", 1)[0]
    assert 'make doctor ARGS="--project ' in section and 'ARGS="--project ' in section.split("make scenario", 1)[1]
    assert "(docs/own-project.md)" in section
