"""Side-by-side comparison of cell results: table rows, claim agreement, one-line findings."""
from __future__ import annotations

from statistics import median

from harness.stats import SIGNIFICANT, rank_test

FIXED_COLUMNS = ("cell", "celery", "python")


def claim_text(record: dict) -> str:
    claim = record["cell"]["claim"]
    return f"{claim['expect']} ({claim['source']})" if claim else "no claim"


def agreement(record: dict) -> str:
    agrees = record["agrees_with_claim"]
    return "n/a" if agrees is None else ("agrees" if agrees else "DISAGREES")


def columns(records: list[dict]) -> list[str]:
    metrics = records[0]["scenario"]["metrics"] if records else []
    return [*FIXED_COLUMNS, *metrics, "verdict", "claimed", "vs claim"]


def rows(records: list[dict]) -> list[list[str]]:
    """One row per cell, every value as it should be printed."""
    table = []
    for record in records:
        metrics = [_fmt_stat(record, name) for name in record["scenario"]["metrics"]]
        table.append([record["cell"]["name"], record["pins"]["celery"], record["python"], *metrics,
                      record["verdict"], (record["cell"]["claim"] or {}).get("expect", "-"), agreement(record)])
    return table


def findings(records: list[dict]) -> list[str]:
    """One sentence per cell saying what was measured against what was claimed (and, with repeats, how each
    cell's headline compares with the first cell's)."""
    lines = []
    for record in records:
        headline = record["scenario"]["headline"]
        value = _fmt_stat(record, headline)
        repeats = f" over {len(record['repeats'])} runs" if record.get("repeats") else ""
        lines.append(f"{record['cell']['name']}: {headline} = {value}{repeats} -> {record['verdict']}; "
                     f"claim {claim_text(record)}: {agreement(record)}")
    return lines + significance(records)


def significance(records: list[dict]) -> list[str]:
    """Each repeated cell against the first one on the headline metric: medians and the exact rank test."""
    repeated = [record for record in records if record.get("repeats")]
    if len(repeated) < 2:
        return []
    headline, first = repeated[0]["scenario"]["headline"], repeated[0]
    reference = _values(first, headline)
    lines = []
    for record in repeated[1:]:
        values = _values(record, headline)
        if not reference or not values:
            continue
        p = rank_test(reference, values)
        word = "significant" if p < SIGNIFICANT else "not significant"
        lines.append(f"{record['cell']['name']} vs {first['cell']['name']}: {headline} median "
                     f"{_fmt(median(values))} vs {_fmt(median(reference))}, Mann-Whitney p = {p:.3f} "
                     f"({word} at {SIGNIFICANT:.0%}, {len(values)} and {len(reference)} runs)")
    return lines


def _values(record: dict, key: str) -> list[float]:
    return [run["summary"][key] for run in record["repeats"] if isinstance(run["summary"].get(key), (int, float))]


def _fmt_stat(record: dict, key: str) -> str:
    """The value, or with repeats its median and interval: 'median [low, high]'."""
    stat = (record.get("stats") or {}).get(key)
    if stat is None or stat["low"] == stat["high"]:
        return _fmt(record["summary"].get(key))
    return f"{_fmt(stat['median'])} [{_fmt(stat['low'])}, {_fmt(stat['high'])}]"


CLAIM_COLUMNS = ("claim (source)", "cell", "expected", "measured", "number", "status", "result file")


def claim_status(record: dict) -> str:
    """confirmed when the measured verdict is the claimed one, inconclusive when the measurement is, else refuted."""
    if record["verdict"] == "inconclusive":
        return "inconclusive"
    return "confirmed" if record["verdict"] == record["cell"]["claim"]["expect"] else "refuted"


def claim_rows(records: list[dict]) -> list[list[str]]:
    """One row per cell that carries a claim: who claims what, what was measured, and the file behind it."""
    table = []
    for record in records:
        claim = record["cell"]["claim"]
        if claim:
            headline = record["scenario"]["headline"]
            table.append([claim["source"], record["cell"]["name"], claim["expect"], record["verdict"],
                          f"{headline} {_fmt_stat(record, headline)}", claim_status(record), record["file"]])
    return table


def twins(records: list[dict], key: str, value, default) -> list[tuple[dict, dict]]:
    """Pairs (base, variant) of cells on the same release and Python whose settings differ only in `key`:
    `default` in the base, `value` in the variant."""
    def rest(record: dict) -> tuple:
        others = {k: v for k, v in record["settings"].items() if k != key}
        return record["pins"]["celery"], record["python"], sorted(others.items(), key=str)

    return [(base, variant) for variant in records if variant["settings"].get(key) == value
            for base in records if base["settings"].get(key) == default and rest(base) == rest(variant)]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)
