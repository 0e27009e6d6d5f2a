//! Hunk placement: find where each hunk belongs, prove it is the one place, or refuse.
//!
//! For each hunk, every position where its pre-image (context and removed lines) occurs is
//! found, level by level — [`MatchLevel::Exact`], then ignoring CR, then ignoring trailing white
//! space, then a uniform change of indentation — stopping at the first level with candidates. A
//! position is accepted only when it is provably the one:
//!
//! - it is the only candidate at that level; or
//! - there are several, and one is exactly at the line the header states, or at the offset on
//!   which all the file's uniquely placed hunks agree.
//!
//! Otherwise the hunk is [`HunkStatus::Ambiguous`] and its candidates are listed.
//!
//! A diff applied twice must not make its change twice, so the post-image (context and added
//! lines) is looked for too. A hunk whose post-image is there and whose pre-image is not is
//! [`HunkStatus::AlreadyApplied`] — never reversed. When both are there (a hunk that inserts a
//! block ending with its own context leaves its pre-image a few lines further down), the one at
//! the stated line wins, or the one at the offset the file's settled hunks agree on; when
//! nothing decides, the hunk is [`HunkStatus::MaybeApplied`] and both sets of lines are listed.
//!
//! When neither image matches, context is reduced (up to two lines at either end, like GNU
//! patch's fuzz, keeping at least one context line and two old lines), and the reduced
//! pre-image must again match exactly once. Removed lines always have to match. Hunks are
//! placed independently, then sorted; overlaps are conflicts. A failed hunk reports the
//! nearest partial match, so an agent can repair its diff.
//!
//! The result keeps the file's own context lines and line endings; added lines take the file's
//! dominant line ending, and a missing final newline stays missing unless the diff says otherwise.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::hash::Hasher as _;

use rustc_hash::FxHasher;

use serde::{Deserialize, Serialize};

use crate::diff::{Hunk, LineKind};

/// How loosely a hunk was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLevel {
    /// Byte for byte (without line ends).
    Exact,
    /// Ignoring a carriage return at the end of diff lines.
    IgnoreCr,
    /// Ignoring trailing white space.
    TrailingWhitespace,
    /// Ignoring a uniform change of indentation (added lines get the same change).
    Indentation,
}

const LEVELS: [MatchLevel; 4] = [
    MatchLevel::Exact,
    MatchLevel::IgnoreCr,
    MatchLevel::TrailingWhitespace,
    MatchLevel::Indentation,
];

/// What happened to one hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HunkStatus {
    /// Placed at the stated line, matched exactly.
    Applied,
    /// Placed elsewhere than the stated line, matched exactly.
    AppliedOffset,
    /// Placed after normalising (CR, trailing white space or indentation).
    AppliedNormalized,
    /// Placed with less context (and then matched exactly once).
    AppliedReducedContext,
    /// Its change is already in the file; nothing to do.
    AlreadyApplied,
    /// Its pre-image occurs nowhere.
    NotFound,
    /// Its pre-image occurs in several places and none is provably the one.
    Ambiguous,
    /// Both its pre-image and its post-image are in the file, and nothing proves which one
    /// the diff meets: applying it could make the change twice. See
    /// [`HunkReport::candidates`] and [`HunkReport::already_at`].
    MaybeApplied,
    /// It overlaps another hunk.
    Conflict,
}

impl HunkStatus {
    /// Whether the hunk's change is in the result (applied now or already there).
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            HunkStatus::Applied
                | HunkStatus::AppliedOffset
                | HunkStatus::AppliedNormalized
                | HunkStatus::AppliedReducedContext
                | HunkStatus::AlreadyApplied
        )
    }
}

/// The nearest partial match of a hunk that did not place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearestMatch {
    /// The 1-based file line where the best window starts.
    pub line: usize,
    /// How many pre-image lines match there (ignoring white space at the ends).
    pub matching: usize,
    /// How many pre-image lines the hunk has.
    pub total: usize,
    /// The first pre-image line that does not match there, and the file's line instead.
    pub first_difference: Option<(String, String)>,
}

