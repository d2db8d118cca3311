"""Every chart panel draws from records alone, chosen by the names the records carry."""
import copy
from pathlib import Path

import matplotlib.image
import pytest

from harness.plots import PANELS, draw_run_chart
from harness.results import load_results

FIXTURE = Path(__file__).parents[1] / "fixtures" / "v1" / "conn_max_age" / "20261202T183820Z"


@pytest.fixture
def records():
    """The fixture run with a memory series, a fault and completions added, so that every panel has data."""
    loaded = load_results(FIXTURE)
    for position, record in enumerate(loaded):
        done = list(range(0, 401, 20))
        record["series"]["memory"] = {"t": [0.1 * n for n in done], "tasks_done": done,
                                      "child_rss_mb": [40 + position * n / 100 for n in done]}
        record["fault"] = {"method": "restart", "started_at": 100.0, "finished_at": 103.0}
        record["completions"] = [95 + 0.05 * n for n in range(300)]
        record["workload"] = {**record["workload"], "tasks": ["ledger.tasks.fail_leaky", "ledger.tasks.ok_leaky"],
                              "count": 200}
    return loaded


def chart(records, panels, path):
    for record in records:
        record["panels"] = list(panels)
    drawn = draw_run_chart(records, path)
    assert drawn == path and path.stat().st_size > 20_000
    return matplotlib.image.imread(path)


@pytest.mark.parametrize("name", sorted(PANELS))
def test_each_panel_draws(records, tmp_path, name):
    image = chart(records, [name], tmp_path / f"{name}.png")
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert (image[..., :3].min(axis=2) < 0.9).mean() > 0.02  # more than a blank canvas


def test_an_unknown_panel_is_skipped(records, tmp_path):
    alone = chart(records, ["no_such_panel"], tmp_path / "alone.png")
    beside = chart(copy.deepcopy(records), ["no_such_panel", "backends"], tmp_path / "beside.png")
    assert alone.shape[1] < beside.shape[1]  # the headline alone, then the headline beside backends


def test_overlays_share_the_headline_row_and_a_grid_goes_below(records, tmp_path):
    one = chart(records, ["backends"], tmp_path / "one.png")
    two = chart(records, ["backends", "child_rss"], tmp_path / "two.png")
    stacked = chart(records, ["backends", "connection_states"], tmp_path / "stacked.png")
    assert two.shape[0] == one.shape[0] and two.shape[1] > one.shape[1]
    assert stacked.shape[0] > one.shape[0]


def test_records_without_a_panel_s_data_draw_without_it(records, tmp_path):
    for record in records:
        record["series"].pop("memory")
        record["fault"] = None
    chart(records, ["child_rss", "completions"], tmp_path / "empty.png")
