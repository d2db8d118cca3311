"""Finding the server binaries (PATH or Debian locations) with a hint when one is missing."""
from __future__ import annotations

import glob
import shutil
from pathlib import Path

from harness.errors import HarnessError

# binary name -> (extra places to look, Debian package that provides it)
KNOWN = {
    "postgres": ("/usr/lib/postgresql/*/bin", "postgresql"),
    "initdb": ("/usr/lib/postgresql/*/bin", "postgresql"),
    "redis-server": ("/usr/bin", "redis-server"),
    "rabbitmq-server": ("/usr/lib/rabbitmq/bin", "rabbitmq-server"),
    "rabbitmqctl": ("/usr/lib/rabbitmq/bin", "rabbitmq-server"),
    "epmd": ("/usr/lib/erlang/bin", "erlang-base"),
    "openssl": ("/usr/bin", "openssl"),
    "patch": ("/usr/bin", "patch"),
    "setpriv": ("/usr/bin", "util-linux"),
    "useradd": ("/usr/sbin", "passwd"),
}


def find(name: str) -> Path:
    """Return the path of a server binary, preferring the Debian location over PATH."""
    pattern, package = KNOWN[name]
    candidates = sorted(glob.glob(f"{pattern}/{name}"), key=_version_key, reverse=True)
    on_path = shutil.which(name)
    for candidate in [*candidates, on_path]:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise HarnessError(f"'{name}' not found on PATH or in {pattern}: install the Debian package '{package}'")


def _version_key(path: str) -> tuple:
    """Sort /usr/lib/postgresql/15/bin above /usr/lib/postgresql/9/bin."""
    return tuple(int(part) if part.isdigit() else 0 for part in Path(path).parts)
