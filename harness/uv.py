"""Calling uv: the binary `uv run` names in $UV, the one on PATH, or the one `make` put in .tools/."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from harness.errors import HarnessError, last_line
from harness.paths import REPO_ROOT


def uv_binary() -> str:
    for candidate in (os.environ.get("UV"), shutil.which("uv"), str(REPO_ROOT / ".tools" / "bin" / "uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise HarnessError("uv not found: run `make scenario` once (it installs uv into .tools/) or `pip install uv`")


def run_uv(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run uv and return the completed process (never raises on a non-zero exit)."""
    return subprocess.run([uv_binary(), *args], input=stdin, capture_output=True, text=True)


def uv_reason(stderr: str, limit: int = 300) -> str:
    """What uv says went wrong, on one line: its message after the first '×' or 'error:', wrapped lines joined
    (uv wraps its explanation at the terminal width)."""
    lines = stderr.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("×", "error:"))), None)
    if start is None:
        return last_line(stderr, limit)
    text = " ".join(re.sub(r"^[\s×╰─▶│]+|^error:\s*", "", line).strip() for line in lines[start:])
    return re.sub(r"\s+", " ", text).strip()[:limit]
