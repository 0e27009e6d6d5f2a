use mgx_stacks::{StackRegistry, infer_stack};

const LABELLED: &str = include_str!("../data/inference.tsv");

fn labelled() -> Vec<(Option<&'static str>, &'static str)> {
    LABELLED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (expected, task) = l.split_once('\t').unwrap_or((l, ""));
            ((expected != "-").then_some(expected), task)
        })
        .collect()
}

#[test]
fn labelled_set_accuracy_is_at_least_95_percent() {
    let cases = labelled();
    assert!(
        cases.len() >= 100,
        "the labelled set must hold at least 100 tasks, has {}",
        cases.len()
    );
    let registry = StackRegistry::builtin();
    for (expected, _) in &cases {
        if let Some(id) = expected {
            assert!(registry.contains(id), "unknown label {id}");
        }
    }
    let mut wrong = Vec::new();
    for (expected, task) in &cases {
        let got = registry.infer(task);
        if got.stack.as_deref() != *expected {
            wrong.push(format!(
                "  {task:?}: expected {}, got {} ({:?}, candidates {:?})",
                expected.unwrap_or("-"),
                got.stack.as_deref().unwrap_or("-"),
                got.note,
                got.candidates
                    .iter()
                    .map(|c| (&c.stack, c.score))
                    .collect::<Vec<_>>()
            ));
        }
    }
    let accuracy = (cases.len() - wrong.len()) as f64 / cases.len() as f64;
    println!(
        "stack inference accuracy: {:.1}% ({} of {} labelled tasks)",
        accuracy * 100.0,
        cases.len() - wrong.len(),
        cases.len()
    );
    for w in &wrong {
        println!("{w}");
    }
    assert!(
        accuracy >= 0.95,
        "accuracy {accuracy:.3} below 0.95:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn none_of_the_original_misfires_repeats() {
    // Reference §1.1: substring matching sent these to the wrong stack.
    let cases = [
        ("Create a quick python script", None),
        ("Build a todo tool", None),
        ("Build a FastAPI calorie calculator API", Some("fastapi")),
        ("Build a nested comments API", None),
        ("Implement a Django REST API", Some("django")),
        ("Build an Angular dashboard", None),
        ("Write a Rust CLI", None),
        ("Create a Spring Boot service", Some("spring-boot")),
        ("make a discord bot", None),
    ];
    for (task, expected) in cases {
        assert_eq!(infer_stack(task).stack.as_deref(), expected, "{task}");
    }
    for task in [
        "Create a quick python script",
        "Build something",
        "Build a nested comments API",
    ] {
        let got = infer_stack(task);
        assert_ne!(got.stack.as_deref(), Some("react-vite"), "{task}");
        assert_ne!(got.stack.as_deref(), Some("nestjs"), "{task}");
    }
}

#[test]
fn nothing_fits_means_no_stack_with_candidates_and_a_reason() {
    let got = infer_stack("Build an Angular dashboard");
    assert_eq!(got.stack, None);
    assert_eq!(got.confidence, 0.0);
    assert_eq!(got.unsupported, ["angular"]);
    let note = got.note.unwrap();
    assert!(
        note.contains("angular") && note.contains("react-vite"),
        "{note}"
    );
    assert!(
        !got.candidates.is_empty(),
        "the frontend stacks are still candidates"
    );

    let got = infer_stack("Build a REST API");
    assert_eq!(got.stack, None);
    assert!(got.candidates.len() >= 3, "{:?}", got.candidates);

    let got = infer_stack("Write a Rust CLI");
    assert_eq!(got.stack, None);
    assert!(got.note.unwrap().contains("cli"));
    assert_eq!(got.candidates[0].stack, "rust-axum");
}

#[test]
fn negation_counts() {
    let got = infer_stack("an Express API, not FastAPI");
    assert_eq!(got.stack.as_deref(), Some("express-ts"));
    let fastapi = got.candidates.iter().find(|c| c.stack == "fastapi");
    assert!(
        fastapi.is_none(),
        "fastapi has negative evidence and is no candidate: {:?}",
        got.candidates
    );

    assert_eq!(
        infer_stack("FastAPI, not Express").stack.as_deref(),
        Some("fastapi")
    );
    assert_eq!(
        infer_stack("Don't use Django; build it with Flask")
            .stack
            .as_deref(),
        Some("flask")
    );
    assert_eq!(
        infer_stack("without Docker: a NestJS API").stack.as_deref(),
        Some("nestjs")
    );
    assert_eq!(infer_stack("not React").stack, None);
}

#[test]
fn confidence_reflects_the_evidence() {
    let named = infer_stack("Create a FastAPI /health endpoint with tests");
    assert_eq!(named.stack.as_deref(), Some("fastapi"));
    assert!(named.is_confident(), "{named:?}");
    let weak = infer_stack("Golang microservice for payments");
    assert!(weak.stack.is_some());
    assert!(
        !weak.is_confident(),
        "two Go stacks fit almost equally: {weak:?}"
    );
    assert!(weak.note.is_some());
    for (_, task) in labelled() {
        let got = infer_stack(task);
        assert!(
            (0.0..=1.0).contains(&got.confidence),
            "{task}: {}",
            got.confidence
        );
        assert!(
            got.candidates.windows(2).all(|w| w[0].score >= w[1].score),
            "{task}: sorted"
        );
        assert!(got.candidates.len() <= 5);
        if let Some(stack) = &got.stack {
            assert_eq!(
                &got.candidates[0].stack, stack,
                "{task}: the winner leads the candidates"
            );
        }
    }
}

#[test]
fn word_awareness() {
    assert_eq!(infer_stack("nested routes").stack, None);
    assert_eq!(
        infer_stack("the nest of components").stack.as_deref(),
        Some("nestjs")
    );
    assert_eq!(
        infer_stack("Let's go build a landing page in plain HTML")
            .stack
            .as_deref(),
        Some("vanilla-html")
    );
    assert_eq!(
        infer_stack("react-native app").stack.as_deref(),
        Some("react-native")
    );
    assert_eq!(
        infer_stack("A Next.js app.").stack.as_deref(),
        Some("nextjs")
    );
    assert_eq!(
        infer_stack("An ASP.NET Core API").stack.as_deref(),
        Some("dotnet-api")
    );
}

#[test]
fn huge_and_odd_input_is_handled() {
    let huge = "Build a FastAPI service. ".repeat(200_000);
    assert_eq!(infer_stack(&huge).stack.as_deref(), Some("fastapi"));
    for odd in [
        "",
        " ",
        "\u{0}",
        "🦀🦀",
        "...",
        "-",
        "'",
        "c++ c# .net",
        "\n\n\t",
    ] {
        let _ = infer_stack(odd);
    }
}
