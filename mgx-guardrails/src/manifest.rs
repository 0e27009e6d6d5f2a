//! The FILE manifest: how a model hands over several files in one answer.
//!
//! ```text
//! Here is the project.            ← prose (kept, with its line number)
//! FILE: app/main.py               ← a marker opens a file
//! ```python                       ← content that is one fenced block loses its fence…
//! from fastapi import FastAPI
//! ```                             ← …and the file ends at the closing fence
//! FILE: requirements.txt          ← unfenced content runs to the next marker
//! fastapi
//! ```
//!
//! The rules, in full:
//!
//! - A **marker** is a line `FILE: <path>` with up to three spaces of indentation. The
//!   decorations models add are accepted: a Markdown heading (`### FILE: x`), bold or code
//!   around the keyword or the path (`**FILE:** x`, `` `FILE: x` ``, ``FILE: `x` ``), and the
//!   spelling `File:`. Lowercase `file:` is not a marker (it is a YAML key). The path is one
//!   word — a line like `File: the config file` is not a marker — unless it is in backticks.
//! - **Fences** (three or more `` ` `` or `~`) are tracked everywhere. A marker inside an open
//!   fence is content. If a file's content starts with a fence, the fence is removed and the
//!   file ends at its closing fence (a bare fence of the same character, at least as long, not
//!   closing a fence opened inside); what follows is prose until the next marker. Fences with an
//!   info string inside the block open nested blocks, so a ```` ```markdown ```` file holding
//!   ```` ```bash ```` examples keeps them. A bare (or `text`/`markdown`) fence in prose whose
//!   next non-blank line is a marker wraps a whole manifest: it is dropped, and so is its
//!   closing fence, which ends an unfenced file.
//! - **Content** is kept exactly — indentation of the first line, inner blank lines — except
//!   that leading and trailing blank lines are dropped and the content ends with exactly one
//!   newline (empty content stays empty). CRLF line ends become LF (stray CRs before a line end
//!   go too).
//! - **Prose** outside files is kept as spans of consecutive non-blank lines with their line
//!   numbers. Unfenced content has no end marker, so text after the last unfenced file is
//!   content of that file.
//! - **Duplicates** are reported, never merged: paths are compared in the normal form of
//!   [`mgx_stacks::paths::normalize`] (`./a.py` = `a.py`, `a//b` = `a/b`), and every file is kept.
//!
//! [`render`] writes a manifest back as text that [`parse`] reads to the same files.

use serde::{Deserialize, Serialize};

use mgx_stacks::paths;

/// A parsed FILE manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The files, in the order they appear.
    pub files: Vec<ManifestFile>,
    /// Text outside files, as spans of consecutive non-blank lines.
    pub prose: Vec<ProseSpan>,
    /// Paths given more than once (after normalisation), in order of first appearance.
    pub duplicates: Vec<Duplicate>,
}

/// One file of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The path as written, without decorations.
    pub path: String,
    /// The content: exact, ending with one newline (or empty).
    pub content: String,
    /// The 1-based line of the marker.
    pub line: usize,
    /// The 1-based line of the first content line (the marker's line when the file is empty).
    pub content_line: usize,
    /// The info string of the fence the content came in (`python`, `c#`, or empty for a bare
    /// fence); `None` when the content was not fenced.
    pub fence: Option<String>,
}

/// Text outside files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProseSpan {
    /// The 1-based first line.
    pub line: usize,
    /// The 1-based last line.
    pub end_line: usize,
    /// The lines, joined with `\n`.
    pub text: String,
}

/// A path given more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The normalised path.
    pub path: String,
    /// The marker lines of every file with this path, in order.
    pub lines: Vec<usize>,
}

impl ProseSpan {
    /// The first line of the span, cut to `max_chars` characters: an excerpt for messages.
    pub fn first_line(&self, max_chars: usize) -> String {
        self.text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(max_chars)
            .collect()
    }
}

impl Manifest {
    /// The paths of the files, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }

    /// The file with this path (compared in normal form); the first one if duplicated.
    pub fn file(&self, path: &str) -> Option<&ManifestFile> {
        let wanted = paths::normal_form(path);
        self.files
            .iter()
            .find(|f| paths::normal_form(&f.path) == wanted)
    }
}