/// What happened to one hunk, with where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkReport {
    /// The hunk's index in the file patch.
    pub index: usize,
    /// The outcome.
    pub status: HunkStatus,
    /// The 1-based line in the original file where the hunk's pre-image starts (or, for a
    /// hunk already applied, where its post-image does).
    pub line: Option<usize>,
    /// Placed line minus stated line (for a hunk already applied: found line minus the stated
    /// new line).
    pub offset: Option<isize>,
    /// The matching level used.
    pub level: Option<MatchLevel>,
    /// Context lines dropped (reduced-context placements).
    pub fuzz: usize,
    /// For ambiguous hunks: every line where the pre-image starts (1-based).
    pub candidates: Vec<usize>,
    /// For hunks whose change may already be there: every line where the post-image starts.
    #[serde(default)]
    pub already_at: Vec<usize>,
    /// For hunks that did not place: the nearest partial match.
    pub nearest: Option<NearestMatch>,
}

/// The outcome of placing a file's hunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// One report per hunk, in patch order.
    pub hunks: Vec<HunkReport>,
    /// The new content, when every hunk is ok.
    pub content: Option<String>,
    /// The content with only the hunks that placed (for review artifacts), when some failed.
    pub partial: Option<String>,
}

impl Placement {
    /// Whether every hunk placed or was already applied.
    pub fn is_complete(&self) -> bool {
        self.hunks.iter().all(|h| h.status.is_ok())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Lf,
    CrLf,
    None,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::Lf => "\n",
            Ending::CrLf => "\r\n",
            Ending::None => "",
        }
    }
}

/// A file split into lines (text without its end) and line ends.
struct FileLines<'a> {
    text: Vec<&'a str>,
    ends: Vec<Ending>,
}

impl<'a> FileLines<'a> {
    fn new(content: &'a str) -> Self {
        let mut text = Vec::new();
        let mut ends = Vec::new();
        let mut rest = content;
        while !rest.is_empty() {
            match memchr::memchr(b'\n', rest.as_bytes()) {
                Some(at) => {
                    let line = &rest[..at];
                    match line.strip_suffix('\r') {
                        Some(l) => {
                            text.push(l);
                            ends.push(Ending::CrLf);
                        }
                        None => {
                            text.push(line);
                            ends.push(Ending::Lf);
                        }
                    }
                    rest = &rest[at + 1..];
                }
                None => {
                    text.push(rest);
                    ends.push(Ending::None);
                    rest = "";
                }
            }
        }
        FileLines { text, ends }
    }

    fn dominant(&self) -> Ending {
        let crlf = self.ends.iter().filter(|e| **e == Ending::CrLf).count();
        let lf = self.ends.iter().filter(|e| **e == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }
}

/// A uniform change of indentation between the diff and the file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Indent {
    Same,
    /// The file has this much more indentation than the diff.
    Add(String),
    /// The file has this much less.
    Remove(String),
}

impl Indent {
    fn apply<'l>(&self, line: &'l str) -> Cow<'l, str> {
        match self {
            Indent::Add(extra) if !line.trim().is_empty() => Cow::Owned(format!("{extra}{line}")),
            Indent::Remove(less) => Cow::Borrowed(line.strip_prefix(less.as_str()).unwrap_or(line)),
            Indent::Same | Indent::Add(_) => Cow::Borrowed(line),
        }
    }
}

fn leading_ws(s: &str) -> &str {
    &s[..s.len() - s.trim_start_matches([' ', '\t']).len()]
}

fn line_eq(level: MatchLevel, file: &str, diff: &str) -> bool {
    match level {
        MatchLevel::Exact => file == diff,
        MatchLevel::IgnoreCr => file == diff.strip_suffix('\r').unwrap_or(diff),
        MatchLevel::TrailingWhitespace | MatchLevel::Indentation => {
            file.trim_end() == diff.trim_end()
        }
    }
}

