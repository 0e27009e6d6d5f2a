//! Hot paths of mgx-guardrails: parsing and validating a generated 2 MB manifest of 200 files
//! (fastapi and express-ts, one file in four fenced), the workload the original system measured
//! at 19–116 MB/s for parsing and 7–10 MB/s for validation.
//!
//! Run with `cargo bench -p mgx-guardrails --bench guardrails`.
#![allow(clippy::panic)] // a benchmark that cannot set up should stop loudly

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;

/// A generated manifest for a stack: `files` files of about `file_size` bytes each.
fn generate(stack: &str, files: usize, file_size: usize) -> String {
    let mut out = String::with_capacity(files * (file_size + 64));
    out.push_str("Here is the complete project.\n\n");
    for i in 0..files {
        let (path, lang, body) = match (stack, i) {
            ("fastapi", 0) => (
                "requirements.txt".to_string(),
                "",
                "fastapi\nuvicorn\npydantic\npydantic-settings\npython-dotenv\n".to_string(),
            ),
            ("fastapi", 1) => (
                "app/main.py".to_string(),
                "python",
                python_file(i, file_size),
            ),
            ("fastapi", 2) => (
                ".env.example".to_string(),
                "",
                "DATABASE_URL=postgresql://user:pass@localhost/db\n".to_string(),
            ),
            ("fastapi", _) if i % 10 == 3 => (
                format!("tests/test_mod{i}.py"),
                "python",
                python_file(i, file_size),
            ),
            ("fastapi", _) => (
                format!("app/routers/mod{i}.py"),
                "python",
                python_file(i, file_size),
            ),
            (_, 0) => ("package.json".to_string(), "json", package_json()),
            (_, 1) => (
                "tsconfig.json".to_string(),
                "json",
                "{\n  \"compilerOptions\": { \"strict\": true, \"outDir\": \"dist\" }\n}\n"
                    .to_string(),
            ),
            (_, 2) => (".env.example".to_string(), "", "PORT=3000\n".to_string()),
            (_, _) if i % 10 == 3 => (format!("tests/mod{i}.test.ts"), "ts", ts_file(i, file_size)),
            (_, _) => (format!("src/routes/mod{i}.ts"), "ts", ts_file(i, file_size)),
        };
        let _ = writeln!(out, "FILE: {path}");
        if i % 4 == 0 {
            let _ = writeln!(out, "```{lang}");
            out.push_str(&body);
            out.push_str("```\n\n");
        } else {
            out.push_str(&body);
            out.push('\n');
        }
    }
    out
}

fn python_file(i: usize, size: usize) -> String {
    let mut s = String::with_capacity(size + 256);
    s.push_str("\"\"\"Module docstring: FILE handling, `imports` and strings are content.\"\"\"\n");
    s.push_str("import os\nimport json\nfrom typing import Optional\n\nfrom fastapi import APIRouter, HTTPException\n");
    s.push_str("from pydantic import BaseModel\nfrom app.services import store\n\nrouter = APIRouter()\n\n");
    let mut n = 0;
    while s.len() < size {
        let _ = write!(
            s,
            "\nclass Item{i}x{n}(BaseModel):\n    name: str\n    price: float = 0.0  # a comment with 'quotes'\n\n\
             @router.get(\"/items/{i}/{n}\")\nasync def read_{i}_{n}(item_id: int) -> Optional[dict]:\n    \
             \"\"\"Return one item; raise 404 when absent.\"\"\"\n    value = store.get(item_id)\n    if value is None:\n        \
             raise HTTPException(status_code=404, detail=\"import os is not code here\")\n    return json.loads(value)\n"
        );
        n += 1;
    }
    s
}

