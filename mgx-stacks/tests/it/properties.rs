use mgx_stacks::{
    OutputMode, PathPattern, ProjectType, TaskSpec, dir_matches, infer_stack, path_matches,
};
use proptest::prelude::*;

/// Words the scorer knows, mixed with noise, so generated tasks hit real phrases and negation.
fn tasky_text() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "fastapi",
        "express",
        "not",
        "no",
        "without",
        "react",
        "native",
        "laravel",
        "flutter",
        "api",
        "go",
        "in",
        "python",
        "c#",
        ".net",
        "next.js",
        "vue",
        "docker",
        "ci/cd",
        "migrate",
        "from",
        "to",
        "angular",
        "cli",
        "instead",
        "of",
        ",",
        ".",
        "rather",
        "than",
        "app",
        "mobile",
        "web",
        "dashboard",
        "the",
        "a",
        "🦀",
        "--",
    ]);
    prop::collection::vec(words, 0..24).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn inference_never_panics_and_keeps_its_invariants(text in any::<String>()) {
        let got = infer_stack(&text);
        prop_assert!((0.0..=1.0).contains(&got.confidence));
        prop_assert!(got.candidates.len() <= 5);
        prop_assert!(got.candidates.windows(2).all(|w| w[0].score >= w[1].score));
        match &got.stack {
            None => prop_assert_eq!(got.confidence, 0.0),
            Some(stack) => {
                prop_assert_eq!(&got.candidates[0].stack, stack);
                prop_assert!(got.candidates[0].score >= mgx_stacks::infer::MIN_SCORE);
            }
        }
    }

    #[test]
    fn inference_invariants_hold_on_task_like_text(text in tasky_text()) {
        let got = infer_stack(&text);
        prop_assert!((0.0..=1.0).contains(&got.confidence));
        if got.stack.is_none() {
            prop_assert!(got.note.is_some(), "no stack always says why: {:?}", text);
        }
        // Inference depends on the text only.
        prop_assert_eq!(got, infer_stack(&text));
    }

    #[test]
    fn task_parsing_never_panics(text in any::<String>()) {
        let _ = TaskSpec::parse(&text);
        let _ = TaskSpec::from_json(&text);
    }

    #[test]
    fn task_json_round_trips(
        task in "[a-zA-Z][a-zA-Z0-9 ./-]{0,40}",
        stack in prop::option::of(prop::sample::select(mgx_stacks::BUILTIN_IDS.to_vec())),
        kind in prop::option::of(prop::sample::select(vec![ProjectType::Api, ProjectType::Webapp, ProjectType::Fullstack, ProjectType::Devops])),
        patch in any::<bool>(),
        strict in any::<bool>(),
        constraints in prop::collection::vec("[a-zA-Z][a-zA-Z ]{0,20}", 0..4),
    ) {
        let mut spec = TaskSpec::from_text(&task).unwrap();
        spec.target_stack = stack.map(str::to_string);
        spec.project_type = kind;
        spec.strict_requirements = strict;
        spec.constraints = constraints.iter().map(|c| c.trim().to_string()).collect();
        if patch {
            spec.output_mode = OutputMode::PatchExisting;
            spec.existing_project_path = Some("./project".into());
        }
        let back = TaskSpec::from_json(&spec.to_json()).unwrap();
        prop_assert_eq!(back, spec);
    }
}

/// Paths and rule patterns from a small alphabet, so that `*`, `**`, `|` and `/` meet often.
fn pathy(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "b.py", "src", "*", "**", "*.py", "a*b", "/", "|", " ",
        ]),
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    /// A pattern read once matches exactly what the pattern matches read each time.
    #[test]
    fn a_read_pattern_agrees_with_the_pattern(pattern in pathy(8), path in pathy(6)) {
        let read = PathPattern::new(&pattern);
        prop_assert_eq!(read.matches(&path), path_matches(&pattern, &path));
        prop_assert_eq!(read.matches_dir(&path), dir_matches(&pattern, &path));
    }
}

/// Paths made of separators, dots, spaces and names, in both normal and other forms.
fn pathlike() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "b.py", "src", ".", "..", "/", "\\", " ", "\t", "\u{3000}", "CON", ".git",
        ]),
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    /// The borrowing forms give exactly what the owning ones build, and borrow only when the
    /// path is its own normal form.
    #[test]
    fn borrowed_normal_forms_agree_with_the_built_ones(path in prop_oneof![pathlike(), any::<String>()]) {
        use mgx_stacks::paths::{check, check_borrowed, normal_form, normalize};
        use std::borrow::Cow;
        let normal = normal_form(&path);
        let built = normalize(&path);
        prop_assert_eq!(&*normal, built.as_str());
        if let Cow::Borrowed(b) = normal {
            prop_assert_eq!(b, path.as_str());
        }
        match (check_borrowed(&path), check(&path)) {
            (Ok(borrowed), Ok(built)) => {
                prop_assert_eq!(&*borrowed, built.as_str());
                if let Cow::Borrowed(b) = borrowed {
                    prop_assert_eq!(b, path.as_str());
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "check_borrowed {a:?} but check {b:?}"),
        }
    }
}