/// Whether `pre` matches the file at `pos` at `level`; the indentation change when it does.
fn match_at(file: &[&str], pos: usize, pre: &[&str], level: MatchLevel) -> Option<Indent> {
    if pos + pre.len() > file.len() {
        return None;
    }
    if level != MatchLevel::Indentation {
        return pre
            .iter()
            .zip(&file[pos..])
            .all(|(d, f)| line_eq(level, f, d))
            .then_some(Indent::Same);
    }
    let mut delta: Option<Indent> = None;
    for (d, f) in pre.iter().zip(&file[pos..]) {
        let (d, f) = (d.trim_end(), f.trim_end());
        if d.is_empty() && f.is_empty() {
            continue;
        }
        let (di, fi) = (leading_ws(d), leading_ws(f));
        if d[di.len()..] != f[fi.len()..] {
            return None;
        }
        let this = if fi == di {
            Indent::Same
        } else if let Some(extra) = fi.strip_prefix(di) {
            Indent::Add(extra.to_string())
        } else if let Some(less) = di.strip_prefix(fi) {
            Indent::Remove(less.to_string())
        } else {
            return None;
        };
        match &delta {
            None => delta = Some(this),
            Some(existing) if *existing == this => {}
            Some(_) => return None,
        }
    }
    // An indentation change that changes nothing is the exact levels' business.
    match delta {
        Some(Indent::Same) | None => None,
        some => some,
    }
}

/// Finds every position of a pre-image in a file. For files with many hunks, exact matching
/// (the level nearly every hunk places at) first compares a hash of the pre-image's first line
/// with a hash of every file line, computed once on first use and shared by the hunks; only
/// positions whose hashes agree are compared line by line. With few hunks a plain scan is
/// cheaper than hashing the whole file. The other levels always scan.
///
/// The normalised levels all imply that each line matches once trimmed at both ends, so they
/// only compare positions whose first line agrees with the pre-image's first line trimmed (by
/// a hash of every trimmed file line, computed once when a normalised level is first needed).
struct Finder<'f, 'a> {
    file: &'f [&'a str],
    indexed: bool,
    hashes: OnceCell<Vec<u64>>,
    trimmed: OnceCell<Vec<u64>>,
}

/// From this many hunks in one file on, exact matching hashes the file's lines (measured on
/// the `patch` benchmark: with 50 hunks the hashes win, with 5 the plain scan does).
const INDEX_FROM_HUNKS: usize = 8;

fn line_hash(line: &str) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(line.as_bytes());
    hasher.finish()
}

impl<'f, 'a> Finder<'f, 'a> {
    fn new(file: &'f [&'a str], hunks: usize) -> Self {
        Finder {
            file,
            indexed: hunks >= INDEX_FROM_HUNKS,
            hashes: OnceCell::new(),
            trimmed: OnceCell::new(),
        }
    }

    fn candidates(&self, pre: &[&str], level: MatchLevel) -> Vec<(usize, Indent)> {
        let file = self.file;
        if pre.is_empty() || pre.len() > file.len() {
            return Vec::new();
        }
        let last = file.len() - pre.len();
        if level == MatchLevel::Exact && self.indexed {
            let hashes = self
                .hashes
                .get_or_init(|| file.iter().map(|line| line_hash(line)).collect());
            let first = line_hash(pre[0]);
            return hashes[..=last]
                .iter()
                .enumerate()
                .filter(|&(pos, &h)| h == first && file[pos..pos + pre.len()] == *pre)
                .map(|(pos, _)| (pos, Indent::Same))
                .collect();
        }
        if level == MatchLevel::Exact {
            return (0..=last)
                .filter(|&pos| file[pos..pos + pre.len()] == *pre)
                .map(|pos| (pos, Indent::Same))
                .collect();
        }
        let trimmed = self
            .trimmed
            .get_or_init(|| file.iter().map(|line| line_hash(line.trim())).collect());
        let first = line_hash(pre[0].trim());
        trimmed[..=last]
            .iter()
            .enumerate()
            .filter(|&(_, &h)| h == first)
            .filter_map(|(pos, _)| match_at(file, pos, pre, level).map(|d| (pos, d)))
            .collect()
    }
}

