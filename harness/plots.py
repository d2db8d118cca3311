"""Charts from result files only: the panels a run's records name, the headline by cell, the release timeline."""
from __future__ import annotations

import textwrap
from itertools import accumulate
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402

from harness.report_model import label  # noqa: E402

VERDICT_COLOURS = {"broken": "#c0392b", "fixed": "#27ae60", "inconclusive": "#7f8c8d"}
STATE_COLOURS = {"active": "#2980b9", "idle": "#7f8c8d", "idle_in_transaction": "#c0392b"}
DPI = 110


def own_figure(draw: Callable) -> Callable:
    """Mark a panel that lays out a figure of its own (small multiples) instead of drawing on one axes."""
    draw.own_figure = True
    return draw


def _lays_out_own_figure(draw: Callable) -> bool:
    return getattr(draw, "own_figure", False)


def draw_run_chart(records: list[dict], path: Path) -> Path:
    """The panels named by `records[0]["panels"]` (unknown names skipped): the headline bars, with every panel that
    draws on one axes beside them, then each panel with its own figure below."""
    draws = [PANELS[name] for name in records[0].get("panels", []) if name in PANELS]
    overlays = [draw for draw in draws if not _lays_out_own_figure(draw)]
    grids = [draw for draw in draws if _lays_out_own_figure(draw)]
    return _save([_headline_figure(records, overlays), *(grid(records) for grid in grids)], path)


def _headline_figure(records: list[dict], overlays: list[Callable]):
    bars = max(6.5, 0.55 * len(records) + 1.5)  # room for every cell's name under its bar
    figure, axes = plt.subplots(1, 1 + len(overlays), figsize=(bars + 6.5 * len(overlays), 4.8), squeeze=False,
                                gridspec_kw={"width_ratios": [bars] + [6.5] * len(overlays)})
    _headline_bars(axes[0][0], records)
    for draw, panel in zip(overlays, axes[0][1:]):
        panel.set_prop_cycle(color=plt.cm.tab20.colors)  # up to 20 cells without repeating a colour
        draw(panel, records)
        if panel.get_legend_handles_labels()[0]:
            _legend(panel, len(records))
    figure.suptitle(wrapped(records[0]["scenario"]["title"], figure))
    return figure


def _legend(panel, cells: int) -> None:
    """Inside the panel for a few cells; under it, in columns, for many (where it would cover the lines)."""
    if cells <= 8:
        panel.legend(fontsize=7)
    else:
        panel.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.22))


def wrapped(title: str, figure, size: float = 12) -> str:
    """A title broken at spaces so that it fits the figure's width (never clipped at either end)."""
    characters = int(figure.get_figwidth() * 72 / (size * 0.55))
    return "\n".join(textwrap.wrap(title, max(characters, 20)))


def _headline_bars(axes, records: list[dict]) -> None:
    """The scenario's headline number per cell, each bar coloured by the measured verdict, hatched where the
    verdict disagrees with the claim, the claimed verdict under the cell's name, the verdict threshold dashed
    where the scenario declares one; a cell without the number is labelled so (never drawn as 0); a symmetric log
    scale when the numbers span more than two decades."""
    headline = records[0]["scenario"]["headline"]
    values = [record["summary"].get(headline) for record in records]
    for x, (record, value) in enumerate(zip(records, values)):
        if value is None:
            axes.annotate("no value", (x, 0), ha="center", va="bottom", fontsize=8, color="#7f8c8d", rotation=90)
            continue
        disagrees = record.get("agrees_with_claim") is False
        axes.bar(x, value, color=VERDICT_COLOURS.get(record["verdict"], "#34495e"), hatch="//" if disagrees else None,
                 edgecolor="#2c3e50" if disagrees else None)
        axes.annotate(f"{value:.3g}" + (" ≠ claim" if disagrees else ""), (x, value), ha="center", va="bottom",
                      fontsize=8)
    names = [f"{record['cell']['name']}\n" + ("(a user's project)" if record.get("project") else
                                              f"claimed: {(record['cell']['claim'] or {}).get('expect', '-')}")
             for record in records]
    axes.set_xticks(range(len(records)), names, rotation=20 if len(records) <= 6 else 40, ha="right", fontsize=7,
                    rotation_mode="anchor")
    threshold = records[0]["scenario"].get("threshold")
    positive = [abs(value) for value in values if value] + ([abs(threshold)] if threshold else [])
    if positive and max(positive) / min(positive) > 100:
        axes.set_yscale("symlog", linthresh=min(positive))
    if positive:
        axes.set_ylim(top=max(positive) * (4 if axes.get_yscale() == "symlog" else 1.15))  # room for the labels
    if threshold is not None:
        axes.axhline(threshold, color="#2c3e50", linestyle="--", linewidth=1, label=f"verdict threshold {threshold:g}")
        axes.legend(loc="upper left", fontsize=8)
    axes.set_ylabel(label(headline))
    axes.set_title(f"{label(headline)} by cell\n(red broken, green fixed; hatched: disagrees with its claim)",
                   fontsize=10)


def _save(figures: list, path: Path) -> Path:
    """The figures one above the other in one PNG (written atomically)."""
    images = []
    for figure in figures:
        figure.set_dpi(DPI)
        figure.tight_layout()
        figure.canvas.draw()
        images.append(numpy.asarray(figure.canvas.buffer_rgba()))
        plt.close(figure)
    width = max(image.shape[1] for image in images)
    padded = [numpy.pad(image, ((0, 0), (0, width - image.shape[1]), (0, 0)), constant_values=255)
              for image in images]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    plt.imsave(tmp, numpy.concatenate(padded), format="png")
    tmp.replace(path)
    return path


