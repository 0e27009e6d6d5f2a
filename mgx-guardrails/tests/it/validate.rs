use mgx_guardrails::{
    FindingCode, Options, Severity, ValidationResult, Validator, build_revision_prompt, validate,
};
use mgx_stacks::get_stack;

const NONE: &[&str] = &[];

fn check(stack: &str, constraints: &[&str], output: &str) -> ValidationResult {
    validate(
        output,
        Some(get_stack(stack).unwrap()),
        constraints,
        &Options::default(),
    )
}

fn codes(result: &ValidationResult) -> Vec<&'static str> {
    result.findings().map(|f| f.code.as_str()).collect()
}

fn errors(result: &ValidationResult) -> Vec<&'static str> {
    result.errors().iter().map(|f| f.code.as_str()).collect()
}

/// A FastAPI project that satisfies every fastapi rule.
const GOOD_FASTAPI: &str = "\
FILE: app/main.py
```python
import logging
import uuid
import asyncio
from fastapi import FastAPI
from dotenv import load_dotenv
from app.routers import users

app = FastAPI()
app.include_router(users.router)
```
FILE: app/routers/users.py
```python
from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter()
```
FILE: app/__init__.py
FILE: app/routers/__init__.py
FILE: tests/test_users.py
```python
from fastapi.testclient import TestClient
from app.main import app

def test_list() -> None:
    assert TestClient(app).get(\"/users\").status_code == 200
```
FILE: requirements.txt
```
fastapi
uvicorn[standard]
pydantic
python-dotenv
pytest
httpx
```
FILE: .env.example
```
DATABASE_URL=postgresql://user:pass@localhost/db
```
FILE: README.md
```markdown
Run with `uvicorn app.main:app`, test with `pytest`.
```
";

#[test]
fn a_good_project_passes_every_rule() {
    let result = check(
        "fastapi",
        &[
            "No extra libraries",
            "Include .env configuration",
            "Use minimal dependencies",
        ],
        GOOD_FASTAPI,
    );
    assert!(result.is_valid(), "{:?}", result);
    assert!(result.warnings().is_empty(), "{:?}", result.warnings());
    assert_eq!(result.summary(), "validation passed");
}

#[test]
fn empty_output() {
    for output in ["", "  \n\t\n"] {
        let r = check("fastapi", NONE, output);
        assert_eq!(codes(&r), ["empty_output"]);
        assert_eq!(r.summary(), "validation failed: 1 error, 0 warnings");
    }
}

#[test]
fn strict_mode_refuses_prose_anywhere_and_missing_files() {
    // Reference §2 step 1: the original only looked before the first file, and took `PROFILE:` for `FILE:`.
    let out =
        "Intro\nFILE: a.py\n```\nx = 1\n```\nBetween files.\nFILE: b.py\n```\ny = 2\n```\nOutro.\n";
    let r = validate(out, None, NONE, &Options::strict(true));
    let prose: Vec<Option<usize>> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::ProseOutsideFiles)
        .map(|f| f.line)
        .collect();
    assert_eq!(prose, [Some(1), Some(6), Some(11)]);
    let r = validate(
        "PROFILE: x\nsome text\n",
        None,
        NONE,
        &Options::strict(true),
    );
    assert!(r.has(FindingCode::NoFiles));
    assert_eq!(
        r.errors()
            .iter()
            .find(|f| f.code == FindingCode::NoFiles)
            .unwrap()
            .severity,
        Severity::Error
    );
    // Outside strict mode, prose is fine and "no files" is a warning.
    let r = validate("PROFILE: x\nsome text\n", None, NONE, &Options::default());
    assert!(r.is_valid());
    assert!(r.has(FindingCode::NoFiles));
}

#[test]
fn regression_path_attacks_are_all_refused() {
    // Reference §2 step 3: only `..`, /etc/, /var/, /root/ were refused, and `file..name.ts` was.
    let attacks = [
        "/home/u/.ssh/authorized_keys",
        "C:\\Windows\\x.dll",
        "~/.bashrc",
        "../outside.txt",
        "a/../../b",
        "\\\\server\\share\\x",
        ".git/hooks/pre-commit",
        "src/nul.txt",
    ];
    for path in attacks {
        let r = validate(
            &format!("FILE: {path}\nx\n"),
            None,
            NONE,
            &Options::default(),
        );
        assert_eq!(errors(&r), ["invalid_path"], "{path}");
        assert_eq!(r.errors()[0].path.as_deref(), Some(path));
        assert_eq!(r.errors()[0].line, Some(1));
    }
    let r = validate(
        "FILE: src/file..name.ts\nx\n",
        None,
        NONE,
        &Options::default(),
    );
    assert!(r.is_valid(), "{r:?}");
}