/// A hunk as placement sees it: its lines with context possibly trimmed at either end.
#[derive(Debug, Clone)]
struct Effective<'h> {
    lines: Vec<(LineKind, &'h str)>,
    fuzz: usize,
}

impl<'h> Effective<'h> {
    fn full(hunk: &'h Hunk) -> Self {
        Effective {
            lines: hunk
                .lines
                .iter()
                .map(|l| (l.kind, l.text.as_str()))
                .collect(),
            fuzz: 0,
        }
    }

    /// Drop up to `head` leading and `tail` trailing context lines (never removed lines).
    fn reduced(hunk: &'h Hunk, head: usize, tail: usize) -> Option<Self> {
        let mut lines: Vec<(LineKind, &str)> = hunk
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        let lead = lines
            .iter()
            .take_while(|l| l.0 == LineKind::Context)
            .count();
        let trail = lines
            .iter()
            .rev()
            .take_while(|l| l.0 == LineKind::Context)
            .count();
        if head > lead || tail > trail || (head == 0 && tail == 0) || head + tail >= lines.len() {
            return None;
        }
        lines.drain(..head);
        lines.truncate(lines.len() - tail);
        // What remains must still anchor: at least one context line, and two old lines in all.
        let old_lines = lines.iter().filter(|l| l.0 != LineKind::Add).count();
        if !lines.iter().any(|l| l.0 == LineKind::Context) || old_lines < 2 {
            return None;
        }
        Some(Effective {
            lines,
            fuzz: head.max(tail),
        })
    }

    fn pre(&self) -> Vec<&'h str> {
        self.lines
            .iter()
            .filter(|l| l.0 != LineKind::Add)
            .map(|l| l.1)
            .collect()
    }

    fn post(&self) -> Vec<&'h str> {
        self.lines
            .iter()
            .filter(|l| l.0 != LineKind::Remove)
            .map(|l| l.1)
            .collect()
    }

    fn leading_context_dropped(&self, hunk: &Hunk) -> usize {
        let lead_full = hunk
            .lines
            .iter()
            .take_while(|l| l.kind == LineKind::Context)
            .count();
        let lead_now = self
            .lines
            .iter()
            .take_while(|l| l.0 == LineKind::Context)
            .count();
        lead_full.saturating_sub(lead_now)
    }
}

/// A hunk that waits for the consensus offsets: its pre-image is in several places, or its
/// post-image is there too (the change may already be applied).
struct Pending {
    index: usize,
    level: MatchLevel,
    /// Where the pre-image is, with the indentation change.
    pre: Vec<(usize, Indent)>,
    /// Where the post-image is.
    post: Vec<usize>,
}

/// The offset every item agrees on, if there is at least one and they all agree.
fn agreed(mut offsets: impl Iterator<Item = isize>) -> Option<isize> {
    let first = offsets.next()?;
    offsets.all(|o| o == first).then_some(first)
}

/// `pos` moved by `delta`, when that stays in range.
fn shifted(pos: Option<usize>, delta: isize) -> Option<usize> {
    pos.and_then(|p| p.checked_add_signed(delta))
}

/// Whether the post-image is at `pos`, at the levels short of re-indentation.
fn post_at(file: &[&str], pos: usize, post: &[&str]) -> bool {
    !post.is_empty()
        && LEVELS[..3]
            .iter()
            .any(|&level| match_at(file, pos, post, level).is_some())
}

