//! Unified diffs: a parser for every real form, and a renderer.
//!
//! Accepted: `git diff` with its extended headers (`diff --git`, `index`, modes, `new file`,
//! `deleted file`, `rename from/to`, `copy from/to`, `similarity index`), `diff -u` and
//! `diff -ruN` (a timestamp after a tab is not part of the path), `a/` `b/` prefixes or none,
//! `/dev/null`, `\ No newline at end of file`, CRLF patch text, many files and hunks,
//! `@@ -1 +1 @@` with omitted counts, text after the second `@@`, bare `@@` headers without
//! numbers, and headerless hunks when the caller names the target file ([`parse_for`]).
//!
//! Hunk bodies are delimited by structure: a hunk runs while its lines start with ` `, `-`, `+`
//! or `\`. Its counts are recomputed from the body (a mismatch with the header is a warning).
//! A line that looks like a file header (`--- x` followed by `+++ y`) is content while the
//! header's counts still expect lines, so removing a SQL comment `-- note` never renames a file.
//! (A bare `@@` has no counts: there, a removed `-- x` line directly followed by an added `++ y`
//! line cannot be told from a file header, and is read as one. Write counts to avoid it.)
//! Binary patches are recognised and refused when applied. Prose around the diff is ignored.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A parsed patch: the file patches in order, and what looked off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    /// One entry per file the patch touches.
    pub files: Vec<FilePatch>,
    /// Things that parsed but looked off (header counts that disagree with the body …).
    pub warnings: Vec<ParseWarning>,
}

/// Something that parsed but looked off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseWarning {
    /// The 1-based line of the patch.
    pub line: usize,
    /// What is off.
    pub message: String,
}

/// What a file patch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileChange {
    /// Change an existing file by hunks.
    Modify,
    /// Create a file (old side `/dev/null`).
    Create,
    /// Delete a file (new side `/dev/null`).
    Delete,
    /// Move a file (and possibly change it by hunks).
    Rename,
    /// Copy a file (and possibly change the copy by hunks).
    Copy,
}

/// The patch of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePatch {
    /// The old path as written (prefix `a/` removed for git diffs), `None` for `/dev/null`.
    pub old_path: Option<String>,
    /// The new path as written (prefix `b/` removed for git diffs), `None` for `/dev/null`.
    pub new_path: Option<String>,
    /// What the patch does to the file.
    pub change: FileChange,
    /// The hunks, in patch order.
    pub hunks: Vec<Hunk>,
    /// Whether this is a binary patch (it cannot be applied as text).
    pub binary: bool,
    /// The new file mode from `new mode`/`new file mode`, if any.
    pub new_mode: Option<String>,
    /// The 1-based line of the patch where this file starts.
    pub line: usize,
}

impl FilePatch {
    /// The path the change is about: the new path, or the old one for deletions.
    pub fn path(&self) -> Option<&str> {
        self.new_path.as_deref().or(self.old_path.as_deref())
    }
}

/// One hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// The 1-based first old line the header states (`None` for a bare `@@`).
    pub old_start: Option<usize>,
    /// The 1-based first new line the header states (`None` for a bare `@@`).
    pub new_start: Option<usize>,
    /// The text after the second `@@` (often the enclosing function).
    pub section: String,
    /// The body.
    pub lines: Vec<HunkLine>,
    /// Whether the old side's last line has no newline (`\ No newline at end of file`).
    pub old_no_newline: bool,
    /// Whether the new side's last line has no newline.
    pub new_no_newline: bool,
    /// The 1-based line of the `@@` header in the patch.
    pub line: usize,
}

/// The kind of a hunk line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// ` ` — in both versions.
    Context,
    /// `-` — only in the old version.
    Remove,
    /// `+` — only in the new version.
    Add,
}

/// One line of a hunk body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkLine {
    /// Context, removed or added.
    pub kind: LineKind,
    /// The text, without the prefix and the line end.
    pub text: String,
}

impl Hunk {
    /// The number of old lines (context and removed), computed from the body.
    pub fn old_count(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Add)
            .count()
    }

    /// The number of new lines (context and added), computed from the body.
    pub fn new_count(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Remove)
            .count()
    }

    /// The old version of the lines the hunk covers (its pre-image).
    pub fn old_lines(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Add)
            .map(|l| l.text.as_str())
    }

    /// The new version of the lines the hunk covers (its post-image).
    pub fn new_lines(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Remove)
            .map(|l| l.text.as_str())
    }
}

