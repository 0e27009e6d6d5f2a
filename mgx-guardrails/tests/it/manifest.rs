use mgx_guardrails::{Manifest, ManifestFile, parse, parse_bytes, render};
use proptest::prelude::*;

fn files(m: &Manifest) -> Vec<(&str, &str)> {
    m.files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect()
}

#[test]
fn the_seed_example_parses() {
    let text = "FILE: package.json\n{\n  \"name\": \"express-api\"\n}\n\nFILE: src/server.ts\nimport express from 'express';\n\nconst app = express();\n\nexport default app;\n";
    let m = parse(text);
    assert_eq!(
        files(&m),
        [
            ("package.json", "{\n  \"name\": \"express-api\"\n}\n"),
            (
                "src/server.ts",
                "import express from 'express';\n\nconst app = express();\n\nexport default app;\n"
            ),
        ]
    );
    assert_eq!((m.files[0].line, m.files[1].line), (1, 6));
    assert_eq!(m.files[1].content_line, 7);
    assert!(m.prose.is_empty() && m.duplicates.is_empty());
}

#[test]
fn fenced_content_loses_its_fence_and_ends_at_the_closing_fence() {
    for info in ["", "python", "c#", "c++", "tsx", "objective-c", "{.py}"] {
        let text = format!(
            "FILE: a\n```{info}\n  indented first line\n\n  x = 1\n```\nThat was the file.\n"
        );
        let m = parse(&text);
        assert_eq!(
            files(&m),
            [("a", "  indented first line\n\n  x = 1\n")],
            "{info}"
        );
        assert_eq!(m.files[0].fence.as_deref(), Some(info));
        assert_eq!(m.prose.len(), 1, "{info}");
        assert_eq!(m.prose[0].text, "That was the file.");
        assert_eq!(m.prose[0].line, 7);
    }
    let m = parse("FILE: a\n~~~~\n```\nnot a close\n```\n~~~~\n");
    assert_eq!(files(&m), [("a", "```\nnot a close\n```\n")]);
}

#[test]
fn regression_a_marker_inside_a_code_block_does_not_split_the_file() {
    // Reference §4: every parser of the original split a file at any line starting `FILE:`.
    let text = "FILE: docs/README.md\n```markdown\n# Format\n```text\nFILE: example.py\nprint(1)\n```\nMore docs.\n```\nFILE: b.py\nx = 1\n";
    let m = parse(text);
    assert_eq!(
        files(&m),
        [
            (
                "docs/README.md",
                "# Format\n```text\nFILE: example.py\nprint(1)\n```\nMore docs.\n"
            ),
            ("b.py", "x = 1\n")
        ]
    );
    // Unfenced content with a fenced block inside: markers within it are content too.
    let m = parse("FILE: notes.md\nSee:\n```\nFILE: not-a-file.txt\n```\nFILE: real.txt\nok\n");
    assert_eq!(
        files(&m),
        [
            ("notes.md", "See:\n```\nFILE: not-a-file.txt\n```\n"),
            ("real.txt", "ok\n")
        ]
    );
}

#[test]
fn regression_decorated_markers_are_recognised() {
    // Reference §4: `### FILE:`, `**FILE:**`, `` `FILE:` `` and `File:` were not recognised.
    let text = "### FILE: a.py\nA\n**FILE:** b.py\nB\n`FILE: c.py`\nC\nFile: d.py\nD\n";
    let m = parse(text);
    assert_eq!(
        files(&m),
        [
            ("a.py", "A\n"),
            ("b.py", "B\n"),
            ("c.py", "C\n"),
            ("d.py", "D\n")
        ]
    );
}

#[test]
fn regression_content_is_kept_exactly() {
    // Reference §4: `.strip()` lost the first line's indentation and the trailing newline.
    let m = parse("FILE: a.py\n    indented = True\n\tand_tab\n\n\nlast\n\n\n");
    assert_eq!(
        files(&m),
        [("a.py", "    indented = True\n\tand_tab\n\n\nlast\n")]
    );
    // CRLF input becomes LF content; the line numbers stay right.
    let m = parse("intro\r\nFILE: a.py\r\nx = 1\r\ny = 2\r\n");
    assert_eq!(files(&m), [("a.py", "x = 1\ny = 2\n")]);
    assert_eq!(m.files[0].line, 2);
    // An empty file stays empty.
    let m = parse("FILE: app/__init__.py\nFILE: b.py\nx\n");
    assert_eq!(files(&m), [("app/__init__.py", ""), ("b.py", "x\n")]);
}

#[test]
fn regression_parse_file_manifest_keeps_indented_lines_as_content() {
    // Reference §2.2: the original's parse_file_manifest turned `  indented` into prose.
    let m = parse("intro\nFILE: a.py\nimport os\nprint(1)\n  indented\nFILE: b.py\nb\n");
    assert_eq!(
        files(&m),
        [
            ("a.py", "import os\nprint(1)\n  indented\n"),
            ("b.py", "b\n")
        ]
    );
    assert_eq!(m.prose.len(), 1);
    assert_eq!((m.prose[0].line, m.prose[0].text.as_str()), (1, "intro"));
}