/// Every position of the post-image, at the first level (short of re-indentation) that has any.
fn post_candidates(finder: &Finder<'_, '_>, post: &[&str]) -> Vec<usize> {
    LEVELS[..3]
        .iter()
        .map(|&level| finder.candidates(post, level))
        .find(|c| !c.is_empty())
        .map(|c| c.into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default()
}

/// Mark a hunk whose change is already in the file, at 0-based `pos`.
fn already(report: &mut HunkReport, pos: usize, new_stated: Option<usize>) {
    report.status = HunkStatus::AlreadyApplied;
    report.line = Some(pos + 1);
    report.offset = new_stated.map(|s| pos as isize - s as isize);
}

struct Placed<'h> {
    index: usize,
    pos: usize,
    indent: Indent,
    effective: Effective<'h>,
}

/// Place and apply the hunks of one file to `original`.
///
/// ```
/// use mgx_patch::{diff, place::{place, HunkStatus}};
/// let patch = diff::parse("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")?;
/// let result = place("x\ny\na\nb\nc\n", &patch.files[0].hunks);
/// assert_eq!(result.hunks[0].status, HunkStatus::AppliedOffset);
/// assert_eq!(result.content.as_deref(), Some("x\ny\na\nB\nc\n"));
/// # Ok::<(), mgx_patch::Error>(())
/// ```
pub fn place(original: &str, hunks: &[Hunk]) -> Placement {
    let file = FileLines::new(original);
    let lines = &file.text;
    let finder = Finder::new(lines, hunks.len());
    let mut reports: Vec<HunkReport> = hunks
        .iter()
        .enumerate()
        .map(|(index, _)| HunkReport {
            index,
            status: HunkStatus::NotFound,
            line: None,
            offset: None,
            level: None,
            fuzz: 0,
            candidates: Vec::new(),
            already_at: Vec::new(),
            nearest: None,
        })
        .collect();
    let mut placed: Vec<Placed<'_>> = Vec::new();
    // Hunks that wait for the offsets the settled ones agree on.
    let mut pending: Vec<Pending> = Vec::new();

    for (i, hunk) in hunks.iter().enumerate() {
        let stated = stated_pos(hunk);
        let new_stated = hunk.new_start.map(|s| s.saturating_sub(1));
        let full = Effective::full(hunk);
        let pre = full.pre();
        // A hunk whose lines do not change (all context, or only the final newline changes)
        // has no post-image to tell "already applied" apart.
        let post = Some(full.post())
            .filter(|post| *post != pre)
            .unwrap_or_default();
        if pre.is_empty() {
            // A pure insertion has no context to check: only the stated line can place it, and
            // only the stated new line can show it is already there.
            if let Some(q) = new_stated.filter(|&q| post_at(lines, q, &post)) {
                already(&mut reports[i], q, new_stated);
                continue;
            }
            match hunk.old_start {
                Some(start) if start <= lines.len() => {
                    let pos = start;
                    placed.push(Placed {
                        index: i,
                        pos,
                        indent: Indent::Same,
                        effective: full,
                    });
                    let r = &mut reports[i];
                    r.status = HunkStatus::Applied;
                    r.line = Some(pos + 1);
                    r.offset = Some(0);
                    r.level = Some(MatchLevel::Exact);
                }
                _ => {}
            }
            continue;
        }
        let found = LEVELS.iter().find_map(|&level| {
            let cands = finder.candidates(&pre, level);
            (!cands.is_empty()).then_some((level, cands))
        });
        if let Some((level, cands)) = found {
            // Is the change perhaps already there? When the pre-image is at its stated line,
            // only the stated new line can say so (one comparison); otherwise look everywhere.
            let at_stated = stated.is_some_and(|s| cands.iter().any(|(p, _)| *p == s));
            let post_cands: Vec<usize> = if at_stated {
                new_stated
                    .filter(|&q| post_at(lines, q, &post))
                    .into_iter()
                    .collect()
            } else {
                post_candidates(&finder, &post)
            };
            if post_cands.is_empty() && cands.len() == 1 {
                let (pos, indent) = cands.into_iter().next().unwrap_or((0, Indent::Same));
                record(&mut reports[i], pos, stated, level, 0);
                placed.push(Placed {
                    index: i,
                    pos,
                    indent,
                    effective: full,
                });
            } else {
                pending.push(Pending {
                    index: i,
                    level,
                    pre: cands,
                    post: post_cands,
                });
            }
            continue;
        }
        // The pre-image is nowhere: is the change already there? This comes before reduced
        // context, which could otherwise find a weaker match and apply the change twice.
        let post_cands = post_candidates(&finder, &post);
        if post_cands.len() == 1 {
            already(&mut reports[i], post_cands[0], new_stated);
            continue;
        }
        if !post_cands.is_empty() {
            pending.push(Pending {
                index: i,
                level: MatchLevel::Exact,
                pre: Vec::new(),
                post: post_cands,
            });
            continue;
        }
        // Less context, like GNU patch's fuzz — but the result must again be unique.
        let mut found = false;
        'reduce: for fuzz in 1..=2usize {
            for (head, tail) in [(fuzz, 0), (0, fuzz), (fuzz, fuzz)] {
                let Some(effective) = Effective::reduced(hunk, head, tail) else {
                    continue;
                };
                let pre = effective.pre();
                for level in LEVELS {
                    let cands = finder.candidates(&pre, level);
                    if cands.len() == 1 {
                        let (pos, indent) = cands.into_iter().next().unwrap_or((0, Indent::Same));
                        let dropped = effective.leading_context_dropped(hunk);
                        let stated_here = stated.map(|s| s + dropped);
                        record(&mut reports[i], pos, stated_here, level, effective.fuzz);
                        reports[i].status = HunkStatus::AppliedReducedContext;
                        placed.push(Placed {
                            index: i,
                            pos,
                            indent,
                            effective,
                        });
                        found = true;
                        break 'reduce;
                    }
                    if !cands.is_empty() {
                        continue 'reduce;
                    }
                }
            }
        }
        if !found {
            reports[i].nearest = nearest(lines, &pre);
        }
    }

    // Waiting hunks: the stated line, or the offset every settled hunk agrees on — for the
    // pre-image the offset of the uniquely placed hunks, for the post-image that of the hunks
    // already applied. Evidence for both, or for neither, decides nothing.
    let pre_consensus = agreed(
        placed
            .iter()
            .filter(|p| reports[p.index].status != HunkStatus::AppliedReducedContext)
            .filter_map(|p| reports[p.index].offset),
    );
    let post_consensus = agreed(
        reports
            .iter()
            .filter(|r| r.status == HunkStatus::AlreadyApplied)
            .filter_map(|r| r.offset),
    );
    for p in pending {
        let i = p.index;
        let stated = stated_pos(&hunks[i]);
        let new_stated = hunks[i].new_start.map(|s| s.saturating_sub(1));
        let pre_at = |target: Option<usize>| {
            target.and_then(|t| p.pre.iter().find(|(q, _)| *q == t).cloned())
        };
        let pre_choice =
            pre_at(stated).or_else(|| pre_consensus.and_then(|d| pre_at(shifted(stated, d))));
        let post_at = |target: Option<usize>| target.filter(|t| p.post.contains(t));
        let post_choice = post_at(new_stated)
            .or_else(|| post_consensus.and_then(|d| post_at(shifted(new_stated, d))));
        match (pre_choice, post_choice) {
            (Some((pos, indent)), None) => {
                record(&mut reports[i], pos, stated, p.level, 0);
                placed.push(Placed {
                    index: i,
                    pos,
                    indent,
                    effective: Effective::full(&hunks[i]),
                });
            }
            (None, Some(q)) => already(&mut reports[i], q, new_stated),
            _ => {
                let r = &mut reports[i];
                r.candidates = p.pre.iter().map(|(q, _)| q + 1).collect();
                r.already_at = p.post.iter().map(|q| q + 1).collect();
                if p.post.is_empty() {
                    r.status = HunkStatus::Ambiguous;
                    r.level = Some(p.level);
                } else if p.pre.is_empty() {
                    // Only the change is there, in several places.
                    r.status = HunkStatus::Ambiguous;
                } else {
                    r.status = HunkStatus::MaybeApplied;
                    r.level = Some(p.level);
                }
            }
        }
    }

    // Sorted by position; a hunk that overlaps the one before it is a conflict.
    placed.sort_by_key(|p| (p.pos, p.index));
    let mut kept: Vec<Placed<'_>> = Vec::with_capacity(placed.len());
    for p in placed {
        let overlaps = kept.last().is_some_and(|last| {
            let last_end = last.pos + last.effective.pre().len();
            p.pos < last_end || (p.pos == last.pos && last.effective.pre().is_empty())
        });
        if overlaps {
            reports[p.index].status = HunkStatus::Conflict;
        } else {
            kept.push(p);
        }
    }

    let complete = reports.iter().all(|r| r.status.is_ok());
    let assembled = assemble(&file, &kept, hunks);
    let (content, partial) = if complete {
        (Some(assembled), None)
    } else {
        (None, Some(assembled))
    };
    Placement {
        hunks: reports,
        content,
        partial,
    }
}

