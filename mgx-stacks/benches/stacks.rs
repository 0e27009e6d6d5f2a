//! Hot paths of mgx-stacks: stack inference over the labelled task set, lookup by id, and task
//! contract parsing. Run with `cargo bench -p mgx-stacks --bench stacks`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mgx_stacks::{StackRegistry, TaskSpec};
use std::hint::black_box;

const LABELLED: &str = include_str!("../tests/data/inference.tsv");

fn labelled() -> Vec<(Option<&'static str>, &'static str)> {
    LABELLED
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(expected, task)| ((expected != "-").then_some(expected), task))
        .collect()
}

fn tasks() -> Vec<&'static str> {
    labelled().into_iter().map(|(_, task)| task).collect()
}

/// Print how often each side is right on the labelled set, so speed is read next to accuracy.
fn report_accuracy() {
    let cases = labelled();
    let registry = StackRegistry::builtin();
    let ours = cases
        .iter()
        .filter(|(e, t)| registry.infer(t).stack.as_deref() == *e)
        .count();
    let naive = cases
        .iter()
        .filter(|(e, t)| Some(naive_substring_rules(t)) == *e)
        .count();
    eprintln!(
        "labelled set: mgx inference {ours}/{n} right, naive substring rules {naive}/{n}",
        n = cases.len()
    );
}

/// The baseline: first-match substring rules in the shape the reference (§1.1) describes for the
/// original system — no words, no scores, no negation. It is fast and wrong (see the misfire
/// tests); the benchmark shows what word-aware scoring costs next to it.
fn naive_substring_rules(task: &str) -> &'static str {
    let t = task.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&[
        "html",
        "vanilla",
        "static page",
        "counter",
        "calculator",
        "landing page",
    ]) && !any(&[
        "react", "vue", "next", "angular", "svelte", "laravel", "flutter",
    ]) {
        return "vanilla-html";
    }
    if any(&["flutter", "dart", "mobile app"]) {
        return "flutter-laravel";
    }
    let laravel = any(&["laravel", "blade", "php"]);
    if laravel && any(&["react", "spa", "dashboard", "frontend", "vite"]) {
        return "laravel-react";
    }
    if laravel {
        return "laravel-blade";
    }
    if any(&["react native", "react-native"]) {
        return "react-native";
    }
    if (t.contains("go") && any(&["fiber", "golang"])) || t.contains("go-fiber") {
        return "go-fiber";
    }
    if t.contains("nest") {
        return "nestjs";
    }
    if t.contains("fastapi") {
        return "fastapi";
    }
    if any(&[".net", "c#", "csharp", "dotnet"]) {
        return "dotnet-api";
    }
    if any(&["api", "backend", "server", "endpoint", "rest"]) {
        return if t.contains("python") {
            "fastapi"
        } else {
            "express-ts"
        };
    }
    if any(&["ui", "component", "page"]) {
        return if t.contains("next") {
            "nextjs"
        } else if t.contains("vue") {
            "vue-vite"
        } else {
            "react-vite"
        };
    }
    if any(&["docker", "container", "compose"]) {
        return "devops-docker";
    }
    if any(&["ci", "cd", "github actions", "pipeline"]) {
        return "ci-github-actions";
    }
    "fastapi"
}

fn inference(c: &mut Criterion) {
    report_accuracy();
    let registry = StackRegistry::builtin();
    let tasks = tasks();
    let bytes: usize = tasks.iter().map(|t| t.len()).sum();
    let mut group = c.benchmark_group("infer");
    group.throughput(Throughput::Elements(tasks.len() as u64));
    group.bench_function("labelled_set", |b| {
        b.iter(|| {
            for task in &tasks {
                black_box(registry.infer(black_box(task)));
            }
        })
    });
    group.bench_function("labelled_set_naive_substring_baseline", |b| {
        b.iter(|| {
            for task in &tasks {
                black_box(naive_substring_rules(black_box(task)));
            }
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64 * 100));
    let long = tasks.join(". ").repeat(100);
    group.bench_function("one_long_text", |b| {
        b.iter(|| black_box(registry.infer(black_box(&long))))
    });
    group.finish();
}

fn lookup_and_parse(c: &mut Criterion) {
    let registry = StackRegistry::builtin();
    c.bench_function("get_stack", |b| {
        b.iter(|| black_box(registry.get(black_box("spring-boot"))))
    });
    c.bench_function("get_stack_unknown_with_suggestions", |b| {
        b.iter(|| black_box(registry.get(black_box("sprng-boot")).is_err()))
    });
    let json = r#"{"task": "Create a REST API for user management", "target_stack": "fastapi",
        "project_type": "api", "output_mode": "generate_new", "strict_requirements": true,
        "constraints": ["Use Pydantic models", "Add JWT authentication"]}"#;
    c.bench_function("task_from_json", |b| {
        b.iter(|| black_box(TaskSpec::from_json(black_box(json))))
    });
}

criterion_group!(benches, inference, lookup_and_parse);
criterion_main!(benches);
