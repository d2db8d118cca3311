import pytest

from harness.bisect import search
from harness.errors import HarnessError
from harness.releases import between

FILE = [{"yanked": False}]
LISTING = {"5.5.3": FILE, "5.6.0b1": FILE, "5.6.0": FILE, "5.6.1": [{"yanked": True}], "5.6.2": FILE,
           "5.6.3": [], "5.7.0": FILE, "5.8.0": FILE, "not-a-version": FILE}


def test_between_keeps_installable_finals_in_order():
    assert between("5.7.0", "5.5.3", listing=LISTING) == ["5.5.3", "5.6.0", "5.6.2", "5.7.0"]
    assert between("5.5.3", "5.7.0", pre=True, listing=LISTING) == ["5.5.3", "5.6.0b1", "5.6.0", "5.6.2", "5.7.0"]


def test_between_refuses_an_endpoint_the_registry_does_not_have():
    with pytest.raises(HarnessError, match="celery 5.6.1 is not on the registry"):
        between("5.5.3", "5.6.1", listing=LISTING)


def test_search_finds_the_first_release_with_the_last_ones_verdict_and_asks_few():
    releases = [f"1.{minor}" for minor in range(17)]
    asked = []

    def verdict_of(release):
        asked.append(release)
        return "broken" if int(release.split(".")[1]) >= 11 else "fixed"

    assert search(releases, verdict_of) == "1.11"
    assert len(asked) <= 2 + 4  # both ends, then log2(16) midpoints


def test_search_refuses_ends_that_agree():
    with pytest.raises(HarnessError, match="both 'fixed': nothing to bisect"):
        search(["1.0", "1.1", "1.2"], lambda release: "fixed")