fn stated_pos(hunk: &Hunk) -> Option<usize> {
    hunk.old_start.map(|s| s.saturating_sub(1))
}

fn record(
    report: &mut HunkReport,
    pos: usize,
    stated: Option<usize>,
    level: MatchLevel,
    fuzz: usize,
) {
    let offset = stated.map(|s| pos as isize - s as isize);
    report.status = match (level, offset) {
        (MatchLevel::Exact, Some(0)) => HunkStatus::Applied,
        (MatchLevel::Exact, _) => HunkStatus::AppliedOffset,
        _ => HunkStatus::AppliedNormalized,
    };
    report.line = Some(pos + 1);
    report.offset = offset;
    report.level = Some(level);
    report.fuzz = fuzz;
}

/// The window where most pre-image lines match (ignoring white space at the ends).
fn nearest(file: &[&str], pre: &[&str]) -> Option<NearestMatch> {
    if file.is_empty() || pre.is_empty() {
        return None;
    }
    let span = pre.len().min(file.len());
    let mut best: Option<(usize, usize)> = None;
    for pos in 0..=file.len() - span {
        let matching = pre
            .iter()
            .zip(&file[pos..pos + span])
            .filter(|(d, f)| d.trim() == f.trim())
            .count();
        if matching > 0 && best.is_none_or(|(_, m)| matching > m) {
            best = Some((pos, matching));
        }
    }
    let (pos, matching) = best?;
    let first_difference = pre
        .iter()
        .zip(file[pos..].iter().chain(std::iter::repeat(&"")))
        .find(|(d, f)| d.trim() != f.trim())
        .map(|(d, f)| ((*d).to_string(), (*f).to_string()));
    Some(NearestMatch {
        line: pos + 1,
        matching,
        total: pre.len(),
        first_difference,
    })
}

