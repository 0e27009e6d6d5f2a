use mgx_patch::diff::parse;
use mgx_patch::place::{HunkStatus, MatchLevel, place};

fn run(original: &str, patch: &str) -> mgx_patch::place::Placement {
    let p = parse(patch).unwrap();
    place(original, &p.files[0].hunks)
}

fn statuses(r: &mgx_patch::place::Placement) -> Vec<HunkStatus> {
    r.hunks.iter().map(|h| h.status).collect()
}

#[test]
fn regression_fifty_hunks_that_each_add_a_line_all_place() {
    // Reference §5.3: without a running offset, 49 of 50 such hunks failed.
    let original: String = (1..=5000).map(|i| format!("line {i}\n")).collect();
    let mut patch = String::from("--- a/f\n+++ b/f\n");
    let mut expected: Vec<String> = (1..=5000).map(|i| format!("line {i}")).collect();
    for k in (0..50).rev() {
        let at = 100 * k + 50; // 1-based line after which a line is added
        expected.insert(at, format!("added {k}"));
    }
    for k in 0..50 {
        let at = 100 * k + 50;
        patch.push_str(&format!(
            "@@ -{},3 +{},4 @@\n line {}\n line {}\n+added {k}\n line {}\n",
            at - 1,
            at - 1 + k,
            at - 1,
            at,
            at + 1
        ));
    }
    let r = run(&original, &patch);
    assert!(
        r.hunks.iter().all(|h| h.status == HunkStatus::Applied),
        "{:?}",
        statuses(&r)
    );
    let want: String = expected.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(r.content.unwrap(), want);
}

#[test]
fn regression_removed_lines_must_match() {
    // Reference §5.3: removed lines were never compared; a wrong removal deleted whatever was there.
    let r = run(
        "a\nb\nc\n",
        "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-WRONG\n+new\n c\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::NotFound]);
    assert!(r.content.is_none());
    let nearest = r.hunks[0].nearest.as_ref().unwrap();
    assert_eq!((nearest.line, nearest.matching, nearest.total), (1, 2, 3));
    assert_eq!(
        nearest.first_difference,
        Some(("WRONG".to_string(), "b".to_string()))
    );
}

#[test]
fn regression_context_is_compared_exactly_not_by_substring() {
    // Reference §5.3: the first context line passed if either line contained the other.
    let r = run(
        "let value = 1;\nkeep\n",
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n value\n-keep\n+changed\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::NotFound]);
}