/// Parse a FILE manifest. Never fails: text without markers is a manifest with no files and
/// the text as prose. For bytes that may not be UTF-8, use [`parse_bytes`].
///
/// ```
/// let m = mgx_guardrails::parse("Intro\nFILE: a.py\n```python\nprint(1)\n```\nFILE: b.txt\nhi\n");
/// assert_eq!(m.files.len(), 2);
/// assert_eq!(m.files[0].content, "print(1)\n");
/// assert_eq!(m.files[0].fence.as_deref(), Some("python"));
/// assert_eq!(m.prose[0].text, "Intro");
/// ```
pub fn parse(text: &str) -> Manifest {
    Parser::new(text).run()
}

/// Parse a manifest from bytes: invalid UTF-8 is a typed error naming the byte offset and line,
/// never a panic or a silent replacement.
pub fn parse_bytes(bytes: &[u8]) -> Result<Manifest, crate::Error> {
    let text = crate::error::text(bytes)?;
    Ok(parse(text))
}

/// Write a manifest as text: each file as a marker and its content in a fence longer than any
/// fence inside it, separated by blank lines; prose is not written. `parse(&render(m))` gives
/// back the same paths and contents (a property test holds this).
///
/// ```
/// let m = mgx_guardrails::parse("FILE: a.md\n```markdown\n# T\n```bash\nls\n```\n```\n");
/// let again = mgx_guardrails::parse(&mgx_guardrails::render(&m));
/// assert_eq!(again.files[0].content, m.files[0].content);
/// ```
pub fn render(manifest: &Manifest) -> String {
    let size: usize = manifest
        .files
        .iter()
        .map(|f| f.path.len() + f.content.len() + 32)
        .sum();
    let mut out = String::with_capacity(size);
    for (i, file) in manifest.files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("FILE: ");
        if needs_backticks(&file.path) {
            out.push('`');
            out.push_str(&file.path);
            out.push('`');
        } else {
            out.push_str(&file.path);
        }
        out.push('\n');
        // A fence longer than every run of its character inside the content can only be closed
        // by its own closing line. Backticks, unless the info string has one (CommonMark).
        let info = file.fence.as_deref().unwrap_or("");
        let ch = if info.contains('`') { b'~' } else { b'`' };
        let len = (longest_run(&file.content, ch) + 1).max(3);
        let fence: String = std::iter::repeat_n(char::from(ch), len).collect();
        out.push_str(&fence);
        out.push_str(info);
        out.push('\n');
        out.push_str(&file.content);
        out.push_str(&fence);
        out.push('\n');
    }
    out
}

/// Whether a path must be written in backticks to read back the same: exactly when the bare
/// marker would not give it back (white space, a trailing `*`, surrounding quotes …).
fn needs_backticks(path: &str) -> bool {
    parse_marker(&format!("FILE: {path}")) != Some(path)
}

/// The longest run of `ch` at a line start (after up to three spaces) in `content`.
fn longest_run(content: &str, ch: u8) -> usize {
    content
        .split('\n')
        .map(|line| {
            let b = line.as_bytes();
            let indent = b.iter().take(4).take_while(|&&c| c == b' ').count();
            if indent > 3 {
                return 0;
            }
            b[indent..].iter().take_while(|&&c| c == ch).count()
        })
        .max()
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fence {
    ch: u8,
    len: usize,
}

/// A fence line: its fence and whether it has an info string.
#[derive(Debug, Clone, Copy)]
struct FenceLine<'a> {
    fence: Fence,
    info: &'a str,
}

fn fence_line(line: &str) -> Option<FenceLine<'_>> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && i < 3 && b[i] == b' ' {
        i += 1;
    }
    let ch = *b.get(i)?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let start = i;
    while i < b.len() && b[i] == ch {
        i += 1;
    }
    let len = i - start;
    if len < 3 {
        return None;
    }
    let info = line[i..].trim();
    if ch == b'`' && info.contains('`') {
        return None;
    }
    Some(FenceLine {
        fence: Fence { ch, len },
        info,
    })
}

