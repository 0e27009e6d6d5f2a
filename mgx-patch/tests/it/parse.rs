use mgx_patch::diff::{FileChange, LineKind, Patch, parse, parse_for, render};

#[test]
fn git_diff_with_extended_headers() {
    let text = "diff --git a/src/old.rs b/src/new.rs\nsimilarity index 90%\nrename from src/old.rs\nrename to src/new.rs\nindex 83db48f..bf269f4 100644\n--- a/src/old.rs\n+++ b/src/new.rs\n@@ -1,3 +1,3 @@ fn main() {\n a\n-b\n+c\n d\ndiff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..e69de29\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\ndiff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\ndiff --git a/mode.sh b/mode.sh\nold mode 100644\nnew mode 100755\n";
    let p = parse(text).unwrap();
    let summary: Vec<(Option<&str>, Option<&str>, FileChange, usize)> = p
        .files
        .iter()
        .map(|f| {
            (
                f.old_path.as_deref(),
                f.new_path.as_deref(),
                f.change,
                f.hunks.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                Some("src/old.rs"),
                Some("src/new.rs"),
                FileChange::Rename,
                1
            ),
            (None, Some("new.txt"), FileChange::Create, 1),
            (Some("gone.txt"), None, FileChange::Delete, 1),
            (Some("mode.sh"), Some("mode.sh"), FileChange::Modify, 0),
        ]
    );
    assert_eq!(p.files[0].hunks[0].section, "fn main() {");
    assert_eq!(p.files[3].new_mode.as_deref(), Some("100755"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn regression_the_operation_is_reset_between_files() {
    // Reference §5.1: after one CREATE, every later file in the diff was a CREATE too.
    let text = "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+x\n--- a/old.txt\n+++ b/old.txt\n@@ -1 +1 @@\n-a\n+b\n";
    let p = parse(text).unwrap();
    assert_eq!(p.files[0].change, FileChange::Create);
    assert_eq!(p.files[1].change, FileChange::Modify);
}

#[test]
fn regression_hunks_belong_to_their_own_file() {
    // Reference §5.1: each hunk was credited to the following file.
    let text = "--- a/one.txt\n+++ b/one.txt\n@@ -1 +1 @@\n-1\n+one\n--- a/two.txt\n+++ b/two.txt\n@@ -1 +1 @@\n-2\n+two\n";
    let p = parse(text).unwrap();
    assert_eq!(p.files[0].path(), Some("one.txt"));
    assert_eq!(p.files[0].hunks[0].lines[1].text, "one");
    assert_eq!(p.files[1].hunks[0].lines[1].text, "two");
}

#[test]
fn regression_double_dash_and_double_plus_lines_are_content() {
    // Reference §5.1: removing `-- comment` renamed the file and dropped the removal.
    let text = "--- a/q.sql\n+++ b/q.sql\n@@ -1,3 +1,3 @@\n--- old comment\n+++ new comment\n select 1;\n-- note\n";
    let p = parse(text).unwrap();
    assert_eq!(p.files.len(), 1);
    let lines: Vec<(LineKind, &str)> = p.files[0].hunks[0]
        .lines
        .iter()
        .map(|l| (l.kind, l.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (LineKind::Remove, "-- old comment"),
            (LineKind::Add, "++ new comment"),
            (LineKind::Context, "select 1;"),
            (LineKind::Remove, "- note")
        ]
    );
}

#[test]
fn regression_timestamps_are_not_part_of_the_path() {
    // Reference §5.1: `x.txt\t2024-01-01 …` stayed in the path.
    let text = "--- x.txt\t2024-01-01 10:00:00.000000000 +0100\n+++ x.txt\t2024-01-02 10:00:00.000000000 +0100\n@@ -1 +1 @@\n-a\n+b\n";
    assert_eq!(parse(text).unwrap().files[0].path(), Some("x.txt"));
    // diff -ruN old/ new/: the differing top directory goes.
    let text = "diff -ruN old/src/x.c new/src/x.c\n--- old/src/x.c\t2024-01-01\n+++ new/src/x.c\t2024-01-01\n@@ -1 +1 @@\n-a\n+b\n";
    assert_eq!(parse(text).unwrap().files[0].path(), Some("src/x.c"));
}

#[test]
fn regression_headerless_hunks_and_counts() {
    // Reference §5.1: a diff with hunks but no headers gave zero hunks, and counts were ignored.
    let text = "@@ -1,2 +1,2 @@\n a\n-b\n+c\n";
    assert!(parse(text).is_err());
    let p = parse_for(text, "src/x.py").unwrap();
    assert_eq!(p.files[0].path(), Some("src/x.py"));
    assert_eq!(p.files[0].hunks[0].old_count(), 2);
    let p = parse("--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n a\n-b\n+c\n").unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].message.contains("the body wins"));
}

#[test]
fn other_real_forms() {
    // Omitted counts, bare @@, CRLF patch text, no-newline markers, blank context lines.
    let p =
        parse("--- a/f\r\n+++ b/f\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n\\ No newline at end of file\r\n")
            .unwrap();
    let h = &p.files[0].hunks[0];
    assert_eq!(
        (
            h.old_start,
            h.lines[0].text.as_str(),
            h.new_no_newline,
            h.old_no_newline
        ),
        (Some(1), "a", true, false)
    );
    let p = parse("--- a/f\n+++ b/f\n@@\n x\n-y\n+z\n").unwrap();
    assert_eq!(p.files[0].hunks[0].old_start, None);
    let p = parse("Here is my diff:\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\nThanks!\n")
        .unwrap();
    let lines: Vec<&str> = p.files[0].hunks[0]
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(lines, ["a", "", "b", "c"]);
    let p =
        parse("diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n")
            .unwrap();
    assert!(p.files[0].binary);
    assert!(mgx_patch::ChangeSet::from_patch(&p).is_err());
    let err = parse("--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n").unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
}

/// The patch without the patch line numbers, which rendering changes.
fn without_lines(mut p: Patch) -> Patch {
    for f in &mut p.files {
        f.line = 0;
        for h in &mut f.hunks {
            h.line = 0;
        }
    }
    p.warnings.clear();
    p
}

#[test]
fn render_then_parse_is_the_same_patch() {
    let text = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@ section\n a\n-b\n+c\n d\n\\ No newline at end of file\n--- /dev/null\n+++ b/n\n@@ -0,0 +1 @@\n+x\n";
    let p = parse(text).unwrap();
    assert_eq!(p.files.len(), 2);
    assert_eq!(without_lines(parse(&render(&p)).unwrap()), without_lines(p));
    // A one-path header of a new file: the path is the new side.
    let p = parse("diff --git only.txt\nnew file mode 100644\n").unwrap();
    assert_eq!(
        (
            p.files[0].old_path.as_deref(),
            p.files[0].new_path.as_deref()
        ),
        (None, Some("only.txt"))
    );
    assert_eq!(without_lines(parse(&render(&p)).unwrap()), without_lines(p));
}

#[test]
fn regression_fuzz_a_git_header_with_one_path_names_both_sides() {
    // Found by the fuzz target: `diff --git git` left the new side empty, though not a deletion.
    let p = parse("diff --git git\n").unwrap();
    assert_eq!(
        (
            p.files[0].old_path.as_deref(),
            p.files[0].new_path.as_deref()
        ),
        (Some("git"), Some("git"))
    );
    assert_eq!(without_lines(parse(&render(&p)).unwrap()), without_lines(p));
}
