"""mgx patching from Python: apply, dry run, best effort, backups, recovery, diffs."""

import pytest

import mgx

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n"


def test_apply_patch_and_backups(tmp_path):
    (tmp_path / "app.py").write_text("import os\n\ndef f():\n    return 1\n")
    dry = mgx.apply_patch(tmp_path, DIFF, dry_run=True)
    assert dry.status == "dry_run" and dry.ok and dry.run is None
    assert (tmp_path / "app.py").read_text().endswith("return 1\n")

    result = mgx.apply_patch(str(tmp_path), DIFF)
    assert result.status == "applied" and result.ok
    hunk = result.files[0]["hunks"][0]
    assert hunk["status"] == "applied_offset" and hunk["line"] == 3
    assert (tmp_path / "app.py").read_text() == "import os\n\ndef f():\n    return 2\n"
    assert mgx.apply_patch(tmp_path, DIFF, fsync=False).status == "already_applied"

    runs = mgx.list_backups(tmp_path)
    assert [r["run"] for r in runs] == [result.run]
    assert runs[0]["files"] == [{"path": "app.py", "existed": True}]
    assert mgx.restore_backup(tmp_path, result.run, "app.py").status == "applied"
    assert (tmp_path / "app.py").read_text().endswith("return 1\n")
    assert len(mgx.prune_backups(tmp_path, keep=1)) == 1
    assert mgx.recover(tmp_path) == []
    assert repr(result) == "PatchResult(status='applied', files=1)"


def test_refusal_and_best_effort(tmp_path):
    (tmp_path / "a.txt").write_text("a\n")
    bad = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-zzz\n+y\n"
    result = mgx.apply_patch(tmp_path, bad)
    assert result.status == "refused" and not result.ok
    assert result.files[0]["status"] == "failed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    result = mgx.apply_patch(tmp_path, bad, mode="best_effort")
    assert (tmp_path / "a.txt.mgx_failed_diff.txt").exists()
    with pytest.raises(ValueError):
        mgx.apply_patch(tmp_path, bad, mode="sometimes")


def test_a_hunk_that_may_already_be_applied_is_refused(tmp_path):
    text = "x\nx\na\nb\nnew\nc\nx\nx\nx\na\nb\nc\n"
    (tmp_path / "f.txt").write_text(text)
    result = mgx.apply_patch(tmp_path, "--- a/f.txt\n+++ b/f.txt\n@@ -5,3 +5,4 @@\n a\n b\n+new\n c\n")
    assert result.status == "refused"
    hunk = result.files[0]["hunks"][0]
    assert hunk["status"] == "maybe_applied"
    assert (hunk["candidates"], hunk["already_at"]) == ([10], [3])
    assert (tmp_path / "f.txt").read_text() == text


def test_errors_are_typed(tmp_path):
    with pytest.raises(mgx.UnsafePathError) as info:
        mgx.apply_patch(tmp_path, "--- /dev/null\n+++ b/../x.txt\n@@ -0,0 +1 @@\n+x\n")
    assert info.value.code == "unsafe_path" and info.value.violation == "parent_component"
    assert isinstance(info.value, mgx.PatchError) and isinstance(info.value, mgx.MgxError)
    with pytest.raises(mgx.MalformedPatchError) as info:
        mgx.apply_patch(tmp_path, "@@ -1 +1 @@\n-a\n+b\n")
    assert info.value.line == 1
    with pytest.raises(mgx.BinaryPatchError):
        mgx.apply_patch(tmp_path, "diff --git a/x.png b/x.png\nBinary files a/x.png and b/x.png differ\n")
    with pytest.raises(mgx.NoSuchBackupError):
        mgx.restore_backup(tmp_path, "nope")


def test_make_diff_round_trip(tmp_path):
    old, new = "a\nb\nc\n", "a\nB\nc\nd\n"
    (tmp_path / "f.txt").write_text(old)
    diff = mgx.make_diff(old, new, path="f.txt")
    assert diff.startswith("--- a/f.txt\n+++ b/f.txt\n")
    assert mgx.apply_patch(tmp_path, diff).ok
    assert (tmp_path / "f.txt").read_text() == new
    assert mgx.make_diff("same\n", "same\n") == ""