#[test]
fn regression_duplicates_are_found_after_normalisation() {
    // Reference §2 step 4: `./main.py` and `main.py` were not duplicates.
    let r = validate(
        "FILE: main.py\na\nFILE: ./main.py\nb\n",
        None,
        NONE,
        &Options::default(),
    );
    assert_eq!(errors(&r), ["duplicate_file"]);
    assert!(
        r.errors()[0].message.contains("lines 1, 3"),
        "{}",
        r.errors()[0].message
    );
}

#[test]
fn regression_required_files_match_real_paths() {
    // Reference §11.5: `app/domain.py` satisfied `main.py` by substring.
    let out = "FILE: app/domain.py\nx = 1\nFILE: requirements.txt\nfastapi\n";
    let r = check("fastapi", NONE, out);
    let missing: Vec<&str> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::MissingRequiredFile)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        missing,
        ["stack `fastapi` requires the file `app/main.py` or `main.py`"]
    );
    // Required directories are real directories too.
    let r = check(
        "express-ts",
        NONE,
        "FILE: package.json\n{}\nFILE: tsconfig.json\n{}\nFILE: mysrc/app.ts\nx\n",
    );
    assert!(r.has(FindingCode::MissingRequiredDir));
    let r = check(
        "express-ts",
        NONE,
        "FILE: package.json\n{}\nFILE: tsconfig.json\n{}\nFILE: src/routes/app.ts\nx\n",
    );
    assert!(!r.has(FindingCode::MissingRequiredDir));
}

#[test]
fn regression_forbidden_files_match_path_components() {
    // Reference §11.5: a `src/vendor/` folder counted as PHP; forbidden files matched as substrings.
    let out = "FILE: package.json\n{}\nFILE: tsconfig.json\n{}\nFILE: src/vendor/x.ts\nx\nFILE: src/requirements.txt.ts\nx\n";
    let r = check("express-ts", NONE, out);
    assert!(!r.has(FindingCode::ForbiddenFile), "{r:?}");
    assert!(!r.has(FindingCode::MixedStack), "{r:?}");
    let r = check(
        "express-ts",
        NONE,
        "FILE: package.json\n{}\nFILE: tsconfig.json\n{}\nFILE: src/a.ts\nx\nFILE: api/requirements.txt\nflask\n",
    );
    let forbidden: Vec<_> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::ForbiddenFile)
        .collect();
    assert_eq!(forbidden.len(), 1);
    assert_eq!(forbidden[0].path.as_deref(), Some("api/requirements.txt"));
    assert!(r.has(FindingCode::MixedStack));
}

#[test]
fn regression_forbidden_imports_ignore_prose_comments_and_strings() {
    // Reference §11.5: "comes from Flask" in prose was a forbidden import for express-ts.
    let out = "This design comes from Flask, but we use Express.\nFILE: package.json\n{}\nFILE: tsconfig.json\n{}\nFILE: src/app.ts\n```ts\n// import flask from 'flask';\nconst note = \"from flask import Flask\";\nimport express from 'express';\n```\n";
    let r = check("express-ts", NONE, out);
    assert!(!r.has(FindingCode::ForbiddenImport), "{r:?}");
    // Real imports are found, with their line in the output.
    let out = "FILE: app/main.py\n```python\nimport os\nfrom django.db import models\n```\nFILE: requirements.txt\nfastapi\n";
    let r = check("fastapi", NONE, out);
    let f = r
        .errors()
        .iter()
        .find(|f| f.code == FindingCode::ForbiddenImport)
        .unwrap();
    assert_eq!((f.path.as_deref(), f.line), (Some("app/main.py"), Some(4)));
    assert!(f.message.contains("`django`"), "{}", f.message);
}