/// Parse a patch. Errors carry the patch line; prose outside the diff is skipped.
///
/// ```
/// let patch = mgx_patch::diff::parse("--- a/x.sql\n+++ b/x.sql\n@@ -1,2 +1,2 @@\n-- note\n+-- better note\n select 1;\n")?;
/// let file = &patch.files[0];
/// assert_eq!(file.path(), Some("x.sql"));
/// assert_eq!(file.hunks[0].lines[0].text, "- note"); // a removed `-- note`, not a header
/// # Ok::<(), mgx_patch::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Patch> {
    Parser::new(text, None).run()
}

/// Parse a patch whose hunks may come without file headers: such hunks belong to `path`.
pub fn parse_for(text: &str, path: &str) -> Result<Patch> {
    Parser::new(text, Some(path)).run()
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    pos: usize,
    default_path: Option<&'a str>,
    patch: Patch,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, default_path: Option<&'a str>) -> Self {
        let mut lines: Vec<&str> = text.split('\n').collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        // Patch text saved with CRLF: every line ends in CR, which belongs to the text file,
        // not to the diff.
        if !lines.is_empty() && lines.iter().all(|l| l.ends_with('\r')) {
            for l in &mut lines {
                *l = &l[..l.len() - 1];
            }
        }
        Parser {
            lines,
            pos: 0,
            default_path,
            patch: Patch::default(),
        }
    }

    fn line_no(&self) -> usize {
        self.pos + 1
    }

    fn peek(&self, ahead: usize) -> Option<&'a str> {
        self.lines.get(self.pos + ahead).copied()
    }

    fn run(mut self) -> Result<Patch> {
        while let Some(line) = self.peek(0) {
            if line.starts_with("diff --git ") {
                self.git_file()?;
            } else if line.starts_with("--- ")
                && self.peek(1).is_some_and(|l| l.starts_with("+++ "))
            {
                self.unified_file(None)?;
            } else if line.starts_with("@@") && hunk_header(line).is_some() {
                let Some(path) = self.default_path else {
                    return Err(Error::MalformedPatch {
                        line: self.line_no(),
                        message: "a hunk without file headers (`--- a/path`, `+++ b/path`); name the target file".into(),
                    });
                };
                let mut file = FilePatch {
                    old_path: Some(path.to_string()),
                    new_path: Some(path.to_string()),
                    change: FileChange::Modify,
                    hunks: Vec::new(),
                    binary: false,
                    new_mode: None,
                    line: self.line_no(),
                };
                self.hunks(&mut file)?;
                self.patch.files.push(file);
            } else if line.starts_with("Binary files ") && line.ends_with(" differ") {
                let (old, new) = binary_paths(line);
                self.patch.files.push(FilePatch {
                    change: FileChange::Modify,
                    old_path: old,
                    new_path: new,
                    hunks: Vec::new(),
                    binary: true,
                    new_mode: None,
                    line: self.line_no(),
                });
                self.pos += 1;
            } else {
                // Prose around the diff.
                self.pos += 1;
            }
        }
        Ok(self.patch)
    }

    /// `diff --git a/x b/y`, extended headers, then `---`/`+++` and hunks (or nothing, for
    /// pure renames, mode changes and binary patches).
    fn git_file(&mut self) -> Result<()> {
        let start = self.line_no();
        let header = self.peek(0).unwrap_or("");
        let (mut old_path, mut new_path) = git_header_paths(&header["diff --git ".len()..]);
        self.pos += 1;
        let mut change = FileChange::Modify;
        let mut binary = false;
        let mut new_mode = None;
        while let Some(line) = self.peek(0) {
            if let Some(mode) = line.strip_prefix("new file mode ") {
                change = FileChange::Create;
                new_mode = Some(mode.trim().to_string());
            } else if line.starts_with("deleted file mode ") {
                change = FileChange::Delete;
            } else if let Some(mode) = line.strip_prefix("new mode ") {
                new_mode = Some(mode.trim().to_string());
            } else if line.starts_with("old mode ")
                || line.starts_with("index ")
                || line.starts_with("similarity index ")
                || line.starts_with("dissimilarity index ")
            {
            } else if let Some(p) = line.strip_prefix("rename from ") {
                change = FileChange::Rename;
                old_path = Some(unquote(p));
            } else if let Some(p) = line.strip_prefix("rename to ") {
                change = FileChange::Rename;
                new_path = Some(unquote(p));
            } else if let Some(p) = line.strip_prefix("copy from ") {
                change = FileChange::Copy;
                old_path = Some(unquote(p));
            } else if let Some(p) = line.strip_prefix("copy to ") {
                change = FileChange::Copy;
                new_path = Some(unquote(p));
            } else if line.starts_with("GIT binary patch")
                || (line.starts_with("Binary files ") && line.ends_with(" differ"))
            {
                binary = true;
                // Skip the binary payload up to the next file.
                self.pos += 1;
                while let Some(l) = self.peek(0) {
                    if l.starts_with("diff --git ") {
                        break;
                    }
                    self.pos += 1;
                }
                break;
            } else {
                break;
            }
            self.pos += 1;
        }
        if old_path.is_none() && new_path.is_none() {
            return Err(Error::MalformedPatch {
                line: start,
                message: "a `diff --git` header without paths".into(),
            });
        }
        // A header that names one path means that file on both sides (a creation or deletion
        // then drops the side that does not exist).
        if new_path.is_none() {
            new_path.clone_from(&old_path);
        }
        if old_path.is_none() {
            old_path.clone_from(&new_path);
        }
        let mut file = FilePatch {
            old_path,
            new_path,
            change,
            hunks: Vec::new(),
            binary,
            new_mode,
            line: start,
        };
        if change == FileChange::Create {
            file.old_path = None;
        }
        if change == FileChange::Delete {
            file.new_path = None;
        }
        if !binary
            && self.peek(0).is_some_and(|l| l.starts_with("--- "))
            && self.peek(1).is_some_and(|l| l.starts_with("+++ "))
        {
            self.unified_file(Some(file))?;
        } else {
            self.patch.files.push(file);
        }
        Ok(())
    }

    /// `--- old`, `+++ new`, then hunks.
    fn unified_file(&mut self, git: Option<FilePatch>) -> Result<()> {
        let start = self.line_no();
        let old_raw = header_path(&self.peek(0).unwrap_or("")[4..]);
        let new_raw = header_path(&self.peek(1).unwrap_or("")[4..]);
        self.pos += 2;
        let (old_path, new_path) = strip_prefixes(old_raw, new_raw);
        let mut file = match git {
            Some(mut g) => {
                // The `---`/`+++` lines of a git diff confirm what the extended headers said.
                if old_path.is_none() {
                    g.change = FileChange::Create;
                    g.old_path = None;
                }
                if new_path.is_none() {
                    g.change = FileChange::Delete;
                    g.new_path = None;
                }
                g
            }
            None => FilePatch {
                change: match (&old_path, &new_path) {
                    (None, Some(_)) => FileChange::Create,
                    (Some(_), None) => FileChange::Delete,
                    _ => FileChange::Modify,
                },
                old_path,
                new_path,
                hunks: Vec::new(),
                binary: false,
                new_mode: None,
                line: start,
            },
        };
        if file.old_path.is_none() && file.new_path.is_none() {
            return Err(Error::MalformedPatch {
                line: start,
                message: "both sides are /dev/null".into(),
            });
        }
        self.hunks(&mut file)?;
        self.patch.files.push(file);
        Ok(())
    }

    fn hunks(&mut self, file: &mut FilePatch) -> Result<()> {
        while let Some(line) = self.peek(0) {
            if !line.starts_with("@@") {
                break;
            }
            let Some(header) = hunk_header(line) else {
                return Err(Error::MalformedPatch {
                    line: self.line_no(),
                    message: format!("unreadable hunk header `{line}`"),
                });
            };
            let hunk_line = self.line_no();
            self.pos += 1;
            let mut hunk = Hunk {
                old_start: header.old_start,
                new_start: header.new_start,
                section: header.section.to_string(),
                lines: Vec::new(),
                old_no_newline: false,
                new_no_newline: false,
                line: hunk_line,
            };
            // What the header still expects; `None` when it gave no counts.
            let mut old_left = header.old_count;
            let mut new_left = header.new_count;
            let mut last_kind: Option<LineKind> = None;
            let mut marked: Vec<usize> = Vec::new();
            while let Some(body) = self.peek(0) {
                let expects_more =
                    old_left.is_some_and(|n| n > 0) || new_left.is_some_and(|n| n > 0);
                let header_like = (body.starts_with("--- ")
                    && self.peek(1).is_some_and(|l| l.starts_with("+++ ")))
                    || body.starts_with("diff --git ")
                    || (body.starts_with("@@") && hunk_header(body).is_some());
                if header_like && !expects_more {
                    break;
                }
                let kind = match body.as_bytes().first() {
                    Some(b' ') => LineKind::Context,
                    Some(b'-') => LineKind::Remove,
                    Some(b'+') => LineKind::Add,
                    Some(b'\\') => {
                        // `\ No newline at end of file` belongs to the line before it; whether
                        // that line ends a side is known once the hunk is complete.
                        if last_kind.is_some() {
                            marked.push(hunk.lines.len() - 1);
                        }
                        self.pos += 1;
                        continue;
                    }
                    None if expects_more || self.more_hunk_lines_follow() => LineKind::Context,
                    _ => break,
                };
                let text = if body.is_empty() { "" } else { &body[1..] };
                hunk.lines.push(HunkLine {
                    kind,
                    text: text.to_string(),
                });
                if kind != LineKind::Add {
                    old_left = old_left.map(|n| n.saturating_sub(1));
                }
                if kind != LineKind::Remove {
                    new_left = new_left.map(|n| n.saturating_sub(1));
                }
                last_kind = Some(kind);
                self.pos += 1;
            }
            if let (Some(old), Some(new)) = (header.old_count, header.new_count)
                && (old != hunk.old_count() || new != hunk.new_count())
            {
                self.patch.warnings.push(ParseWarning {
                    line: hunk_line,
                    message: format!(
                        "the header says -{old} +{new} lines but the body has -{} +{}; the body wins",
                        hunk.old_count(),
                        hunk.new_count()
                    ),
                });
            }
            if hunk.lines.is_empty() {
                return Err(Error::MalformedPatch {
                    line: hunk_line,
                    message: "a hunk with no lines".into(),
                });
            }
            // A marker counts only after the last line of a side: the last old line (context or
            // removed) or the last new line (context or added).
            let last_old = hunk.lines.iter().rposition(|l| l.kind != LineKind::Add);
            let last_new = hunk.lines.iter().rposition(|l| l.kind != LineKind::Remove);
            for &i in &marked {
                let ends_old = Some(i) == last_old;
                let ends_new = Some(i) == last_new;
                hunk.old_no_newline |= ends_old;
                hunk.new_no_newline |= ends_new;
                if !ends_old && !ends_new {
                    self.patch.warnings.push(ParseWarning {
                        line: hunk_line,
                        message: "a `\\ No newline at end of file` marker in the middle of a hunk is ignored".into(),
                    });
                }
            }
            file.hunks.push(hunk);
        }
        Ok(())
    }

    /// After an empty line: do more hunk lines follow (so the empty line is blank context)?
    fn more_hunk_lines_follow(&self) -> bool {
        let mut i = 1;
        while let Some(l) = self.peek(i) {
            match l.as_bytes().first() {
                None => i += 1,
                Some(b' ' | b'-' | b'+' | b'\\') => {
                    return !(l.starts_with("--- ")
                        && self.peek(i + 1).is_some_and(|n| n.starts_with("+++ ")));
                }
                _ => return false,
            }
        }
        false
    }
}

