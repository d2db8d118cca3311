"""Charts of a run, drawn from result files only: headline metric by cell, backends over time."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

VERDICT_COLOURS = {"broken": "#c0392b", "fixed": "#27ae60", "inconclusive": "#7f8c8d"}


STATE_COLOURS = {"active": "#2980b9", "idle": "#7f8c8d", "idle_in_transaction": "#c0392b"}


def draw_run_chart(records: list[dict], path: Path) -> Path:
    """Connections by state per cell (small multiples) for runs with phases; otherwise two panels: the
    scenario's headline metric per cell (bars), and backends / memory / completions over time."""
    if records[0]["scenario"].get("chart") == "states":
        return _save(_states_grid(records), path)
    headline = records[0]["scenario"]["headline"]
    figure, (bars, lines) = plt.subplots(1, 2, figsize=(13, 4.8))
    names = [record["cell"]["name"] for record in records]
    values = [record["summary"].get(headline) or 0 for record in records]
    colours = [VERDICT_COLOURS.get(record["verdict"], "#34495e") for record in records]
    bars.bar(range(len(names)), values, color=colours)
    bars.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
    bars.set_ylabel(headline)
    bars.set_title(f"{headline} by cell (red: broken, green: fixed)")
    for x, value in enumerate(values):
        bars.annotate(f"{value:.3g}", (x, value), ha="center", va="bottom", fontsize=8)
    if records[0].get("memory"):
        _memory_panel(lines, records)
    elif records[0].get("fault"):
        _completions_panel(lines, records)
    else:
        _backends_panel(lines, records)
    figure.suptitle(records[0]["scenario"]["title"])
    return _save(figure, path)


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(tmp, dpi=110)
    plt.close(figure)
    tmp.replace(path)
    return path


def _backends_panel(axes, records: list[dict]) -> None:
    axes.set_prop_cycle(color=plt.cm.tab20.colors)
    for record in records:
        series = record["series"]
        axes.plot(series["t"], series["backends"], label=record["cell"]["name"], linewidth=1.2)
    axes.set_xlabel("seconds since sampling began (worker start)")
    axes.set_ylabel("client backends of the cell database")
    axes.set_title("Postgres backends over time")
    axes.legend(fontsize=7)


def _memory_panel(axes, records: list[dict]) -> None:
    axes.set_prop_cycle(color=plt.cm.tab20.colors)  # up to 20 cells without repeating a colour
    for record in records:
        memory = record["memory"]
        axes.plot(memory["tasks_done"], memory["child_rss_mb"], label=record["cell"]["name"], linewidth=1.2)
    count = records[0]["workload"]["count"]
    axes.axvline(count, color="#7f8c8d", linestyle=":", linewidth=1)
    axes.annotate("failing tasks | control tasks", (count, axes.get_ylim()[0]), ha="center", va="bottom", fontsize=7)
    axes.set_xlabel("tasks done")
    axes.set_ylabel("pool child RSS (MB)")
    axes.set_title("Pool child RSS against tasks done")
    axes.legend(fontsize=7)


def _completions_panel(axes, records: list[dict]) -> None:
    """Tasks finished per second around the fault (t = 0 when it starts; shaded until the broker is back)."""
    axes.set_prop_cycle(color=plt.cm.tab20.colors)
    for record in records:
        fault, finishes = record["fault"], record["completions"] or []
        relative = [t - fault["started_at"] for t in finishes]
        if relative:
            bins = range(int(min(relative)) - 1, int(max(relative)) + 2)
            counts = [sum(1 for t in relative if left <= t < left + 1) for left in bins]
            axes.step(list(bins), counts, where="post", label=record["cell"]["name"], linewidth=1.1)
        axes.axvspan(0, fault["finished_at"] - fault["started_at"], color="#e74c3c", alpha=0.04)
    axes.axvline(0, color="#c0392b", linestyle=":", linewidth=1)
    axes.set_xlabel("seconds since the fault began (shaded: broker away)")
    axes.set_ylabel("tasks finished per second")
    axes.set_title("Completions around the fault")
    axes.legend(fontsize=6)


def _states_grid(records: list[dict]):
    """One small panel per cell: active, idle and idle-in-transaction connections over time, the burst shaded."""
    columns = min(4, len(records))
    rows = -(-len(records) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.6 * rows), squeeze=False)
    for panel, record in zip(axes.flat, records):
        series, phases = record["series"], record["phases"]
        start = phases["dispatch"] - 3
        t = [x - start for x in series["t"]]
        for state, colour in STATE_COLOURS.items():
            panel.plot(t, series[state], color=colour, linewidth=1.1, label=state.replace("_", " "))
        panel.axvspan(phases["dispatch"] - start, phases["drained"] - start, color="#f1c40f", alpha=0.15)
        panel.set_xlim(0, phases["settled"] - start + 1)
        panel.set_title(record["cell"]["name"], fontsize=8,
                        color=VERDICT_COLOURS.get(record["verdict"], "#34495e"))
        panel.tick_params(labelsize=7)
    for panel in list(axes.flat)[len(records):]:
        panel.axis("off")
    axes.flat[0].legend(fontsize=6, loc="upper left")
    figure.supxlabel("seconds (shaded: burst until drained; then the settle period)", fontsize=8)
    figure.supylabel("connections of the cell database", fontsize=8)
    figure.suptitle(f"{records[0]['scenario']['title']} (title red: broken, green: fixed)", fontsize=10)
    return figure


def draw_timeline(title: str, probes, values: list, metric: str, flips: list[tuple[str, str]], path: Path) -> Path:
    """The metric per release (oldest left), each point coloured by its verdict, a dashed line at every flip."""
    releases = [probe.release for probe in probes]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.45 * len(releases) + 2), 4.2))
    axes.plot(range(len(releases)), [v if v is not None else float("nan") for v in values], color="#bdc3c7",
              linewidth=1, zorder=1)
    axes.scatter(range(len(releases)), [v if v is not None else float("nan") for v in values], zorder=2,
                 color=[VERDICT_COLOURS.get(probe.verdict, "#34495e") for probe in probes])
    for before, after in flips:
        x = (releases.index(before) + releases.index(after)) / 2
        axes.axvline(x, color="#2c3e50", linestyle="--", linewidth=1)
        axes.annotate(f"{before} | {after}", (x, axes.get_ylim()[1]), ha="center", va="top", fontsize=7, rotation=90)
    for x, probe in enumerate(probes):
        if probe.verdict == "unrunnable":
            axes.annotate("did not run", (x, 0.5), xycoords=("data", "axes fraction"), rotation=90, ha="center",
                          va="center", fontsize=6, color="#7f8c8d")
    axes.set_xticks(range(len(releases)), releases, rotation=60, ha="right", fontsize=7)
    axes.set_ylabel(metric)
    axes.set_title(f"{title}: {metric} by release (red broken, green fixed; dashed: verdict flips)", fontsize=9)
    return _save(figure, path)
