from harness import compare


def record(name, verdict, value, claim):
    return {
        "scenario": {"metrics": ["sessions_per_task"], "headline": "sessions_per_task"},
        "cell": {"name": name, "claim": claim}, "pins": {"celery": name}, "python": "3.11.7",
        "summary": {"sessions_per_task": value}, "verdict": verdict,
        "agrees_with_claim": None if claim is None else claim["expect"] == verdict,
    }


def test_rows_mark_disagreement_with_the_claim():
    records = [record("a", "broken", 1.0, {"expect": "fixed", "source": "seed"}),
               record("b", "fixed", 0.004, {"expect": "fixed", "source": "upstream"}),
               record("c", "fixed", 0.004, None)]
    table = compare.rows(records)
    assert [row[-1] for row in table] == ["DISAGREES", "agrees", "n/a"]
    assert table[1][3] == "0.004"
    assert compare.columns(records)[3] == "sessions_per_task"


def test_findings_name_value_verdict_and_claim():
    line = compare.findings([record("a", "broken", 1.0, {"expect": "fixed", "source": "seed 000"})])[0]
    assert line == "a: sessions_per_task = 1.000 -> broken; claim fixed (seed 000): DISAGREES"
