use mgx_patch::diff::parse;
use mgx_patch::make_diff;
use mgx_patch::place::place;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Few distinct lines, so repeated context (the hard case) is common.
    (
        prop::collection::vec(
            prop::sample::select(vec![
                "a",
                "b",
                "c",
                "fn x() {",
                "}",
                "",
                "  indented",
                "-- sql",
                "++ c",
            ]),
            0..40,
        ),
        any::<bool>(),
    )
        .prop_map(|(lines, final_newline)| {
            let mut s = lines.join("\n");
            if final_newline && !s.is_empty() {
                s.push('\n');
            }
            s
        })
}

proptest! {
    #[test]
    fn apply_of_diff_gives_the_new_text(old in text(), new in text()) {
        let diff = make_diff(&old, &new, "f");
        let patch = parse(&diff).unwrap();
        let hunks = patch.files.first().map(|f| f.hunks.clone()).unwrap_or_default();
        let placed = place(&old, &hunks);
        // A diff of a text against itself has no hunks; otherwise every hunk must place
        // (never in the wrong place: the result must be exactly `new`), or be refused.
        match placed.content {
            Some(content) => prop_assert_eq!(content, new),
            None => prop_assert!(placed.hunks.iter().any(|h| !h.status.is_ok())),
        }
    }

    #[test]
    fn applying_a_diff_twice_never_makes_the_change_twice(old in text(), new in text()) {
        // Re-applying a diff to its own result is the commonest agent mistake. The second
        // apply must leave the text as it is: already applied, or refused — never changed.
        let diff = make_diff(&old, &new, "f");
        let patch = parse(&diff).unwrap();
        let hunks = patch.files.first().map(|f| f.hunks.clone()).unwrap_or_default();
        prop_assume!(!hunks.is_empty());
        let again = place(&new, &hunks);
        if let Some(content) = again.content {
            prop_assert_eq!(content, new, "{:?}", again.hunks);
        }
    }

    #[test]
    fn parsing_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }
}
