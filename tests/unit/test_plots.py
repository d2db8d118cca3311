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


def test_the_headline_bars_come_first_also_above_a_grid(records, tmp_path):
    headline = chart(records, [], tmp_path / "headline.png")
    grid = chart(copy.deepcopy(records), ["connection_states"], tmp_path / "grid.png")
    assert grid.shape[0] > headline.shape[0]
    assert (grid[:headline.shape[0], :headline.shape[1]] == headline).all()  # the same bars on top


def test_records_without_a_panel_s_data_draw_without_it(records, tmp_path):
    for record in records:
        record["series"].pop("memory")
        record["fault"] = None
    chart(records, ["child_rss", "completions"], tmp_path / "empty.png")


def headline_axes(records):
    import matplotlib.pyplot as plt

    from harness.plots import _headline_bars

    figure, axes = plt.subplots()
    _headline_bars(axes, records)
    return figure, axes


def test_headline_bars_mark_disagreements_show_the_claim_and_never_draw_a_missing_number_as_zero(records):
    records[1]["summary"]["sessions_per_task"] = None
    figure, axes = headline_axes(records)
    bars = [patch for patch in axes.patches]
    assert len(bars) == len(records) - 1  # the cell without a number has no bar
    assert "no value" in [text.get_text() for text in axes.texts]
    disagreeing = [r for i, r in enumerate(records) if i != 1 and r["agrees_with_claim"] is False]
    assert sum(bar.get_hatch() == "//" for bar in bars) == len(disagreeing) >= 1
    ticks = [tick.get_text() for tick in axes.get_xticklabels()]
    assert ticks[0] == f"{records[0]['cell']['name']}\nclaimed: {records[0]['cell']['claim']['expect']}"
    assert axes.get_yscale() == "symlog"  # 0.004 to 4 sessions per task: three decades
    assert axes.get_ylabel() == "sessions/task"


def test_the_verdict_threshold_is_drawn_where_the_scenario_declares_one(records):
    figure, axes = headline_axes(records)
    assert not axes.lines  # the fixture's scenario has no threshold
    for record in records:
        record["scenario"]["threshold"] = 0.5
    figure, axes = headline_axes(records)
    dashed = [line for line in axes.lines if line.get_linestyle() == "--"]
    assert [list(line.get_ydata()) for line in dashed] == [[0.5, 0.5]]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["verdict threshold 0.5"]
    low, high = axes.get_ylim()
    assert low <= 0.5 <= high


def test_the_sessions_panel_shows_the_churn_one_session_per_task_against_reuse(records):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    PANELS["sessions"](axes, records)
    tops = {line.get_label(): max(line.get_ydata()) for line in axes.lines}
    per_task = {r["cell"]["name"]: r["summary"]["sessions_opened"] for r in records}
    for name, top in tops.items():
        assert abs(top - per_task[name]) <= 2, (name, top, per_task[name])  # the series ends where the count does
    assert tops["5.7.0"] > 100 * max(tops["5.5.3"], 1)


@pytest.mark.parametrize("width", [3.0, 6.0, 20.0])
def test_a_long_title_is_wrapped_inside_the_figure(width):
    import matplotlib.pyplot as plt

    from harness.plots import wrapped

    figure = plt.figure(figsize=(width, 3))
    title = figure.suptitle(wrapped("Broker restarted, killed, paused or cut off mid-burst: tasks lost, run twice, "
                                    "recovery, and a very long scenario title that would not fit", figure))
    figure.canvas.draw()
    box, frame = title.get_window_extent(), figure.bbox
    assert frame.x0 <= box.x0 and box.x1 <= frame.x1


def test_the_rss_panel_marks_where_each_cell_s_phases_gave_way(records):
    import matplotlib.pyplot as plt

    for record in records:  # stopped sequentially: the failing phase took 150 tasks, in one cell 100
        record["summary"]["phase_tasks"] = {"fail_leaky": 150, "ok_leaky": 150}
    records[0]["summary"]["phase_tasks"] = {"fail_leaky": 100, "ok_leaky": 150}
    figure, axes = plt.subplots()
    PANELS["child_rss"](axes, records)
    dotted = sorted(line.get_xdata()[0] for line in axes.lines if line.get_linestyle() == ":")
    assert dotted == [100, 150] and "fail_leaky -> ok_leaky" in axes.get_xlabel()
    for record in records:
        record["summary"].pop("phase_tasks")
    figure, axes = plt.subplots()
    PANELS["child_rss"](axes, records)
    assert [line.get_xdata()[0] for line in axes.lines if line.get_linestyle() == ":"] == [200]  # the count


@pytest.mark.parametrize("cells, below", [(5, False), (10, True)])
def test_a_panel_legend_goes_under_the_panel_when_there_are_many_cells(records, cells, below):
    from harness.plots import _headline_figure

    many = [copy.deepcopy(records[i % len(records)]) for i in range(cells)]
    for index, record in enumerate(many):
        record["cell"]["name"] = f"cell {index}"
    figure = _headline_figure(many, [PANELS["sessions"]])
    figure.canvas.draw()
    panel = figure.axes[1]
    legend, box = panel.get_legend().get_window_extent(), panel.get_window_extent()
    assert bool(legend.y1 <= box.y0) == below