#[test]
fn regression_vitest_is_not_vite() {
    // Reference §11.5: nextjs's `from ['"]vite` rule hit `from 'vitest'`.
    let out = "FILE: package.json\n{}\nFILE: next.config.js\nmodule.exports = {}\nFILE: tsconfig.json\n{}\nFILE: app/page.tsx\nexport default function P() { return null }\nFILE: app/page.test.tsx\n```tsx\nimport { describe, it } from 'vitest';\nimport { defineConfig } from 'vite';\n```\n";
    let r = check("nextjs", NONE, out);
    let forbidden: Vec<String> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::ForbiddenImport)
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(forbidden.len(), 1, "{forbidden:?}");
    assert!(forbidden[0].contains("`vite`"));
}

#[test]
fn regression_no_extra_libraries_knows_stdlib_builtins_own_code_and_dist_names() {
    // Reference §2 step 6: logging, uuid, asyncio, the project's own `app` and `dotenv`
    // (spelled python-dotenv) were all flagged.
    let r = check("fastapi", &["No extra libraries"], GOOD_FASTAPI);
    assert!(!r.has(FindingCode::ExtraLibrary), "{r:?}");
    // Node built-ins, `node:` built-ins and relative imports are fine for express.
    let out = "FILE: package.json\n{\"dependencies\": {\"express\": \"4\"}}\nFILE: tsconfig.json\n{}\nFILE: src/app.ts\n```ts\nimport fs from 'fs';\nimport { join } from 'node:path';\nimport { helper } from './helper';\nimport express from 'express';\n```\n";
    let r = check("express-ts", &["No extra libraries"], out);
    assert!(!r.has(FindingCode::ExtraLibrary), "{r:?}");
}

#[test]
fn regression_no_extra_libraries_sees_every_import_form() {
    // Reference §2 step 6: `import * as`, `import x, {y}`, `import type`, side-effect imports,
    // `export … from` and dynamic `import()` were never seen.
    let forms = [
        "import * as _ from 'lodash';",
        "import a, { b } from 'lodash';",
        "import type { T } from 'lodash';",
        "import 'lodash';",
        "export { x } from 'lodash';",
        "const m = await import('lodash');",
        "const m = require('lodash');",
    ];
    for form in forms {
        let out = format!(
            "FILE: package.json\n{{}}\nFILE: tsconfig.json\n{{}}\nFILE: src/a.ts\n```ts\n{form}\n```\n"
        );
        let r = check("express-ts", &["No extra libraries"], &out);
        let extra: Vec<_> = r
            .errors()
            .iter()
            .filter(|f| f.code == FindingCode::ExtraLibrary)
            .collect();
        assert_eq!(extra.len(), 1, "{form}: {r:?}");
        assert!(extra[0].message.contains("`lodash`"), "{form}");
        assert_eq!(extra[0].line, Some(7), "{form}");
    }
    // Declared dependencies count too.
    let out = "FILE: app/main.py\nfrom fastapi import FastAPI\nFILE: requirements.txt\nfastapi\nrequests\n";
    let r = check(
        "fastapi",
        &["no third-party packages beyond the stack"],
        out,
    );
    let extra: Vec<_> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::ExtraLibrary)
        .collect();
    assert_eq!(extra.len(), 1, "{r:?}");
    assert_eq!(
        (extra[0].path.as_deref(), extra[0].line),
        (Some("requirements.txt"), Some(5))
    );
}

#[test]
fn regression_constraints_understand_negation() {
    // Reference §3: "Don't use pnpm" demanded pnpm; "Do not use environment variables" demanded .env.example.
    let out = "FILE: package.json\n{\"packageManager\": \"pnpm@9.0.0\"}\nFILE: tsconfig.json\n{}\nFILE: src/a.ts\nx\n";
    let r = check("express-ts", &["Don't use pnpm"], out);
    assert_eq!(errors(&r), ["package_manager_conflict"]);
    let r = check("express-ts", &["Use pnpm"], out);
    assert!(r.is_valid(), "{r:?}");
    let r = check("express-ts", &["Do not use environment variables"], out);
    assert!(!r.has(FindingCode::EnvTemplateMissing));
    let r = check("express-ts", &["Must include env vars"], out);
    assert_eq!(errors(&r), ["env_template_missing"]);
}

