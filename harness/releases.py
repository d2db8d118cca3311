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


def between(first: str, last: str, pre: bool = False, listing: dict[str, list] | None = None) -> list[str]:
    """Installable releases from `first` to `last` inclusive, oldest first; pre-releases only when asked
    (or when `first` or `last` is one)."""
    listing = published() if listing is None else listing
    low, high = sorted((Version(first), Version(last)))
    chosen = []
    for text, files in listing.items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        usable = files and not all(file.get("yanked") for file in files)
        if usable and low <= version <= high and (pre or not version.is_prerelease or text in (first, last)):
            chosen.append(version)
    names = [str(version) for version in sorted(chosen)]
    for endpoint in (first, last):
        if str(Version(endpoint)) not in names:
            raise HarnessError(f"celery {endpoint} is not on the registry (or has no installable file)")
    return names
