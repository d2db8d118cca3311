"""`harness report --html` from a real short run, opened in headless Chromium: no console errors, a visible chart."""
import io
import os
import subprocess
import sys

import matplotlib.image
import pytest

from tests.integration.chromium import Chromium

pytestmark = pytest.mark.integration
SCENARIO = "conn_max_age"


def harness(results, *args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "REPRO_RESULTS_DIR": str(results)})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    for release in ("5.5.3", "5.7.0"):  # two runs: the page has a history
        ran = harness(results, "run", SCENARIO, "--celery", release, "--tasks", "20")
        assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    built = harness(results, "report", "--html")
    assert built.returncode == 0, built.stdout + built.stderr
    return results / "site"


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(width=1280)
    yield chromium
    chromium.close()


def test_the_error_check_sees_errors(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><img src="missing.png"><script>console.error("boom"); nothing();</script>')
    errors = browser.open(bad.as_uri())
    assert len(errors) == 3 and any("ERR_FILE_NOT_FOUND" in error for error in errors)


def test_site_has_an_index_a_page_and_a_summary_from_the_json_alone(site):
    assert {path.name for path in site.iterdir()} == {"index.html", f"{SCENARIO}.html", f"{SCENARIO}.png",
                                                     "summary.md", SCENARIO}  # the run's files under SCENARIO/
    page = (site / f"{SCENARIO}.html").read_text()
    assert "celery 5.7.0" in page and '<td class="broken">broken</td>' in page and "<h2>Findings</h2>" in page
    assert "<h2>History</h2>" in page and ".log" in page
    assert "sessions_per_task = " in page and "Provenance" in page
    assert f"## {SCENARIO}:" in (site / "summary.md").read_text()


WIDER_THAN_THE_VIEWPORT = ("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
                           "innerWidth + 1).map(e => e.tagName)")
LINKS = "[...document.querySelectorAll('a[href], img[src]')].map(e => e.getAttribute('href') || e.getAttribute('src'))"


@pytest.mark.parametrize("page", ["index.html", f"{SCENARIO}.html"])
def test_a_page_opens_without_errors_fits_1280_px_and_every_link_resolves(browser, site, page):
    assert browser.open((site / page).as_uri()) == []
    assert browser.evaluate("innerWidth") == 1280 and browser.evaluate(WIDER_THAN_THE_VIEWPORT) == []
    targets = [link for link in browser.evaluate(LINKS) if "://" not in link and not link.startswith("#")]
    assert f"{SCENARIO}.html" in targets or page != "index.html"
    assert len(targets) >= 2 and [link for link in targets if not (site / link).is_file()] == []


def test_scenario_page_opens_without_console_errors_and_shows_the_chart(browser, site, tmp_path):
    assert browser.open((site / f"{SCENARIO}.html").as_uri()) == []
    box = browser.evaluate("(() => { const img = document.querySelector('img.chart');"
                           " const r = img.getBoundingClientRect();"
                           " return {x: r.x, y: r.y + scrollY, width: r.width, height: r.height,"
                           " natural: img.naturalWidth}; })()")
    assert box["natural"] > 0 and box["width"] > 300 and box["height"] > 150
    shot = browser.screenshot({key: box[key] for key in ("x", "y", "width", "height")})
    (tmp_path / "chart.png").write_bytes(shot)
    pixels = matplotlib.image.imread(io.BytesIO(shot), format="png")[..., :3]
    drawn = (pixels.min(axis=2) < 0.9).mean()
    assert drawn > 0.03, f"only {drawn:.1%} of the chart region is drawn"