#[test]
fn regression_paths_are_not_rewritten() {
    // Reference §4: `FILE: docs/FILE:notes.md` became `docs/notes.md`.
    let m = parse("FILE: docs/FILE:notes.md\nx\n");
    assert_eq!(m.files[0].path, "docs/FILE:notes.md");
}

#[test]
fn prose_before_between_and_after_is_kept_with_lines() {
    let text = "Here you go:\n\nFILE: a.py\n```\na\n```\nNow the second file.\nIt is short.\n\nFILE: b.py\n```\nb\n```\nHope this helps!\n";
    let m = parse(text);
    let prose: Vec<(usize, usize, &str)> = m
        .prose
        .iter()
        .map(|p| (p.line, p.end_line, p.text.as_str()))
        .collect();
    assert_eq!(
        prose,
        [
            (1, 1, "Here you go:"),
            (7, 8, "Now the second file.\nIt is short."),
            (14, 14, "Hope this helps!")
        ]
    );
    assert_eq!(files(&m), [("a.py", "a\n"), ("b.py", "b\n")]);
}

#[test]
fn a_fence_around_the_whole_manifest_is_dropped() {
    let text = "Sure:\n```\nFILE: a.py\nprint(1)\nFILE: b.py\nprint(2)\n```\nDone.\n";
    let m = parse(text);
    assert_eq!(files(&m), [("a.py", "print(1)\n"), ("b.py", "print(2)\n")]);
    let prose: Vec<&str> = m.prose.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(prose, ["Sure:", "Done."]);
    // With fenced files inside the wrapper.
    let m = parse("```\nFILE: a.py\n```python\nx\n```\n```\n");
    assert_eq!(files(&m), [("a.py", "x\n")]);
    assert!(m.prose.is_empty());
}

#[test]
fn a_code_block_in_prose_is_prose() {
    let m = parse("Run this:\n```sh\nFILE: not-a-file\n```\n");
    assert!(m.files.is_empty());
    assert_eq!(m.prose.len(), 1);
    assert!(m.prose[0].text.contains("FILE: not-a-file"));
}

#[test]
fn duplicates_are_reported_after_normalisation_and_never_merged() {
    let m = parse(
        "FILE: a.py\n1\nFILE: ./a.py\n2\nFILE: src//b.py\n3\nFILE: src/b.py\n4\nFILE: a.py\n5\n",
    );
    assert_eq!(m.files.len(), 5);
    let dups: Vec<(&str, &[usize])> = m
        .duplicates
        .iter()
        .map(|d| (d.path.as_str(), d.lines.as_slice()))
        .collect();
    assert_eq!(dups, [("a.py", &[1, 3, 9][..]), ("src/b.py", &[5, 7][..])]);
    assert_eq!(
        m.file("./src/b.py").map(|f| f.content.as_str()),
        Some("3\n")
    );
}

#[test]
fn duplicates_are_the_same_for_few_and_many_files() {
    // Few files are compared pairwise, many through a map: both must find the same.
    for n in [1, 2, 5, 31, 32, 33, 64, 100] {
        let paths: Vec<String> = (0..n)
            .map(|i| format!("./src/f{}.py", (i * 7) % 13))
            .collect();
        let text: String = paths
            .iter()
            .enumerate()
            .map(|(i, p)| format!("FILE: {p}\n{i}\n"))
            .collect();
        let m = parse(&text);
        let mut expected: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let normal = p.trim_start_matches("./").to_string();
            let line = 2 * i + 1;
            match expected.iter_mut().find(|(q, _)| *q == normal) {
                Some((_, lines)) => lines.push(line),
                None => expected.push((normal, vec![line])),
            }
        }
        // Ordered by the second occurrence, as found.
        let mut expected: Vec<(String, Vec<usize>)> =
            expected.into_iter().filter(|(_, l)| l.len() > 1).collect();
        expected.sort_by_key(|(_, l)| l[1]);
        let found: Vec<(String, Vec<usize>)> = m
            .duplicates
            .iter()
            .map(|d| (d.path.clone(), d.lines.clone()))
            .collect();
        assert_eq!(found, expected, "{n} files");
    }
}

#[test]
fn text_without_markers_is_all_prose() {
    let m = parse("just some text\nand more\n");
    assert!(m.files.is_empty());
    assert_eq!(m.prose.len(), 1);
    assert_eq!(parse(""), Manifest::default());
}

#[test]
fn invalid_utf8_is_a_typed_error_with_its_position() {
    let err = parse_bytes(b"FILE: a\nok\n\xff\xfe").unwrap_err();
    assert_eq!(
        err,
        mgx_guardrails::Error::InvalidUtf8 {
            offset: 11,
            line: 3
        }
    );
    assert_eq!(err.code(), "invalid_utf8");
    assert!(parse_bytes("FILE: ä\nü\n".as_bytes()).is_ok());
}

