"""Which releases of a package the registry has between two versions (PyPI's JSON API)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from packaging.version import InvalidVersion, Version

from harness.errors import HarnessError

REGISTRY_JSON = "https://pypi.org/pypi/{package}/json"


def published(package: str = "celery") -> dict[str, list]:
    """Every version string of `package` with its files, as the registry lists them."""
    try:
        with urllib.request.urlopen(REGISTRY_JSON.format(package=package), timeout=30) as reply:
            return json.load(reply)["releases"]
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise HarnessError(f"cannot list {package} releases from the registry: {error}") from None


def version(text: str) -> Version:
    """A release as given on the command line; a one-line error for anything that is not a version."""
    try:
        return Version(text)
    except InvalidVersion:
        raise HarnessError(f"'{text}' is not a release version (like 5.5.3 or 5.6.0rc1)") from None


def between(first: str, last: str, pre: bool = False, listing: dict[str, list] | None = None) -> list[str]:
    """Installable releases from `first` to `last` inclusive, oldest first; pre-releases only when asked
    (or when `first` or `last` is one)."""
    low, high = sorted((version(first), version(last)))
    listing = published() if listing is None else listing
    chosen = []
    for text, files in listing.items():
        try:
            listed = Version(text)
        except InvalidVersion:
            continue
        usable = files and not all(file.get("yanked") for file in files)
        if usable and low <= listed <= high and (pre or not listed.is_prerelease or text in (first, last)):
            chosen.append(listed)
    names = [str(listed) for listed in sorted(chosen)]
    for endpoint in (first, last):
        if str(Version(endpoint)) not in names:
            raise HarnessError(f"celery {endpoint} is not on the registry (or has no installable file)")
    return names
