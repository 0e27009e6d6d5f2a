//! Any bytes as a diff: the parser, the renderer and placement must never panic; a parsed
//! patch renders to a patch that parses the same; and every hunk placed on its own pre-image
//! gives exactly its post-image.
//!
//! Run with: cd mgx-patch/fuzz && cargo +nightly fuzz run diff_and_place
#![no_main]

use libfuzzer_sys::fuzz_target;
use mgx_patch::diff::{LineKind, Patch, parse, render};
use mgx_patch::place::place;

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

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(patch) = parse(&text) else { return };
    let _ = place(&text, patch.files.first().map(|f| f.hunks.as_slice()).unwrap_or(&[]));
    for file in &patch.files {
        for hunk in &file.hunks {
            // Text lines with `\n` or `\r` inside cannot come from a parsed diff; skip the law
            // for hunks whose lines a line-based file cannot hold.
            if hunk.lines.iter().any(|l| l.text.contains(['\n', '\r'])) || hunk.old_no_newline || hunk.new_no_newline {
                continue;
            }
            let pre: String = hunk.lines.iter().filter(|l| l.kind != LineKind::Add).map(|l| format!("{}\n", l.text)).collect();
            let post: String = hunk.lines.iter().filter(|l| l.kind != LineKind::Remove).map(|l| format!("{}\n", l.text)).collect();
            if pre.is_empty() {
                continue;
            }
            let mut h = hunk.clone();
            h.old_start = Some(1);
            h.new_start = Some(1);
            let placed = place(&pre, std::slice::from_ref(&h));
            if let Some(content) = placed.content {
                assert_eq!(content, post, "a hunk on its own pre-image must give its post-image");
            }
        }
    }
    let reparsed = parse(&render(&patch));
    // Paths with white space or quotes may not survive a header line; the law is for the rest.
    let plain = patch.files.iter().all(|f| {
        [&f.old_path, &f.new_path].iter().all(|p| p.as_deref().is_none_or(|p| !p.is_empty() && !p.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\')))
    });
    // Without counts, `-- x` followed by `++ y` reads as a file header: the format's own ambiguity.
    let header_like = patch.files.iter().flat_map(|f| &f.hunks).any(|h| {
        h.old_start.is_none() && h.lines.windows(2).any(|w| w[0].kind == LineKind::Remove && w[0].text.starts_with("-- ") && w[1].text.starts_with("++ "))
    });
    if plain && !header_like && !patch.files.iter().any(|f| f.binary) {
        assert_eq!(without_lines(reparsed.expect("a rendered patch parses")), without_lines(patch), "render/parse law");
    }
});