#[test]
fn large_input_is_linear() {
    let file = "FILE: src/x.ts\n```ts\n".to_string() + &"const x = 1;\n".repeat(1000) + "```\n";
    let text = file.repeat(2000); // ≈ 26 MB
    let m = parse(&text);
    assert_eq!(m.files.len(), 2000);
    assert_eq!(m.duplicates.len(), 1);
    assert_eq!(m.duplicates[0].lines.len(), 2000);
}

#[test]
fn regression_fuzz_paths_that_end_like_decorations_round_trip() {
    // Found by the fuzz target: `p)*mp**` in backticks rendered bare, and lost its `**` on the way back.
    for path in ["p)*mp**", "a*", "\"quoted\"", "'x'", "sp ace.txt"] {
        let m = Manifest {
            files: vec![ManifestFile {
                path: path.into(),
                content: "x\n".into(),
                line: 0,
                content_line: 0,
                fence: None,
            }],
            ..Manifest::default()
        };
        let again = parse(&render(&m));
        assert_eq!(files(&again), [(path, "x\n")], "{path}");
    }
}

#[test]
fn regression_fuzz_a_fence_with_a_marker_as_info_string_is_a_fence() {
    // Found by the fuzz target: "```FILE: x" read as a marker once rendered.
    let m = parse("FILE: a\n```\u{b}FILE: b\n");
    assert_eq!(files(&m), [("a", "")]);
    assert_eq!(m.files[0].fence.as_deref(), Some("FILE: b"));
    let again = parse(&render(&m));
    assert_eq!(files(&again), [("a", "")]);
    assert_eq!(parse("```FILE: x\n").files.len(), 0);
}

#[test]
fn regression_fuzz_stray_carriage_returns_do_not_drift() {
    // Found by the fuzz target: "x\r\r" lost one CR per render/parse round.
    let m = parse("FILE: a\nx\r\r\r");
    assert_eq!(files(&m), [("a", "x\n")]);
    assert_eq!(files(&parse(&render(&m))), [("a", "x\n")]);
}

fn path_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9_*'\" ][a-zA-Z0-9_.*'\" -]{0,8}", 1..4)
        .prop_map(|parts| parts.join("/"))
        .prop_filter("a path is not blank", |p| !p.trim().is_empty())
}

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,30}",
        Just("```".to_string()),
        Just("```python".to_string()),
        Just("~~~".to_string()),
        Just("````".to_string()),
        Just("FILE: x.py".to_string()),
        Just("**FILE:** y.py".to_string()),
        Just("   ```js".to_string()),
        Just(String::new()),
    ]
}

fn content_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(line_strategy(), 0..12).prop_map(|lines| {
        // Content as the parser returns it: no leading or trailing blank lines, one final newline.
        let lines: Vec<&String> = lines.iter().collect();
        let start = lines.iter().position(|l| !l.trim().is_empty());
        let end = lines.iter().rposition(|l| !l.trim().is_empty());
        match (start, end) {
            (Some(s), Some(e)) => lines[s..=e].iter().map(|l| format!("{l}\n")).collect(),
            _ => String::new(),
        }
    })
}

proptest! {
    #[test]
    fn parse_of_render_gives_back_the_files(
        specs in prop::collection::vec((path_strategy(), content_strategy(), prop::option::of("[a-z#+]{0,6}")), 0..6)
    ) {
        let manifest = Manifest {
            files: specs
                .iter()
                .map(|(path, content, fence)| ManifestFile {
                    path: path.clone(),
                    content: content.clone(),
                    line: 0,
                    content_line: 0,
                    fence: fence.clone(),
                })
                .collect(),
            ..Manifest::default()
        };
        let text = render(&manifest);
        let again = parse(&text);
        let want: Vec<(&str, &str)> = specs.iter().map(|(p, c, _)| (p.as_str(), c.as_str())).collect();
        prop_assert_eq!(files(&again), want, "rendered:\n{}", text);
        prop_assert!(again.prose.is_empty(), "rendered:\n{}", text);
        prop_assert_eq!(render(&again), render(&parse(&render(&again))));
    }

    #[test]
    fn parse_never_panics_and_accounts_for_lines(text in prop::collection::vec(line_strategy(), 0..40).prop_map(|l| l.join("\n"))) {
        let m = parse(&text);
        let lines = text.lines().count().max(1);
        for f in &m.files {
            prop_assert!(f.line >= 1 && f.line <= lines);
            prop_assert!(f.content.is_empty() || f.content.ends_with('\n'));
        }
        for p in &m.prose {
            prop_assert!(p.line <= p.end_line && p.end_line <= lines);
        }
    }

    #[test]
    fn parse_never_panics_on_any_string(text in any::<String>()) {
        let _ = parse(&text);
    }
}