fn ts_file(i: usize, size: usize) -> String {
    let mut s = String::with_capacity(size + 256);
    s.push_str("import express, { Request, Response } from 'express';\nimport * as path from 'node:path';\n");
    s.push_str("import { helper } from '../utils/helper';\n// import fake from 'not-a-real-import';\n\nconst router = express.Router();\n");
    let mut n = 0;
    while s.len() < size {
        let _ = write!(
            s,
            "\n/** Handler {n} of module {i}. */\nrouter.get('/items/{i}/{n}', async (req: Request, res: Response) => {{\n  \
             const name = `item-${{req.params.id}}`; // template literal\n  const file = path.join('data', name);\n  \
             res.json({{ name, file, ok: helper(name) }});\n}});\n"
        );
        n += 1;
    }
    s.push_str("\nexport default router;\n");
    s
}

fn package_json() -> String {
    "{\n  \"name\": \"api\",\n  \"scripts\": { \"dev\": \"ts-node-dev src/server.ts\", \"build\": \"tsc\", \"test\": \"jest\", \"start\": \"node dist/server.js\" },\n  \"dependencies\": { \"express\": \"^4.19.0\", \"dotenv\": \"^16.4.0\", \"cors\": \"^2.8.5\", \"helmet\": \"^7.1.0\" },\n  \"devDependencies\": { \"typescript\": \"^5.4.0\", \"jest\": \"^29.7.0\", \"supertest\": \"^7.0.0\" }\n}\n".to_string()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for stack in ["fastapi", "express-ts"] {
        let text = generate(stack, 200, 10_500);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{stack}_200_files_{}KB", text.len() / 1024), |b| {
            b.iter(|| black_box(mgx_guardrails::parse(black_box(&text))))
        });
    }
    group.finish();
}

/// The baseline: validation in the original's style (reference §2) — a line scan for paths,
/// then one case-insensitive regex pass over the whole output per forbidden-import rule, and a
/// substring search per required command. It is what mgx replaces, measured in the same run.
fn naive_validate(text: &str, forbidden: &[regex::Regex], commands: &[&str]) -> usize {
    let paths = text
        .lines()
        .filter(|l| l.trim_start().starts_with("FILE:"))
        .count();
    let hits: usize = forbidden.iter().map(|re| re.find_iter(text).count()).sum();
    let missing = commands.iter().filter(|c| !text.contains(*c)).count();
    paths + hits + missing
}

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    let cases: [(&str, &[&str]); 2] = [
        (
            "fastapi",
            &["No extra libraries", "Include .env configuration"],
        ),
        ("express-ts", &["Use pnpm", "No extra libraries"]),
    ];
    for (stack_id, constraints) in cases {
        let text = generate(stack_id, 200, 10_500);
        let stack = mgx_stacks::get_stack(stack_id).ok();
        group.throughput(Throughput::Bytes(text.len() as u64));
        for strict in [false, true] {
            let validator = mgx_guardrails::Validator::new(
                stack,
                constraints,
                mgx_guardrails::Options::strict(strict),
            );
            let result = validator.validate(&text);
            // The workload must exercise the rules, not short-circuit: print what it finds once.
            eprintln!(
                "{stack_id} strict={strict}: {} ({} findings)",
                result.summary(),
                result.findings().count()
            );
            let name = format!("{stack_id}{}", if strict { "_strict" } else { "" });
            group.bench_function(name, |b| {
                b.iter(|| black_box(validator.validate(black_box(&text))))
            });
        }
    }
    // The original's fastapi rules: four forbidden-import regexes, two required commands.
    let text = generate("fastapi", 200, 10_500);
    let forbidden: Vec<regex::Regex> = [
        r"import\s+express",
        r"require\s*\(",
        r"use\s+Illuminate",
        r"from\s+django",
    ]
    .iter()
    .map(|p| {
        regex::RegexBuilder::new(p)
            .case_insensitive(true)
            .multi_line(true)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    })
    .collect();
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("fastapi_naive_regex_per_rule_baseline", |b| {
        b.iter(|| {
            black_box(naive_validate(
                black_box(&text),
                &forbidden,
                &["uvicorn", "pytest"],
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, parse, validation);
criterion_main!(benches);