struct HunkHeader<'a> {
    old_start: Option<usize>,
    old_count: Option<usize>,
    new_start: Option<usize>,
    new_count: Option<usize>,
    section: &'a str,
}

/// `@@ -a[,b] +c[,d] @@ section`, or a bare `@@` (numbers unknown).
fn hunk_header(line: &str) -> Option<HunkHeader<'_>> {
    let rest = line.strip_prefix("@@")?;
    let trimmed = rest.trim();
    if trimmed.is_empty() || trimmed == "@@" {
        return Some(HunkHeader {
            old_start: None,
            old_count: None,
            new_start: None,
            new_count: None,
            section: "",
        });
    }
    let rest = rest.trim_start();
    let end = rest.find("@@")?;
    let ranges = &rest[..end];
    let section = rest[end + 2..].trim();
    let mut old = None;
    let mut new = None;
    for part in ranges.split_whitespace() {
        if let Some(r) = part.strip_prefix('-') {
            old = Some(range(r)?);
        } else if let Some(r) = part.strip_prefix('+') {
            new = Some(range(r)?);
        } else {
            return None;
        }
    }
    let (old_start, old_count) = old?;
    let (new_start, new_count) = new?;
    Some(HunkHeader {
        old_start: Some(old_start),
        old_count: Some(old_count),
        new_start: Some(new_start),
        new_count: Some(new_count),
        section,
    })
}

