//! Any bytes through the parser, the renderer, every import lexer and the validator:
//! nothing may panic, and parse(render(m)) must give back m's files.
//!
//! Run with: cd mgx-guardrails/fuzz && cargo +nightly fuzz run manifest_and_validate
#![no_main]

use libfuzzer_sys::fuzz_target;
use mgx_guardrails::imports::{SourceLanguage, imports};
use mgx_guardrails::{Options, build_revision_prompt, parse, parse_bytes, render, validate};

const STACKS: [&str; 4] = ["fastapi", "express-ts", "laravel-react", "go-gin"];
const CONSTRAINTS: [&str; 5] = ["No extra libraries", "Use pnpm", "Don't use npm", "Use minimal dependencies", "Include .env configuration"];

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = parse_bytes(data) else { return };
    let text = std::str::from_utf8(data).unwrap_or_default();

    let again = parse(&render(&manifest));
    let files: Vec<(&str, &str)> = manifest.files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
    let back: Vec<(&str, &str)> = again.files.iter().map(|f| (f.path.as_str(), f.content.as_str())).collect();
    // A path with a backtick cannot be rendered as a marker; everything else must round-trip.
    if manifest.files.iter().all(|f| !f.path.contains('`') && !f.path.trim().is_empty()) {
        assert_eq!(files, back, "render/parse law broken");
    }

    let pick = data.first().copied().unwrap_or(0) as usize;
    for language in SourceLanguage::ALL {
        let _ = imports(language, text);
    }
    let stack = mgx_stacks::get_stack(STACKS[pick % STACKS.len()]).ok();
    let result = validate(text, stack, &CONSTRAINTS, &Options { strict: pick % 2 == 0, ..Options::default() });
    let _ = build_revision_prompt(&result, text);
    let _ = result.summary();
});
