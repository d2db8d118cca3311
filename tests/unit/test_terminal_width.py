"""What a person sees in a 100-column terminal: the default `harness report` of every scenario's stored run fits,
and no word is broken inside (the terminal is a real pty of that size)."""
import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "v1"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_terminal(columns: int, env: dict, *args: str) -> str:
    """The command's output as a terminal of `columns` x 50 shows it (escape codes removed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {key: value for key, value in env.items() if key not in ("COLUMNS", "LINES")}
    process = subprocess.Popen([sys.executable, "-m", "harness", *args], stdin=follower, stdout=follower,
                               stderr=follower, env={**environment, "TERM": "xterm-256color"}, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    assert process.returncode == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode(errors="replace").replace("\r\n", "\n"))


@pytest.mark.parametrize("scenario", sorted(path.name for path in FIXTURES.iterdir()))
def test_the_default_report_fits_100_columns_without_a_word_broken(tmp_path, scenario):
    shutil.copytree(FIXTURES / scenario, tmp_path / scenario)
    shown = in_terminal(100, {**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)}, "report", scenario)
    assert max(len(line.rstrip()) for line in shown.splitlines()) <= 100, shown
    tokens = set(shown.split())
    records = [json.loads(path.read_text()) for path in sorted((tmp_path / scenario).glob("*/*.json"))]
    expected = {word for record in records for word in (record["cell"]["name"] + " " + record["verdict"]).split()}
    expected |= {"verdict", "claimed", "python"}
    assert expected - tokens == set(), shown  # each word whole somewhere in the output


def test_wide_shows_every_metric_under_its_human_name(tmp_path):
    from harness.report_model import label

    shutil.copytree(FIXTURES / "conn_max_age", tmp_path / "conn_max_age")
    [record, *_] = [json.loads(path.read_text()) for path in sorted((tmp_path / "conn_max_age").glob("*/*.json"))]
    shown = in_terminal(250, {**os.environ, "REPRO_RESULTS_DIR": str(tmp_path)}, "report", "conn_max_age", "--wide")
    header = next(line for line in shown.splitlines() if "verdict" in line and "cell" in line)
    assert all(label(metric) in header for metric in record["scenario"]["metrics"]), header
    assert "sessions/task" in header and "sessions_per_task" not in header
