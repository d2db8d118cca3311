import pytest

from harness.envs import env_key
from harness.errors import HarnessError
from harness.patches import apply, patch_file

DIFF = """--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,2 @@
 first = 1
-second = 2
+second = 3
"""


@pytest.fixture
def site(tmp_path):
    (tmp_path / "site" / "pkg").mkdir(parents=True)
    (tmp_path / "site" / "pkg" / "mod.py").write_text("first = 1\nsecond = 2\n")
    (tmp_path / "fix.diff").write_text(DIFF)
    return tmp_path


def test_a_patch_applies_inside_site_packages_and_names_its_files(site):
    patch = patch_file(site / "fix.diff")
    apply(patch, site / "site", "the test package")
    assert (site / "site" / "pkg" / "mod.py").read_text() == "first = 1\nsecond = 3\n"
    assert patch.files == ["pkg/mod.py"] and len(patch.sha256) == 64
    assert patch.as_record()["text"] == DIFF


def test_a_patch_that_does_not_fit_is_a_one_line_error(site):
    (site / "site" / "pkg" / "mod.py").write_text("something else entirely\n")
    with pytest.raises(HarnessError, match="fix.diff does not apply to the test package: .*FAILED"):
        apply(patch_file(site / "fix.diff"), site / "site", "the test package")


def test_a_file_that_is_not_a_diff_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("restore the re-read\n")
    with pytest.raises(HarnessError, match="is not a unified diff"):
        patch_file(tmp_path / "notes.txt")
    with pytest.raises(HarnessError, match="cannot read patch"):
        patch_file(tmp_path / "missing.diff")


def test_a_patched_env_is_cached_apart_from_the_release_as_shipped(site):
    pins = {"celery": "5.7.0"}
    assert env_key("3.12", pins) != env_key("3.12", pins, patch_file(site / "fix.diff"))

