"""Pure helpers for comparing cell results: printed numbers, claim agreement, twin cells, repeat significance."""
from __future__ import annotations

from statistics import median
from typing import Callable

from harness.scenario import INCONCLUSIVE
from harness.settings import flat
from harness.stats import SIGNIFICANT, rank_test


def claim_text(record: dict) -> str:
    claim = record["cell"]["claim"]
    return f"{claim['expect']} ({claim['source']})" if claim else "no claim"


def agreement(record: dict) -> str:
    agrees = record["agrees_with_claim"]
    return "n/a" if agrees is None else ("agrees" if agrees else "DISAGREES")


def claim_status(record: dict) -> str:
    """confirmed when the measured verdict is the claimed one, inconclusive when the measurement is, else refuted."""
    if record["verdict"] == "inconclusive":
        return "inconclusive"
    return "confirmed" if record["verdict"] == record["cell"]["claim"]["expect"] else "refuted"


def cell_line(records: list[dict], cell: str, sentence: str, holds: Callable[[dict], bool | None],
              describe: Callable[[dict], str]) -> str:
    """One claim line about the named cell: confirmed, refuted or (holds -> None) inconclusive, with its numbers."""
    record = next((r for r in records if r["cell"]["name"] == cell), None)
    if record is None:
        return f"{sentence}: no '{cell}' cell in this run"
    held = holds(record)
    word = "inconclusive" if held is None else "confirmed" if held else "refuted"
    return f"{sentence}: {word}, {describe(record)}"


def verdict_is(expected: str) -> Callable[[dict], bool | None]:
    """For cell_line: the claim holds when the cell's verdict is `expected` (None while it is inconclusive)."""
    return lambda record: None if record["verdict"] == INCONCLUSIVE else record["verdict"] == expected


def twins(records: list[dict], key: str, value, default) -> list[tuple[dict, dict]]:
    """Pairs (base, variant) of cells on the same release, Python and workload whose flat settings differ only in
    `key`: `default` in the base, `value` in the variant."""
    def rest(record: dict) -> tuple:
        others = {name: v for name, v in flat(record["settings"]).items() if name != key}
        workload = (record.get("workload") or {}).get("params") or {}
        patch = (record.get("patch") or {}).get("sha256")
        return (record["pins"]["celery"], record["python"], patch, sorted(others.items(), key=str),
                sorted(workload.items()))

    def setting(record: dict):
        return flat(record["settings"]).get(key)

    return [(base, variant) for variant in records if setting(variant) == value
            for base in records if setting(base) == default and rest(base) == rest(variant)]


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


def fmt_stat(record: dict, key: str) -> str:
    """The value, or with repeats its median and interval: 'median [low, high]'."""
    stat = (record.get("stats") or {}).get(key)
    if stat is None or stat["low"] == stat["high"]:
        return _fmt(record["summary"].get(key))
    return f"{_fmt(stat['median'])} [{_fmt(stat['low'])}, {_fmt(stat['high'])}]"


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)