/// Build the new content from the file and the placed hunks (sorted, not overlapping).
fn assemble<'a>(file: &FileLines<'a>, placed: &[Placed<'a>], hunks: &[Hunk]) -> String {
    let dominant = file.dominant();
    let mut out: Vec<(Cow<'a, str>, Ending)> = Vec::with_capacity(file.text.len() + 16);
    let mut cursor = 0;
    let mut last_from_hunk: Option<&Hunk> = None;
    for p in placed {
        for k in cursor..p.pos {
            out.push((Cow::Borrowed(file.text[k]), file.ends[k]));
        }
        let mut at = p.pos;
        for &(kind, text) in &p.effective.lines {
            match kind {
                LineKind::Context => {
                    if let (Some(t), Some(e)) = (file.text.get(at), file.ends.get(at)) {
                        out.push((Cow::Borrowed(*t), *e));
                    }
                    at += 1;
                }
                LineKind::Remove => at += 1,
                LineKind::Add => out.push((p.indent.apply(text), dominant)),
            }
        }
        cursor = at;
        last_from_hunk = (cursor >= file.text.len()).then_some(&hunks[p.index]);
    }
    for k in cursor..file.text.len() {
        out.push((Cow::Borrowed(file.text[k]), file.ends[k]));
        last_from_hunk = None;
    }
    // Every line but the last ends. The last one keeps the file's final-newline state unless a
    // hunk that reaches the end says otherwise (`\ No newline at end of file`).
    let had_final_newline = file.ends.last().is_none_or(|e| *e != Ending::None);
    let n = out.len();
    for (i, (_, ending)) in out.iter_mut().enumerate() {
        if i + 1 < n && *ending == Ending::None {
            *ending = dominant;
        }
    }
    if let Some((_, ending)) = out.last_mut() {
        let wants_newline = match last_from_hunk {
            Some(hunk) if hunk.new_no_newline => false,
            Some(hunk) if hunk.old_no_newline => true,
            _ => had_final_newline,
        };
        *ending = match (wants_newline, *ending) {
            (false, _) => Ending::None,
            (true, Ending::None) => dominant,
            (true, e) => e,
        };
    }
    let mut content = String::with_capacity(out.iter().map(|(t, _)| t.len() + 2).sum());
    for (text, ending) in out {
        content.push_str(&text);
        content.push_str(ending.as_str());
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff;

    fn hunks(patch: &str) -> Vec<Hunk> {
        diff::parse(patch).unwrap().files.remove(0).hunks
    }

    #[test]
    fn endings_are_kept() {
        let h = hunks("--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n+new\n b\n");
        let r = place("a\r\nb\r\n", &h);
        assert_eq!(r.content.as_deref(), Some("a\r\nnew\r\nb\r\n"));
        let r = place("a\nb", &h);
        assert_eq!(r.content.as_deref(), Some("a\nnew\nb"));
    }

    #[test]
    fn indentation_changes_follow_the_file() {
        let h = hunks(
            "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n def f():\n     x = 1\n+    y = 2\n     return x\n",
        );
        let r = place(
            "class A:\n    def f():\n        x = 1\n        return x\n",
            &h,
        );
        assert_eq!(r.hunks[0].status, HunkStatus::AppliedNormalized);
        assert_eq!(
            r.content.as_deref(),
            Some("class A:\n    def f():\n        x = 1\n        y = 2\n        return x\n")
        );
    }

    #[test]
    fn the_finder_finds_what_a_plain_scan_finds_at_every_level() {
        // Lines drawn from a small alphabet so that pre-images repeat, overlap, run off the
        // end of the file and differ only in white space.
        let words = ["a", "b", "", "a ", "  a", "\tb", "c\r", " c "];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..2000 {
            let file: Vec<&str> = (0..next(40)).map(|_| words[next(words.len())]).collect();
            let pre: Vec<&str> = (0..1 + next(4)).map(|_| words[next(words.len())]).collect();
            for level in LEVELS {
                let plain: Vec<(usize, Indent)> = if pre.len() > file.len() {
                    Vec::new()
                } else {
                    (0..=file.len() - pre.len())
                        .filter_map(|pos| match_at(&file, pos, &pre, level).map(|d| (pos, d)))
                        .collect()
                };
                for hunks in [1, INDEX_FROM_HUNKS] {
                    assert_eq!(
                        Finder::new(&file, hunks).candidates(&pre, level),
                        plain,
                        "{level:?} {file:?} / {pre:?}"
                    );
                }
            }
        }
    }
}
