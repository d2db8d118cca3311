"""Unified diffs a cell applies to its installed packages: read and checked when declared, applied into a venv."""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import binaries
from harness.errors import HarnessError, last_line

PATCH_TIMEOUT_S = 60


@dataclass(frozen=True)
class Patch:
    """A unified diff against site-packages (paths like `a/celery/app/trace.py`, applied with -p1)."""

    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def files(self) -> list[str]:
        """The files it changes, relative to site-packages."""
        return [line[4:].split("\t")[0].strip().split("/", 1)[-1] for line in self.text.splitlines()
                if line.startswith("+++ ")]

    def as_record(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.sha256, "files": self.files, "text": self.text}


def patch_file(path: str | Path) -> Patch:
    """The diff at `path` (relative to the working directory); a one-line error if it is not a unified diff."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise HarnessError(f"cannot read patch {path}: {getattr(error, 'strerror', None) or error}") from None
    patch = Patch(path.name, text)
    if not patch.files or "\n@@ " not in "\n" + text:
        raise HarnessError(f"{path} is not a unified diff (no '+++ ' file line or '@@' hunk)")
    return patch


def apply(patch: Patch, site_packages: Path, what: str) -> None:
    """Apply the diff inside site-packages with GNU patch, exactly (no fuzz: a hunk lands where its context says or
    not at all); a one-line error naming the hunk that did not fit."""
    done = subprocess.run([str(binaries.find("patch")), "-p1", "--batch", "--forward", "--fuzz=0",
                           "--no-backup-if-mismatch", "-d", str(site_packages)], input=patch.text, capture_output=True,
                          text=True, timeout=PATCH_TIMEOUT_S)
    if done.returncode != 0:
        reason = next((line for line in done.stdout.splitlines() if "FAILED" in line or "can't find" in line),
                      last_line(done.stdout + done.stderr))
        raise HarnessError(f"patch {patch.name} does not apply to {what}: {reason.strip()}")