#[test]
fn package_manager_evidence() {
    let out = "FILE: package.json\n{\"scripts\": {\"build\": \"npm run compile\"}}\nFILE: tsconfig.json\n{}\nFILE: src/a.ts\nx\nFILE: Dockerfile\nRUN yarn install\nFILE: package-lock.json\n{}\n";
    let r = check("express-ts", &["Use pnpm"], out);
    let conflicts: Vec<&str> = r
        .errors()
        .iter()
        .filter(|f| f.code == FindingCode::PackageManagerConflict)
        .map(|f| f.path.as_deref().unwrap())
        .collect();
    assert_eq!(
        conflicts,
        ["package.json", "Dockerfile", "package-lock.json"]
    );
    assert!(r.has(FindingCode::PackageManagerMissing));
}

#[test]
fn minimal_dependencies_threshold_is_configurable() {
    let deps: String = (0..25)
        .map(|i| format!("\"dep{i}\": \"1\""))
        .collect::<Vec<_>>()
        .join(", ");
    let out = format!(
        "FILE: package.json\n{{\"dependencies\": {{{deps}}}}}\nFILE: tsconfig.json\n{{}}\nFILE: src/a.ts\nx\n"
    );
    let r = check("express-ts", &["Use minimal dependencies"], &out);
    assert_eq!(errors(&r), ["too_many_dependencies"]);
    let r = validate(
        &out,
        Some(get_stack("express-ts").unwrap()),
        &["Use minimal dependencies"],
        &Options {
            max_dependencies: 30,
            ..Options::default()
        },
    );
    assert!(r.is_valid());
    let r = check("express-ts", &["at most 30 dependencies"], &out);
    assert!(r.is_valid());
}

#[test]
fn unrecognised_constraints_are_reported_not_ignored() {
    let r = check(
        "fastapi",
        &["Use Pydantic models", "Add JWT authentication"],
        GOOD_FASTAPI,
    );
    assert!(r.is_valid());
    let notes: Vec<&str> = r.notes().iter().map(|f| f.message.as_str()).collect();
    assert_eq!(notes.len(), 2);
    assert!(notes[0].contains("\"Use Pydantic models\" is not checked by machine"));
    let r = validate(
        GOOD_FASTAPI,
        None,
        &["No extra libraries"],
        &Options::default(),
    );
    assert!(r.notes()[0].message.contains("needs a stack"));
}

#[test]
fn mixed_stack_is_a_warning_with_the_families() {
    // The seed's example: an express-ts output with requirements.txt.
    let out = "FILE: package.json\n{}\nFILE: requirements.txt\nfastapi==0.104.0\nFILE: tsconfig.json\n{}\nFILE: src/index.ts\nimport express from 'express';\nFILE: main.py\nfrom fastapi import FastAPI\n";
    let r = check("express-ts", NONE, out);
    let mixed = r
        .warnings()
        .iter()
        .find(|f| f.code == FindingCode::MixedStack)
        .unwrap();
    assert!(
        mixed.message.contains("expects node")
            && mixed.message.contains("python (`requirements.txt`)"),
        "{}",
        mixed.message
    );
    // Golden-path stacks expect their two ecosystems.
    let out = "FILE: package.json\n{}\nFILE: src/App.tsx\nx\nFILE: backend/composer.json\n{}\nFILE: backend/routes/api.php\n<?php\nFILE: backend/app/Models/User.php\n<?php\n";
    assert!(!check("laravel-react", NONE, out).has(FindingCode::MixedStack));
}

#[test]
fn expected_commands_and_recommended_files_are_warnings() {
    let out = "FILE: app/main.py\nfrom fastapi import FastAPI\nFILE: requirements.txt\nfastapi\n";
    let r = check("fastapi", NONE, out);
    assert!(r.is_valid());
    let warnings: Vec<&str> = r.warnings().iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "missing_recommended_file",
            "missing_recommended_file",
            "missing_expected_command",
            "missing_expected_command"
        ]
    );
}

#[test]
fn every_stack_accepts_its_own_layout_and_templates() {
    // An output made of the stack's own required files and test template passes its own rules.
    for spec in mgx_stacks::stacks() {
        let mut out = String::new();
        for rule in &spec.rules.required_files {
            let path = rule
                .split('|')
                .next()
                .unwrap()
                .replace("**/", "")
                .replace('*', "App");
            out.push_str(&format!("FILE: {path}\n```\nok\n```\n"));
        }
        for dir in &spec.rules.required_dirs {
            let dir = dir.split('|').next().unwrap();
            out.push_str(&format!("FILE: {dir}placeholder.txt\n```\nok\n```\n"));
        }
        let r = validate(&out, Some(spec), NONE, &Options::default());
        assert!(r.is_valid(), "{}: {:?}\n{out}", spec.id, r.errors());
    }
}

