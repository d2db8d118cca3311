import pytest

from harness.errors import HarnessError
from harness.pins import _name, _reason, install_lines, requirements
from harness.pythons import python_for


@pytest.mark.parametrize("release, python", [
    ("4.1.1", "3.6"), ("4.2.0", "3.8"), ("4.4.0rc4", "3.8"), ("4.4.7", "3.8"), ("5.0.5", "3.8"),
    ("5.2.7", "3.10"), ("5.5.3", "3.11"), ("5.7.0", "3.11"),
])
def test_python_for_release(release, python):
    assert python_for(release) == python


def test_releases_before_4_are_refused():
    with pytest.raises(HarnessError, match="older than 4.0"):
        python_for("3.1.26")


def test_requirements_put_overrides_before_era_defaults():
    lines = requirements("4.4.7", "3.8", {"redis": "3.2.0"})
    assert lines[0] == "celery[redis]==4.4.7"
    assert "redis==3.2.0" in lines and "redis<4" not in lines
    assert "django==3.2.*" in lines


def test_requirement_names():
    assert [_name(r) for r in ["celery[redis]==5", "vine<5", "Django==3.2.*"]] == ["celery", "vine", "django"]


def test_uv_failure_reason_is_one_line():
    stderr = ("error: No solution found when resolving dependencies\n  cause: Because there is no version of "
              "celery[redis]==9.9.9 and you require celery[redis]==9.9.9, we can conclude that it is unsatisfiable.")
    assert _reason(stderr) == "there is no version of celery[redis]==9.9.9 and you require celery[redis]==9.9.9"


def test_celery_5_gets_no_celery_4_caps():
    lines = requirements("5.0.5", "3.8", {})
    assert "vine<5" not in lines and "django==3.2.*" in lines


def test_install_lines_keep_the_extras_a_pin_needs():
    assert install_lines({"celery": "5.7.0", "psycopg": "3.3.9", "kombu": "5.7.0", "vine": "5.1.0"}) == [
        "celery[redis]==5.7.0", "psycopg[binary]==3.3.9", "kombu[redis]==5.7.0", "vine==5.1.0"]


def test_unknown_python_line_is_a_clear_error():
    with pytest.raises(HarnessError, match="no Django/driver line known for Python 3.99"):
        requirements("5.5.3", "3.99", {})
