//! Damaged, LLM-like diffs with a known right answer, for the "never a wrong hunk" test and the
//! comparison with GNU patch and git apply (`benches/damaged.rs` includes this file).
//!
//! A case starts from a real source file: one region is edited (a line replaced, inserted or
//! deleted) and the true diff is made. Then the world moves and the diff is damaged the ways
//! model-written diffs are: lines are added elsewhere in the file (drift), the hunk header's line
//! numbers are wrong or missing, context lines lose trailing white space or change indentation,
//! a context line is dropped, the edited region appears twice in the file, or the diff is sent
//! again after it was applied. The expected result is the drifted file with the intended edit
//! (made once); a tool that writes anything else is wrong.

#![allow(dead_code)]

/// A small deterministic generator (xorshift64*).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One case: the file as it is now, a damaged diff, and the right result.
pub(crate) struct Case {
    pub(crate) kind: &'static str,
    pub(crate) file: String,
    pub(crate) diff: String,
    pub(crate) expected: String,
}

pub(crate) const KINDS: [&str; 8] = [
    "drift",
    "wrong_line_numbers",
    "bare_header",
    "whitespace",
    "dropped_context",
    "duplicated_region",
    "ambiguous_copy",
    "applied_twice",
];

fn join(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Make a case of `kind` from `source`, or `None` when the source does not suit it.
pub(crate) fn make(source: &str, kind: &'static str, rng: &mut Rng) -> Option<Case> {
    let lines: Vec<String> = source.lines().map(str::to_string).collect();
    if lines.len() < 40 {
        return None;
    }
    // The edited region: away from both ends, on a line with some content.
    let at = 10 + rng.below(lines.len() - 20);
    if lines[at].trim().len() < 4 {
        return None;
    }
    let mut edited = lines.clone();
    match rng.below(3) {
        0 => edited[at] = format!("{} // changed", lines[at]),
        1 => edited.insert(at + 1, "    let inserted_by_the_patch = 1;".to_string()),
        _ => {
            edited.remove(at);
        }
    }
    let diff = mgx_patch::make_diff(&join(&lines), &join(&edited), "f.rs");
    if diff.is_empty() {
        return None;
    }

    // The world moves: new lines far above the edit (drift), the same in the expected result.
    let drift_lines = 1 + rng.below(30);
    let drift_at = rng.below(at.saturating_sub(6).max(1));
    let drift: Vec<String> = (0..drift_lines)
        .map(|i| format!("// drift line {i} added since the diff was made"))
        .collect();
    let with_drift = |v: &[String]| {
        let mut out = v.to_vec();
        for (k, line) in drift.iter().enumerate() {
            out.insert(drift_at + k, line.clone());
        }
        out
    };
    let mut file = with_drift(&lines);
    let mut expected = with_drift(&edited);

    let mut damaged = diff.clone();
    match kind {
        "drift" => {}
        "wrong_line_numbers" => {
            let shift = 1 + rng.below(40);
            damaged = rewrite_headers(&diff, |old, new| {
                (
                    old.saturating_sub(shift).max(1),
                    new.saturating_sub(shift).max(1),
                )
            });
        }
        "bare_header" => {
            damaged = diff
                .lines()
                .map(|l| {
                    if l.starts_with("@@") {
                        "@@ @@\n".to_string()
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
        }
        "whitespace" => {
            // Context lines lose their trailing white space and tabs become four spaces.
            damaged = diff
                .lines()
                .map(|l| match l.strip_prefix(' ') {
                    Some(rest) => format!(" {}\n", rest.trim_end().replace('\t', "    ")),
                    None => format!("{l}\n"),
                })
                .collect();
        }
        "dropped_context" => {
            // The first context line goes missing; the header still counts it.
            let mut dropped = false;
            damaged = diff
                .lines()
                .filter(|l| {
                    if !dropped && l.starts_with(' ') {
                        dropped = true;
                        return false;
                    }
                    true
                })
                .map(|l| format!("{l}\n"))
                .collect();
        }
        "duplicated_region" => {
            // The edited region (with its context) appears again below: only the stated line
            // (here kept right) can tell which copy is meant.
            let lo = at.saturating_sub(4);
            let hi = (at + 5).min(lines.len());
            let copy: Vec<String> = lines[lo..hi].to_vec();
            let place = file.len();
            file.extend(copy.iter().cloned());
            let expected_place = expected.len();
            let _ = place;
            for (k, line) in copy.into_iter().enumerate() {
                expected.insert(expected_place + k, line);
            }
            // Line numbers are right for the drifted file.
            damaged = rewrite_headers(&diff, |old, new| (old + drift_lines, new + drift_lines));
        }
        "ambiguous_copy" => {
            // An identical copy of the region sits just above it, and the line numbers are off
            // by the drift: nothing in the diff proves which copy is meant. Refusing is right;
            // editing the copy is wrong.
            let lo = at.saturating_sub(4);
            let hi = (at + 5).min(lines.len());
            let copy: Vec<String> = lines[lo..hi].to_vec();
            let pos = lo + if drift_at <= lo { drift_lines } else { 0 };
            for (k, line) in copy.iter().enumerate() {
                file.insert(pos + k, line.clone());
                expected.insert(pos + k, line.clone());
            }
        }
        "applied_twice" => {
            // The diff was applied already and is sent again: the right result is the file as
            // it is. Making the edit a second time is wrong.
            file = expected.clone();
        }
        _ => return None,
    }
    Some(Case {
        kind,
        file: join(&file),
        diff: damaged,
        expected: join(&expected),
    })
}

fn rewrite_headers(diff: &str, f: impl Fn(usize, usize) -> (usize, usize)) -> String {
    diff.lines()
        .map(|l| {
            let Some(rest) = l.strip_prefix("@@ -") else {
                return format!("{l}\n");
            };
            let Some((ranges, _)) = rest.split_once(" @@") else {
                return format!("{l}\n");
            };
            let Some((old, new)) = ranges.split_once(" +") else {
                return format!("{l}\n");
            };
            let parse = |r: &str| -> Option<(usize, String)> {
                let (start, count) = r.split_once(',').map_or((r, None), |(s, c)| (s, Some(c)));
                Some((
                    start.parse().ok()?,
                    count.map(|c| format!(",{c}")).unwrap_or_default(),
                ))
            };
            match (parse(old), parse(new)) {
                (Some((o, oc)), Some((n, nc))) => {
                    let (o, n) = f(o, n);
                    format!("@@ -{o}{oc} +{n}{nc} @@\n")
                }
                _ => format!("{l}\n"),
            }
        })
        .collect()
}

/// Real source files to make cases from: the workspace's own Rust sources.
pub(crate) fn corpus() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut out = Vec::new();
    for dir in [
        "mgx-stacks/src",
        "mgx-guardrails/src",
        "mgx-patch/src",
        "examples/src",
        "bindings-python/src",
        "bindings-node/src",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut paths: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            paths.sort();
            for p in paths {
                if let Ok(text) = std::fs::read_to_string(p) {
                    out.push(text);
                }
            }
        }
    }
    out
}

/// What a tool did with a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Correct,
    Refused,
    Wrong,
}

/// mgx-patch, in memory.
pub(crate) fn mgx(case: &Case) -> Outcome {
    let Ok(patch) = mgx_patch::diff::parse(&case.diff) else {
        return Outcome::Refused;
    };
    let Some(file) = patch.files.first() else {
        return Outcome::Refused;
    };
    match mgx_patch::place::place(&case.file, &file.hunks).content {
        None => Outcome::Refused,
        Some(result) if result == case.expected => Outcome::Correct,
        Some(_) => Outcome::Wrong,
    }
}
