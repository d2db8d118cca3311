"""Side-by-side comparison of cell results: table rows, claim agreement, one-line findings."""
from __future__ import annotations

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
        metrics = [_fmt(record["summary"].get(name)) for name in record["scenario"]["metrics"]]
        table.append([record["cell"]["name"], record["pins"]["celery"], record["python"], *metrics,
                      record["verdict"], (record["cell"]["claim"] or {}).get("expect", "-"), agreement(record)])
    return table


def findings(records: list[dict]) -> list[str]:
    """One sentence per cell saying what was measured against what was claimed."""
    lines = []
    for record in records:
        headline = record["scenario"]["headline"]
        value = _fmt(record["summary"].get(headline))
        lines.append(f"{record['cell']['name']}: {headline} = {value} -> {record['verdict']}; "
                     f"claim {claim_text(record)}: {agreement(record)}")
    return lines


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