#[test]
fn empty_files_and_env_files() {
    let r = validate(
        "FILE: app/__init__.py\nFILE: a.py\n\nFILE: .env\nSECRET=x\n",
        None,
        NONE,
        &Options::default(),
    );
    let warnings: Vec<(&str, Option<&str>)> = r
        .warnings()
        .iter()
        .map(|f| (f.code.as_str(), f.path.as_deref()))
        .collect();
    assert_eq!(
        warnings,
        [
            ("empty_file", Some("a.py")),
            ("env_file_included", Some(".env"))
        ]
    );
}

#[test]
fn minified_code_is_a_warning_but_data_is_not() {
    let packed = format!("a=function(){{return{}}};\n", "b+".repeat(200)).repeat(5);
    let out = format!(
        "FILE: static/app.js\n```js\n{packed}```\nFILE: data.json\n```json\n{}1{}\n```\n",
        "[".repeat(12),
        "]".repeat(12)
    );
    let r = validate(&out, None, NONE, &Options::default());
    let minified: Vec<&str> = r
        .warnings()
        .iter()
        .filter(|f| f.code == FindingCode::MinifiedCode)
        .map(|f| f.path.as_deref().unwrap())
        .collect();
    assert_eq!(minified, ["static/app.js", "static/app.js"]);
    let r = validate(
        &out,
        None,
        NONE,
        &Options {
            check_minified: false,
            ..Options::default()
        },
    );
    assert!(!r.has(FindingCode::MinifiedCode));
}

#[test]
fn results_are_deterministic_and_the_same_on_any_split() {
    // Large outputs are checked on several threads; the findings must not depend on it.
    let file =
        "FILE: src/mod{i}.ts\n```ts\nimport lodash from 'lodash';\nimport { x } from 'django';\n"
            .to_string()
            + &"const v = 1;\n".repeat(800)
            + "```\n";
    let big: String = (0..60)
        .map(|i| file.replace("{i}", &i.to_string()))
        .collect();
    assert!(big.len() > 256 * 1024);
    let stack = get_stack("express-ts").unwrap();
    let v = Validator::new(Some(stack), &["No extra libraries"], Options::default());
    let first = v.validate(&big);
    for _ in 0..5 {
        assert_eq!(v.validate(&big), first);
    }
    // Two errors per file (an extra library and a forbidden import), in the order of the output.
    let lines: Vec<usize> = first.errors().iter().filter_map(|f| f.line).collect();
    assert_eq!(lines.len(), 120, "{}", first.summary());
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
}

#[test]
fn the_revision_prompt_lists_everything_deterministically() {
    let out = "FILE: ../x.py\nimport os\nFILE: app/main.py\nfrom django import x\n";
    let r = check("fastapi", &["Use Pydantic models"], out);
    let prompt = build_revision_prompt(&r, "  Create a FastAPI /health endpoint ");
    assert_eq!(
        prompt,
        build_revision_prompt(&r, "  Create a FastAPI /health endpoint ")
    );
    for needle in [
        "OUTPUT VALIDATION FAILED",
        "ERRORS (must fix):",
        "- [invalid_path] `../x.py`: `..` is not allowed",
        "- [forbidden_import] stack `fastapi` forbids `django`",
        "(app/main.py, line 4)",
        "WARNINGS (should fix):",
        "NOT MACHINE-CHECKED (keep in mind):",
        "Original task: Create a FastAPI /health endpoint\n",
        "5. each file appears exactly once.",
    ] {
        assert!(prompt.contains(needle), "missing {needle:?} in\n{prompt}");
    }
}

#[test]
fn results_serialise_with_stable_codes() {
    let r = check("fastapi", NONE, "FILE: ../x\nx\n");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["is_valid"], false);
    assert_eq!(json["errors"][0]["code"], "invalid_path");
    assert_eq!(json["errors"][0]["severity"], "error");
    assert_eq!(json["errors"][0]["path"], "../x");
    assert_eq!(json["errors"][0]["line"], 1);
}