/// `a` or `a,b` (an omitted count is 1).
fn range(text: &str) -> Option<(usize, usize)> {
    match text.split_once(',') {
        Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
        None => Some((text.parse().ok()?, 1)),
    }
}

/// The path of a `---`/`+++` line: before a tab (timestamps), unquoted; `None` for /dev/null.
fn header_path(raw: &str) -> Option<String> {
    let path = raw.split('\t').next().unwrap_or(raw).trim_end();
    // `diff -u` without a tab puts the timestamp after two spaces or more on some systems.
    let path = match path.find("  ") {
        Some(at) if looks_like_timestamp(path[at..].trim()) => path[..at].trim_end(),
        _ => path,
    };
    let path = unquote(path);
    (path != "/dev/null" && !path.is_empty()).then_some(path)
}

fn looks_like_timestamp(s: &str) -> bool {
    s.len() >= 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.as_bytes()[4] == b'-'
}

/// Remove git's `a/` and `b/`, or the differing first directory of `diff -ruN old/ new/`.
fn strip_prefixes(old: Option<String>, new: Option<String>) -> (Option<String>, Option<String>) {
    let strip = |p: &Option<String>, prefix: &str| {
        p.as_ref()
            .and_then(|p| p.strip_prefix(prefix).map(str::to_string))
    };
    let a_ok = old.is_none() || old.as_deref().is_some_and(|p| p.starts_with("a/"));
    let b_ok = new.is_none() || new.as_deref().is_some_and(|p| p.starts_with("b/"));
    if a_ok && b_ok && (old.is_some() || new.is_some()) {
        return (strip(&old, "a/"), strip(&new, "b/"));
    }
    if let (Some(o), Some(n)) = (&old, &new)
        && let (Some((o_dir, o_rest)), Some((n_dir, n_rest))) =
            (o.split_once('/'), n.split_once('/'))
        && o_dir != n_dir
        && o_rest == n_rest
    {
        return (Some(o_rest.to_string()), Some(n_rest.to_string()));
    }
    (old, new)
}