#[test]
fn ambiguity_is_refused_unless_provable() {
    let twice = "x = 1\ny = 2\nx = 1\ny = 2\n";
    // No stated line matches a candidate: refused, with the candidates.
    let r = run(
        twice,
        "--- a/f\n+++ b/f\n@@ -9,2 +9,2 @@\n x = 1\n-y = 2\n+y = 3\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::Ambiguous]);
    assert_eq!(r.hunks[0].candidates, [1, 3]);
    // Exactly at the stated line: that one.
    let r = run(
        twice,
        "--- a/f\n+++ b/f\n@@ -3,2 +3,2 @@\n x = 1\n-y = 2\n+y = 3\n",
    );
    assert_eq!(r.content.as_deref(), Some("x = 1\ny = 2\nx = 1\ny = 3\n"));
    // Neither candidate is at the stated line 1, but the unique hunk sits 2 lines below its
    // stated line, so line 1 + 2 = 3 is the one.
    let file = "head\nhead2\nx = 1\ny = 2\nx = 1\ny = 2\nunique\n";
    let r = run(
        file,
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n@@ -5,1 +5,1 @@\n-unique\n+UNIQUE\n",
    );
    assert_eq!(
        statuses(&r),
        [HunkStatus::AppliedOffset, HunkStatus::AppliedOffset]
    );
    assert_eq!(r.hunks[0].line, Some(3));
    assert_eq!(
        r.content.as_deref(),
        Some("head\nhead2\nx = 1\ny = 3\nx = 1\ny = 2\nUNIQUE\n")
    );
}

#[test]
fn normalised_levels_and_reduced_context() {
    let r = run(
        "a  \nb\t\nc\n",
        "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
    );
    assert_eq!(r.hunks[0].status, HunkStatus::AppliedNormalized);
    assert_eq!(r.hunks[0].level, Some(MatchLevel::TrailingWhitespace));
    assert_eq!(
        r.content.as_deref(),
        Some("a  \nB\nc\n"),
        "the file's own context lines are kept"
    );
    // Context lines that changed since the diff was made: dropping them (fuzz 2) still anchors uniquely.
    let r = run(
        "one\ntwo CHANGED\nthree\nfour\nfive\n",
        "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n one\n two\n three\n-four\n+FOUR\n five\n",
    );
    assert_eq!(
        (r.hunks[0].status, r.hunks[0].fuzz),
        (HunkStatus::AppliedReducedContext, 2)
    );
    assert_eq!(
        r.content.as_deref(),
        Some("one\ntwo CHANGED\nthree\nFOUR\nfive\n")
    );
    let r = run(
        "zero CHANGED\none\ntwo\nthree\n",
        "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n zero\n one\n-two\n+TWO\n three\n",
    );
    assert_eq!(r.hunks[0].status, HunkStatus::AppliedReducedContext);
    assert_eq!(r.hunks[0].fuzz, 1);
    assert_eq!(
        r.content.as_deref(),
        Some("zero CHANGED\none\nTWO\nthree\n")
    );
}

#[test]
fn already_applied_is_reported_and_never_reversed() {
    let r = run(
        "a\nB\nc\n",
        "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::AlreadyApplied]);
    assert_eq!(r.content.as_deref(), Some("a\nB\nc\n"));
}

#[test]
fn out_of_order_hunks_are_sorted_and_overlaps_conflict() {
    let file = "1\n2\n3\n4\n5\n6\n";
    let r = run(
        file,
        "--- a/f\n+++ b/f\n@@ -5,2 +5,2 @@\n 5\n-6\n+six\n@@ -1,2 +1,2 @@\n 1\n-2\n+two\n",
    );
    assert_eq!(r.content.as_deref(), Some("1\ntwo\n3\n4\n5\nsix\n"));
    let r = run(
        file,
        "--- a/f\n+++ b/f\n@@ -2,2 +2,2 @@\n 2\n-3\n+three\n@@ -3,2 +3,2 @@\n-3\n+THREE\n 4\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::Applied, HunkStatus::Conflict]);
    assert!(r.content.is_none());
}

#[test]
fn line_endings_and_final_newlines() {
    let r = run(
        "a\r\nb\r\nc\r\n",
        "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n b\n+new\n c\n",
    );
    assert_eq!(r.content.as_deref(), Some("a\r\nb\r\nnew\r\nc\r\n"));
    let r = run("a\nb", "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
    assert_eq!(
        r.content.as_deref(),
        Some("a\nc"),
        "a missing final newline stays missing"
    );
    let r = run(
        "a\nb",
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
    );
    assert_eq!(
        r.content.as_deref(),
        Some("a\nb\n"),
        "unless the diff adds it"
    );
    let r = run(
        "a\nb\n",
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n",
    );
    assert_eq!(r.content.as_deref(), Some("a\nb"), "or removes it");
}

#[test]
fn regression_fuzz_reducing_an_all_context_hunk_does_not_underflow() {
    // Found by the fuzz target: trimming two lines at each end of a three-line hunk panicked.
    let r = run(
        "x\ny\nz\n",
        "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n b\n c\n",
    );
    assert_eq!(statuses(&r), [HunkStatus::NotFound]);
}

/// The shape that made a re-applied release diff (commander 11.0.0 → 11.1.0) write a wrong
/// file: the hunk inserts a block that ends with the same lines its context starts with, so in
/// the patched file the pre-image reappears a few lines below the stated line.
const BLOCK_BEFORE: &str = "  }\n\n  /**\n   * Define a command.\n   */\n  command() {}\n";
const BLOCK_DIFF: &str = "--- a/f\n+++ b/f\n@@ -1,4 +1,9 @@\n   }\n \n   /**\n+   * helper\n+   */\n+  helper() {}\n+\n+  /**\n    * Define a command.\n";

#[test]
fn regression_a_reapplied_hunk_whose_pre_image_reappears_is_already_applied() {
    let first = run(BLOCK_BEFORE, BLOCK_DIFF);
    assert_eq!(statuses(&first), [HunkStatus::Applied]);
    let patched = first.content.unwrap();
    let again = run(&patched, BLOCK_DIFF);
    assert_eq!(statuses(&again), [HunkStatus::AlreadyApplied]);
    assert_eq!(again.hunks[0].line, Some(1));
    assert_eq!(again.content.as_deref(), Some(patched.as_str()));
}

#[test]
fn regression_already_applied_is_checked_before_reduced_context() {
    // Once applied, the full pre-image is gone but a reduced one (without its last context
    // line) still matches: the post-image must win, or the line is added twice.
    let diff = "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n b\n+new\n c\n";
    let again = run("a\nb\nnew\nc\n", diff);
    assert_eq!(statuses(&again), [HunkStatus::AlreadyApplied]);
    assert_eq!(again.content.as_deref(), Some("a\nb\nnew\nc\n"));
}

#[test]
fn a_hunk_whose_pre_and_post_images_are_both_there_is_refused_as_maybe_applied() {
    // The pre-image is below its stated line, the post-image above its stated new line, and
    // no other hunk says which way the file went.
    let file = "x\nx\na\nb\nnew\nc\nx\nx\nx\na\nb\nc\n";
    let diff = "--- a/f\n+++ b/f\n@@ -5,3 +5,4 @@\n a\n b\n+new\n c\n";
    let r = run(file, diff);
    assert_eq!(statuses(&r), [HunkStatus::MaybeApplied]);
    assert_eq!(r.hunks[0].candidates, [10]);
    assert_eq!(r.hunks[0].already_at, [3]);
    assert!(r.content.is_none());
    // Another hunk of the file that is plainly applied settles it: the file went forward.
    // (Its post-image is 2 lines above its stated new line, as the other hunk's is.)
    let diff2 =
        "--- a/f\n+++ b/f\n@@ -3,2 +3,3 @@\n x\n+y\n z\n@@ -5,3 +6,4 @@\n a\n b\n+new\n c\n";
    let r = run("x\ny\nz\na\nb\nnew\nc\nq\nq\na\nb\nc\n", diff2);
    assert_eq!(
        statuses(&r),
        [HunkStatus::AlreadyApplied, HunkStatus::AlreadyApplied]
    );
    // And a plainly placed hunk settles it the other way.
    let r = run(
        "x\nx\na\nb\nnew\nc\nx\nq\nx\na\nb\nc\n",
        "--- a/f\n+++ b/f\n@@ -6,1 +6,1 @@\n-q\n+Q\n@@ -8,3 +8,4 @@\n a\n b\n+new\n c\n",
    );
    assert_eq!(
        statuses(&r),
        [HunkStatus::AppliedOffset, HunkStatus::AppliedOffset]
    );
}

#[test]
fn a_context_free_insertion_already_at_its_line_is_not_inserted_again() {
    // `diff -N` writes a new file as one insertion into an empty file.
    let diff = "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+one\n+two\n";
    let r = run("", diff);
    assert_eq!(r.content.as_deref(), Some("one\ntwo\n"));
    let again = run("one\ntwo\n", diff);
    assert_eq!(statuses(&again), [HunkStatus::AlreadyApplied]);
    assert_eq!(again.content.as_deref(), Some("one\ntwo\n"));
}
