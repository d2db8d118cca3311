"""The static site from stored runs alone: every claim on the index, result files and logs copied and linked,
the headline history of the last runs, timeline charts, the build date; every relative link resolves."""
import re
import shutil
from html import escape
from pathlib import Path

import matplotlib.pyplot
import numpy
import pytest

from harness.pages import PAGES
from harness.site import build_site

FIXTURES = Path(__file__).parents[1] / "fixtures" / "v1"


@pytest.fixture
def site(tmp_path, monkeypatch):
    results = tmp_path / "results"
    for scenario in FIXTURES.iterdir():
        shutil.copytree(scenario, results / scenario.name)
    newest = next((results / "conn_max_age").iterdir())
    shutil.copytree(newest, results / "conn_max_age" / "20261201T000000Z")  # an older run for the history
    (newest / "logs" / "00-4.4.0rc4").mkdir(parents=True)
    (newest / "logs" / "00-4.4.0rc4" / "c00-4.4.0rc4.log").write_text("[INFO/MainProcess] celery@host ready.\n")
    (results / "conn_max_age" / "timeline").mkdir()
    matplotlib.pyplot.imsave(results / "conn_max_age" / "timeline" / "4.4.0-to-5.7.0-sessions_per_task.png",
                             numpy.zeros((4, 4, 3)))
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(results))
    return build_site(tmp_path / "site").parent


def links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"#:]+)"', page.read_text())


def test_every_relative_link_and_image_of_the_site_resolves(site):
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 1 + len(list(FIXTURES.iterdir()))
    missing = [(page.name, link) for page in pages for link in links(page) if not (site / link).is_file()]
    assert missing == []


def test_the_index_lists_every_claim_with_its_result_file_and_the_build_date(site):
    index = (site / "index.html").read_text()
    assert re.search(r"Built \d{4}-\d\d-\d\d \d\d:\d\d UTC", index)
    assert "seed 000: &#x27;first fixed release: 4.4.0rc5&#x27;" in index  # as the fixture's records cite it
    assert 'id="sources"' in index and all(escape(page.name) in index for page in PAGES)
    result_links = [link for link in links(site / "index.html") if link.endswith(".json")]
    assert len(result_links) >= 5 and all(link.startswith(("conn_max_age/", "exception_leak/", "broker_restart/",
                                                            "conn_leak/", "fork_inherited_conn/"))
                                          for link in result_links)


def test_a_scenario_page_links_its_logs_and_shows_history_and_timelines(site):
    page = (site / "conn_max_age.html").read_text()
    assert "<h2>History</h2>" in page and "20261201T000000Z" in page
    assert 'src="conn_max_age/timeline/4.4.0-to-5.7.0-sessions_per_task.png"' in page
    assert [link for link in links(site / "conn_max_age.html") if link.endswith(".log")]