/// The two paths of `diff --git a/x b/y` (quoted paths allowed).
fn git_header_paths(rest: &str) -> (Option<String>, Option<String>) {
    let rest = rest.trim();
    if rest.starts_with('"') {
        let mut parts = Vec::new();
        let mut chars = rest;
        while !chars.is_empty() {
            chars = chars.trim_start();
            if let Some(inner) = chars.strip_prefix('"') {
                let end = inner.find('"').unwrap_or(inner.len());
                parts.push(inner[..end].to_string());
                chars = inner.get(end + 1..).unwrap_or("");
            } else {
                let end = chars.find(' ').unwrap_or(chars.len());
                parts.push(chars[..end].to_string());
                chars = &chars[end..];
            }
        }
        let old = parts
            .first()
            .map(|p| p.strip_prefix("a/").unwrap_or(p).to_string());
        let new = parts
            .get(1)
            .map(|p| p.strip_prefix("b/").unwrap_or(p).to_string());
        return (old, new);
    }
    // `a/x b/x`: split where ` b/` starts the second half of equal length.
    if let Some(a) = rest.strip_prefix("a/") {
        let bytes = a.as_bytes();
        for (i, _) in a.match_indices(" b/") {
            let (left, right) = (&a[..i], &a[i + 3..]);
            if left == right || i * 2 + 3 == bytes.len() {
                return (Some(left.to_string()), Some(right.to_string()));
            }
        }
        if let Some(i) = a.find(" b/") {
            return (Some(a[..i].to_string()), Some(a[i + 3..].to_string()));
        }
    }
    let mut halves = rest.splitn(2, ' ');
    (
        halves.next().map(str::to_string),
        halves.next().map(str::to_string),
    )
}

/// `Binary files a/x and b/y differ`.
fn binary_paths(line: &str) -> (Option<String>, Option<String>) {
    let inner = line
        .trim_start_matches("Binary files ")
        .trim_end_matches(" differ");
    match inner.split_once(" and ") {
        Some((old, new)) => strip_prefixes(header_path(old), header_path(new)),
        None => (None, None),
    }
}