/// Parse a marker line; returns the path.
pub(crate) fn parse_marker(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && i < 3 && b[i] == b' ' {
        i += 1;
    }
    // Fast exit for the common content line.
    match b.get(i) {
        Some(b'F' | b'#' | b'*' | b'_' | b'`') => {}
        _ => return None,
    }
    if b[i] == b'#' {
        let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
        if hashes > 6 {
            return None;
        }
        i += hashes;
        let spaces = b[i..]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        if spaces == 0 {
            return None;
        }
        i += spaces;
    }
    let open = b[i..]
        .iter()
        .take(3)
        .take_while(|&&c| matches!(c, b'*' | b'_' | b'`'))
        .count();
    // Three backticks open a fence (whatever follows is its info string), not a decoration.
    if b[i..i + open].starts_with(b"```") {
        return None;
    }
    i += open;
    let keyword = &line[i..];
    if !(keyword.starts_with("FILE") || keyword.starts_with("File")) {
        return None;
    }
    i += 4;
    // `**FILE**:` closes the decoration before the colon.
    i += b[i..]
        .iter()
        .take(3)
        .take_while(|&&c| matches!(c, b'*' | b'_' | b'`'))
        .count();
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    // `**FILE:** x` closes it after the colon.
    i += b[i..]
        .iter()
        .take(3)
        .take_while(|&&c| matches!(c, b'*' | b'_'))
        .count();
    let mut rest = line[i..].trim();
    // Close whatever decoration opened the marker.
    rest = rest.trim_end_matches(['*']);
    let rest = rest.trim();
    let backticked = rest.starts_with('`');
    let path = if let Some(inner) = rest.strip_prefix('`') {
        let inner = inner.strip_suffix('`').unwrap_or(inner);
        if open > 0 && b[i - 1] != b'`' {
            inner.trim_end_matches('`')
        } else {
            inner
        }
    } else {
        let bare = rest.trim_end_matches('`');
        if bare.chars().any(char::is_whitespace) {
            return None;
        }
        bare
    };
    // A bare path may come in quotes; in backticks, it is taken as written.
    let path = if backticked {
        path
    } else {
        path.trim().trim_matches(|c| c == '"' || c == '\'')
    };
    // A bare path must look like one (`FILE: ***` is a rule, not a file); backticks are explicit.
    let looks_like_a_path = path
        .chars()
        .any(|c| c.is_alphanumeric() || c == '.' || c == '_');
    if path.is_empty() || path.contains('`') || !(backticked || looks_like_a_path) {
        return None;
    }
    Some(path)
}

/// The lines of a text: (1-based number, line without its end), CR stripped.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            pos: 0,
            number: 0,
        }
    }

    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let (line, advance) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(at) => (&rest[..at], at + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        self.number += 1;
        // CR line ends (and stray CRs before them) are line-end debris, not content.
        Some((self.number, line.trim_end_matches('\r')))
    }

    /// The next line that is not blank, without consuming anything.
    fn peek_nonblank(&self) -> Option<&'a str> {
        let mut probe = Lines {
            text: self.text,
            pos: self.pos,
            number: self.number,
        };
        while let Some((_, line)) = probe.next_line() {
            if !line.trim().is_empty() {
                return Some(line);
            }
        }
        None
    }
}

enum State {
    Prose,
    /// A fenced block in prose (markers inside are prose).
    ProseFence(Fence),
    /// Just after a marker: blank lines until the first content line decide the mode.
    FileStart,
    /// Content that came in a fence; `nested` holds fences opened inside.
    Fenced {
        fence: Fence,
        nested: Vec<Fence>,
    },
    /// Content without a fence; `nested` holds open fences (markers inside are content).
    Unfenced {
        nested: Vec<Fence>,
    },
}

struct Parser<'a> {
    lines: Lines<'a>,
    state: State,
    manifest: Manifest,
    /// A fence in prose that wraps the manifest itself.
    wrapper: Option<Fence>,
    file: Option<OpenFile<'a>>,
    prose: Option<OpenProse<'a>>,
    /// The line buffer of the last finished file, emptied, for the next one to fill.
    spare_lines: Vec<&'a str>,
}

struct OpenFile<'a> {
    path: &'a str,
    line: usize,
    content_line: usize,
    fence: Option<&'a str>,
    lines: Vec<&'a str>,
}

