"""The account the harness's Postgres runs as when the harness runs as root: never the system cluster's."""
from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from harness import binaries
from harness.errors import HarnessError, last_line

SERVICE_USER = "celery-repro"  # a system account without a home or a login shell, created on first use


def service_user() -> str | None:
    """The user servers that refuse root run as (None: we are not root, they run as us); created if missing."""
    if os.geteuid() != 0:
        return None
    if not _exists():
        _create()
    return SERVICE_USER


def _create() -> None:
    command = [str(binaries.find("useradd")), "--system", "--no-create-home", "--home-dir", "/nonexistent",
               "--shell", "/usr/sbin/nologin", "--user-group", SERVICE_USER]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 and not _exists():  # a concurrent run may have created it first
        raise HarnessError(f"cannot create the system user {SERVICE_USER} for the harness's Postgres: "
                           f"{last_line(done.stderr)}")


def _exists() -> bool:
    try:
        return bool(pwd.getpwnam(SERVICE_USER))
    except KeyError:
        return False


def as_service_user() -> list[str]:
    """Command prefix that drops root to the service user (empty when we are not root)."""
    user = service_user()
    if user is None:
        return []
    return [str(binaries.find("setpriv")), f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]


def give_to_service_user(path: Path) -> None:
    """Hand a directory tree to the service user, private to it (no-op when we are not root)."""
    user = service_user()
    if user is not None:
        account = pwd.getpwnam(user)
        for item in (path, *path.rglob("*")):
            os.chown(item, account.pw_uid, account.pw_gid, follow_symlinks=False)
    path.chmod(0o700)