def backends(axes, records: list[dict]) -> None:
    """Postgres client backends of the cell database over time, one line per cell."""
    for record in records:
        series = record["series"].get("postgres") or {}
        if series.get("t"):
            axes.plot(series["t"], series["backends"], label=record["cell"]["name"], linewidth=1.2)
    axes.set_xlabel("seconds since sampling began (worker start)")
    axes.set_ylabel("client backends of the cell database")
    axes.set_title("Postgres backends over time")


def sessions(axes, records: list[dict]) -> None:
    """Postgres sessions opened by the cell since the worker started, over the burst: one per task climbs with
    the burst (the churn), reuse stays flat at one per pool child."""
    for record in records:
        series, phases = record["series"].get("postgres") or {}, record.get("phases") or {}
        if series.get("t") and series.get("sessions"):
            start = phases.get("dispatch", series["t"][0])
            axes.plot([t - start for t in series["t"]], [n - series["sessions"][0] for n in series["sessions"]],
                      label=record["cell"]["name"], linewidth=1.2)
    axes.set_xlabel("seconds since the burst was dispatched")
    axes.set_ylabel("sessions opened in the cell database")
    axes.set_title("Sessions opened during the burst (the churn)")


def child_rss(axes, records: list[dict]) -> None:
    """Pool-child RSS against tasks done per cell; with several task kinds, a dotted line where one gives way to the
    next (the kinds named under the axis)."""
    for record in records:
        memory = record["series"].get("memory") or {}
        if memory.get("tasks_done"):
            axes.plot(memory["tasks_done"], memory["child_rss_mb"], label=record["cell"]["name"], linewidth=1.2)
    changes = {_task_changes(record) for record in records}
    for position in sorted({position for _, positions in changes for position in positions}):
        axes.axvline(position, color="#7f8c8d", linestyle=":", linewidth=1)
    kinds = sorted({" -> ".join(names) for names, positions in changes if positions})
    axes.set_xlabel("tasks done" + (f" (dotted: {'; '.join(kinds)})" if kinds else ""))
    axes.set_ylabel("pool child RSS (MB)")
    axes.set_title("Pool child RSS against tasks done")


def _task_changes(record: dict) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The record's task kinds and the tasks done where each gives way to the next (after the tasks each phase took,
    when the phases stopped sequentially, else after the workload's count)."""
    names = tuple(task.rsplit(".", 1)[-1] for task in record["workload"]["tasks"])
    taken = record["summary"].get("phase_tasks")
    sizes = [taken.get(name, 0) for name in names] if taken else [record["workload"]["count"]] * len(names)
    return names, tuple(accumulate(sizes))[:-1]


def completions(axes, records: list[dict]) -> None:
    """Tasks finished per second around the fault (t = 0 when it starts; shaded until it ends)."""
    for record in records:
        fault, finishes = record.get("fault"), record.get("completions") or []
        if not fault:
            continue
        relative = [t - fault["started_at"] for t in finishes]
        if relative:
            bins = range(int(min(relative)) - 1, int(max(relative)) + 2)
            counts = [sum(1 for t in relative if left <= t < left + 1) for left in bins]
            axes.step(list(bins), counts, where="post", label=record["cell"]["name"], linewidth=1.1)
        axes.axvspan(0, fault["finished_at"] - fault["started_at"], color="#e74c3c", alpha=0.04)
    axes.axvline(0, color="#c0392b", linestyle=":", linewidth=1)
    axes.set_xlabel("seconds since the fault began (shaded: until it ended)")
    axes.set_ylabel("tasks finished per second")
    axes.set_title("Completions around the fault")


@own_figure
def connection_states(records: list[dict]):
    """One small panel per cell: active, idle and idle-in-transaction connections over time, the burst shaded."""
    columns = min(4, len(records))
    rows = -(-len(records) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.6 * rows), squeeze=False)
    for panel, record in zip(axes.flat, records):
        _states_panel(panel, record)
    for panel in list(axes.flat)[len(records):]:
        panel.axis("off")
    axes.flat[0].legend(fontsize=6, loc="upper left")
    figure.supxlabel("seconds (shaded: burst until drained; then the settle period)", fontsize=8)
    figure.supylabel("connections of the cell database", fontsize=8)
    figure.suptitle(wrapped(f"{records[0]['scenario']['title']} (title red: broken, green: fixed)", figure, 10),
                    fontsize=10)
    return figure


def _states_panel(panel, record: dict) -> None:
    series, phases = record["series"].get("postgres") or {}, record.get("phases")
    start = phases["dispatch"] - 3 if phases else 0.0
    t = [x - start for x in series.get("t", [])]
    for state, colour in STATE_COLOURS.items():
        panel.plot(t, series.get(state) or [float("nan")] * len(t), color=colour, linewidth=1.1,
                   label=state.replace("_", " "))
    if phases:
        panel.axvspan(phases["dispatch"] - start, phases["drained"] - start, color="#f1c40f", alpha=0.15)
        panel.set_xlim(0, phases["settled"] - start + 1)
    panel.set_title(record["cell"]["name"], fontsize=8, color=VERDICT_COLOURS.get(record["verdict"], "#34495e"))
    panel.tick_params(labelsize=7)


PANELS: dict[str, Callable] = {"backends": backends, "sessions": sessions, "connection_states": connection_states,
                               "child_rss": child_rss, "completions": completions}


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
    axes.set_title(wrapped(f"{title}: {label(metric)} by release (red broken, green fixed; dashed: verdict flips)",
                           figure, 9), fontsize=9)
    return _save([figure], path)