struct OpenProse<'a> {
    line: usize,
    end_line: usize,
    lines: Vec<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            lines: Lines::new(text),
            state: State::Prose,
            manifest: Manifest::default(),
            wrapper: None,
            file: None,
            prose: None,
            spare_lines: Vec::new(),
        }
    }

    fn run(mut self) -> Manifest {
        while let Some((number, line)) = self.lines.next_line() {
            self.step(number, line);
        }
        self.finish_file();
        self.finish_prose();
        self.find_duplicates();
        self.manifest
    }

    fn step(&mut self, number: usize, line: &'a str) {
        match &mut self.state {
            State::Prose => {
                if let Some(path) = parse_marker(line) {
                    self.start_file(number, path);
                } else if let Some(fl) = fence_line(line) {
                    if self.wrapper.is_none()
                        && is_wrapper_info(fl.info)
                        && self.lines.peek_nonblank().and_then(parse_marker).is_some()
                    {
                        self.wrapper = Some(fl.fence);
                        self.finish_prose();
                    } else if self.closes_wrapper(fl) {
                        self.wrapper = None;
                        self.finish_prose();
                    } else {
                        self.state = State::ProseFence(fl.fence);
                        self.push_prose(number, line);
                    }
                } else {
                    self.push_prose(number, line);
                }
            }
            State::ProseFence(fence) => {
                let fence = *fence;
                self.push_prose(number, line);
                if let Some(fl) = fence_line(line)
                    && fl.info.is_empty()
                    && fl.fence.ch == fence.ch
                    && fl.fence.len >= fence.len
                {
                    self.state = State::Prose;
                }
            }
            State::FileStart => {
                if line.trim().is_empty() {
                    return;
                }
                if let Some(file) = &mut self.file {
                    file.content_line = number;
                }
                if let Some(path) = parse_marker(line) {
                    self.start_file(number, path);
                } else if let Some(fl) = fence_line(line) {
                    if self.closes_wrapper(fl) {
                        self.wrapper = None;
                        self.finish_file();
                        self.state = State::Prose;
                        return;
                    }
                    if let Some(file) = &mut self.file {
                        file.fence = Some(fl.info);
                        file.content_line = number + 1;
                    }
                    self.state = State::Fenced {
                        fence: fl.fence,
                        nested: Vec::new(),
                    };
                } else {
                    self.push_content(line);
                    self.state = State::Unfenced { nested: Vec::new() };
                }
            }
            State::Fenced { fence, nested } => {
                if let Some(fl) = fence_line(line) {
                    let longest_nested = nested
                        .iter()
                        .filter(|f| f.ch == fence.ch)
                        .map(|f| f.len)
                        .max()
                        .unwrap_or(0);
                    if fl.info.is_empty()
                        && fl.fence.ch == fence.ch
                        && fl.fence.len >= fence.len
                        && fl.fence.len > longest_nested
                    {
                        self.finish_file();
                        self.state = State::Prose;
                        return;
                    }
                    track_nested(nested, fl);
                }
                self.push_content(line);
            }
            State::Unfenced { nested } => {
                if let Some(fl) = fence_line(line) {
                    if nested.is_empty() && self.closes_wrapper(fl) {
                        self.wrapper = None;
                        self.finish_file();
                        self.state = State::Prose;
                        return;
                    }
                    if let State::Unfenced { nested } = &mut self.state {
                        track_nested(nested, fl);
                    }
                    self.push_content(line);
                } else if nested.is_empty()
                    && let Some(path) = parse_marker(line)
                {
                    self.start_file(number, path);
                } else {
                    self.push_content(line);
                }
            }
        }
    }

    fn closes_wrapper(&self, fl: FenceLine<'_>) -> bool {
        self.wrapper
            .is_some_and(|w| fl.info.is_empty() && fl.fence.ch == w.ch && fl.fence.len >= w.len)
    }

    fn start_file(&mut self, number: usize, path: &'a str) {
        self.finish_file();
        self.finish_prose();
        self.file = Some(OpenFile {
            path,
            line: number,
            content_line: number,
            fence: None,
            lines: std::mem::take(&mut self.spare_lines),
        });
        self.state = State::FileStart;
    }

    fn push_content(&mut self, line: &'a str) {
        if let Some(file) = &mut self.file {
            file.lines.push(line);
        }
    }

    fn push_prose(&mut self, number: usize, line: &'a str) {
        if line.trim().is_empty() && !matches!(self.state, State::ProseFence(_)) {
            self.finish_prose();
            return;
        }
        match &mut self.prose {
            Some(p) => {
                p.end_line = number;
                p.lines.push(line);
            }
            None => {
                self.prose = Some(OpenProse {
                    line: number,
                    end_line: number,
                    lines: vec![line],
                })
            }
        }
    }

    fn finish_prose(&mut self) {
        if let Some(p) = self.prose.take() {
            let mut lines = p.lines;
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            let end_line = p.line + lines.len().saturating_sub(1);
            if !lines.is_empty() {
                self.manifest.prose.push(ProseSpan {
                    line: p.line,
                    end_line,
                    text: lines.join("\n"),
                });
            }
        }
    }

    fn finish_file(&mut self) {
        let Some(file) = self.file.take() else { return };
        let mut lines: &[&str] = &file.lines;
        let mut content_line = file.content_line;
        while let Some((first, rest)) = lines.split_first() {
            if !first.trim().is_empty() {
                break;
            }
            lines = rest;
            content_line += 1;
        }
        while let Some((last, rest)) = lines.split_last() {
            if !last.trim().is_empty() {
                break;
            }
            lines = rest;
        }
        let mut content = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            content.push_str(line);
            content.push('\n');
        }
        self.manifest.files.push(ManifestFile {
            path: file.path.to_string(),
            content,
            line: file.line,
            content_line,
            fence: file.fence.map(str::to_string),
        });
        let mut spare = file.lines;
        spare.clear();
        self.spare_lines = spare;
    }

    fn find_duplicates(&mut self) {
        let files = &self.manifest.files;
        // Paths borrowed where they are already normal (nearly always): no `String` per file.
        let normals: Vec<std::borrow::Cow<'_, str>> =
            files.iter().map(|f| paths::normal_form(&f.path)).collect();
        // The first file with each file's path: a few files are compared pairwise (no
        // hashing, no table), many through a map.
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut first_of = |i: usize| -> usize {
            if normals.len() <= SMALL_MANIFEST {
                normals[..i]
                    .iter()
                    .position(|n| *n == normals[i])
                    .unwrap_or(i)
            } else {
                *seen.entry(normals[i].as_ref()).or_insert(i)
            }
        };
        let mut duplicates: Vec<Duplicate> = Vec::new();
        for i in 0..files.len() {
            let first = first_of(i);
            if first == i {
                continue;
            }
            let normal = &normals[i];
            match duplicates.iter_mut().find(|d| d.path == **normal) {
                Some(d) => d.lines.push(files[i].line),
                None => duplicates.push(Duplicate {
                    path: normal.clone().into_owned(),
                    lines: vec![files[first].line, files[i].line],
                }),
            }
        }
        self.manifest.duplicates = duplicates;
    }
}