/// Git quotes paths with special characters: `"a/sp ace.txt"` with C escapes.
fn unquote(path: &str) -> String {
    let p = path.trim();
    let Some(inner) = p.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return p.to_string();
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'"') => out.push(b'"'),
            Some(b'\\') => out.push(b'\\'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = bytes.peek() {
                        value = value * 8 + u32::from(n - b'0');
                        bytes.next();
                    }
                }
                out.push(u8::try_from(value).unwrap_or(b'?'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Write a patch back as a git-style unified diff.
pub fn render(patch: &Patch) -> String {
    let mut out = String::new();
    for file in &patch.files {
        let old = file.old_path.as_deref();
        let new = file.new_path.as_deref();
        let name_old = old.or(new).unwrap_or("");
        let name_new = new.or(old).unwrap_or("");
        let _ = writeln!(out, "diff --git a/{name_old} b/{name_new}");
        match file.change {
            FileChange::Create => {
                if let Some(mode) = &file.new_mode {
                    let _ = writeln!(out, "new file mode {mode}");
                }
            }
            FileChange::Delete => {
                let _ = writeln!(out, "deleted file mode 100644");
            }
            FileChange::Rename => {
                let _ = writeln!(out, "rename from {name_old}\nrename to {name_new}");
            }
            FileChange::Copy => {
                let _ = writeln!(out, "copy from {name_old}\ncopy to {name_new}");
            }
            FileChange::Modify => {}
        }
        if let (Some(mode), false) = (&file.new_mode, file.change == FileChange::Create) {
            let _ = writeln!(out, "new mode {mode}");
        }
        if file.binary {
            let _ = writeln!(out, "Binary files a/{name_old} and b/{name_new} differ");
            continue;
        }
        // Creations and deletions always say so with `/dev/null`, even without hunks.
        if file.hunks.is_empty() && !matches!(file.change, FileChange::Create | FileChange::Delete)
        {
            continue;
        }
        let _ = writeln!(
            out,
            "--- {}",
            old.map_or_else(|| "/dev/null".to_string(), |p| format!("a/{p}"))
        );
        let _ = writeln!(
            out,
            "+++ {}",
            new.map_or_else(|| "/dev/null".to_string(), |p| format!("b/{p}"))
        );
        for hunk in &file.hunks {
            match (hunk.old_start, hunk.new_start) {
                // A bare `@@` stays bare: no line numbers are invented.
                (None, None) => out.push_str("@@ @@"),
                (old_start, new_start) => {
                    let range = |start: Option<usize>, count: usize| {
                        format!(
                            "{},{count}",
                            start.unwrap_or(if count == 0 { 0 } else { 1 })
                        )
                    };
                    let _ = write!(
                        out,
                        "@@ -{} +{} @@",
                        range(old_start, hunk.old_count()),
                        range(new_start, hunk.new_count())
                    );
                }
            }
            if !hunk.section.is_empty() {
                let _ = write!(out, " {}", hunk.section);
            }
            out.push('\n');
            let last_old = hunk.lines.iter().rposition(|l| l.kind != LineKind::Add);
            let last_new = hunk.lines.iter().rposition(|l| l.kind != LineKind::Remove);
            for (i, line) in hunk.lines.iter().enumerate() {
                let prefix = match line.kind {
                    LineKind::Context => ' ',
                    LineKind::Remove => '-',
                    LineKind::Add => '+',
                };
                let _ = writeln!(out, "{prefix}{}", line.text);
                let marks_old =
                    hunk.old_no_newline && Some(i) == last_old && line.kind != LineKind::Add;
                let marks_new =
                    hunk.new_no_newline && Some(i) == last_new && line.kind != LineKind::Remove;
                if marks_old || marks_new {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = hunk_header("@@ -1 +1 @@").unwrap();
        assert_eq!(
            (h.old_start, h.old_count, h.new_start, h.new_count),
            (Some(1), Some(1), Some(1), Some(1))
        );
        let h = hunk_header("@@ -10,7 +12,8 @@ fn main() {").unwrap();
        assert_eq!(
            (h.old_start, h.old_count, h.section),
            (Some(10), Some(7), "fn main() {")
        );
        let h = hunk_header("@@ @@").unwrap();
        assert_eq!(h.old_start, None);
        assert!(hunk_header("@@").is_some());
        assert!(hunk_header("@@ -x +1 @@").is_none());
        assert_eq!(
            header_path("a/x.txt\t2024-01-01 10:00:00.000000000 +0100"),
            Some("a/x.txt".into())
        );
        assert_eq!(header_path("/dev/null"), None);
        assert_eq!(header_path("\"a/sp ace.txt\""), Some("a/sp ace.txt".into()));
        assert_eq!(
            git_header_paths("a/src/x y.rs b/src/x y.rs"),
            (Some("src/x y.rs".into()), Some("src/x y.rs".into()))
        );
        assert_eq!(unquote("\"caf\\303\\251.txt\""), "café.txt");
    }
}