/// Manifests of up to this many files look for duplicate paths pairwise.
const SMALL_MANIFEST: usize = 32;

/// Whether a fence in prose may wrap a whole manifest: bare, or labelled as plain text.
fn is_wrapper_info(info: &str) -> bool {
    matches!(
        info.to_ascii_lowercase().as_str(),
        "" | "text" | "txt" | "plaintext" | "markdown" | "md"
    )
}

/// Track fences opened inside content: an info string always opens; a bare fence closes the
/// innermost open fence of its character if long enough, and opens one otherwise.
fn track_nested(nested: &mut Vec<Fence>, fl: FenceLine<'_>) {
    if fl.info.is_empty()
        && let Some(top) = nested.last()
        && top.ch == fl.fence.ch
        && fl.fence.len >= top.len
    {
        nested.pop();
        return;
    }
    nested.push(fl.fence);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_their_decorations() {
        let ok = [
            ("FILE: a.py", "a.py"),
            ("FILE:a.py", "a.py"),
            ("  FILE: src/app.ts  ", "src/app.ts"),
            ("### FILE: x.ts", "x.ts"),
            ("## File: x.ts", "x.ts"),
            ("**FILE:** x.ts", "x.ts"),
            ("**FILE: x.ts**", "x.ts"),
            ("**FILE**: x.ts", "x.ts"),
            ("`FILE: x.ts`", "x.ts"),
            ("FILE: `x.ts`", "x.ts"),
            ("FILE: `my file.txt`", "my file.txt"),
            ("### **FILE:** `app/[id]/page.tsx`", "app/[id]/page.tsx"),
            ("FILE: \"a.py\"", "a.py"),
            ("File: README.md", "README.md"),
        ];
        for (line, path) in ok {
            assert_eq!(parse_marker(line), Some(path), "{line:?}");
        }
        let not = [
            "file: a.py",
            "PROFILE: x",
            "File: the config file",
            "FILE:",
            "FILE: ``",
            "    FILE: a.py",
            "#FILE: a.py",
            "FILENAME: a.py",
            "FILES: a.py",
            "// FILE: a.py",
            "FILE: ***",
        ];
        for line in not {
            assert_eq!(parse_marker(line), None, "{line:?}");
        }
    }

    #[test]
    fn fence_lines() {
        assert!(fence_line("```").is_some());
        assert_eq!(fence_line("```c#").map(|f| f.info), Some("c#"));
        assert_eq!(fence_line("~~~~ c++ ").map(|f| f.info), Some("c++"));
        assert!(fence_line("``").is_none());
        assert!(fence_line("``` a`b").is_none());
        assert!(fence_line("    ```").is_none());
    }
}
