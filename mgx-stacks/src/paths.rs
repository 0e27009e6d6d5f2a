//! The path policy every file path mgx writes must pass — the one implementation shared by
//! mgx-guardrails (validating generated output) and mgx-patch (writing to disk).
//!
//! A path is acceptable when it names a file *inside* a project root using only the path
//! itself: relative; no `..` component; not absolute, not starting with `~`, no drive letter
//! (`C:`) and no UNC prefix (`\\server`); no NUL or other control character; no Windows reserved
//! device name (`CON`, `NUL`, `COM1` …) as a component; nothing under `.git/` (anywhere) or the
//! root's `.mgx/` (mgx's journals and backups); and not a
//! directory (a trailing `/`). A backslash counts as a separator, so `..\x` is refused like
//! `../x`. mgx-patch adds what only the disk can tell: symlinks of existing ancestors must not
//! lead outside the root.
//!
//! ```
//! use mgx_stacks::paths::{check, PathViolation};
//!
//! assert_eq!(check("./src//app.ts").unwrap(), "src/app.ts");
//! assert_eq!(check("../x").unwrap_err(), PathViolation::ParentComponent);
//! assert_eq!(check("C:\\Windows\\x.dll").unwrap_err(), PathViolation::DriveLetter);
//! assert_eq!(check("~/.bashrc").unwrap_err(), PathViolation::HomeRelative);
//! assert_eq!(check(".git/config").unwrap_err(), PathViolation::GitDirectory);
//! ```

use std::borrow::Cow;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a path breaks the policy. Each variant has a stable [`PathViolation::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PathViolation {
    /// The path is empty or only white space.
    Empty,
    /// The path is absolute (`/etc/passwd`).
    Absolute,
    /// The path starts with `~` (a home directory).
    HomeRelative,
    /// The path starts with a drive letter (`C:`), or has a `:` that Windows reads as one.
    DriveLetter,
    /// The path is a UNC or device path (`\\server\share`, `//server/share`, `\\?\`).
    Unc,
    /// A component is `..`.
    ParentComponent,
    /// The path contains a NUL byte.
    NulByte,
    /// The path contains a control character (newline, tab, escape …).
    ControlCharacter,
    /// A component is a Windows reserved device name (`CON`, `NUL`, `COM1`, `LPT1` …).
    ReservedName,
    /// The path is inside `.git/`.
    GitDirectory,
    /// The path is inside `.mgx/`, where mgx keeps its journals and backups.
    MgxDirectory,
    /// The path ends with a separator, so it names a directory, not a file.
    Directory,
}

impl PathViolation {
    /// A short, stable, machine-readable name (`parent_component` …).
    pub fn code(self) -> &'static str {
        match self {
            PathViolation::Empty => "empty",
            PathViolation::Absolute => "absolute",
            PathViolation::HomeRelative => "home_relative",
            PathViolation::DriveLetter => "drive_letter",
            PathViolation::Unc => "unc",
            PathViolation::ParentComponent => "parent_component",
            PathViolation::NulByte => "nul_byte",
            PathViolation::ControlCharacter => "control_character",
            PathViolation::ReservedName => "reserved_name",
            PathViolation::GitDirectory => "git_directory",
            PathViolation::MgxDirectory => "mgx_directory",
            PathViolation::Directory => "directory",
        }
    }
}

impl fmt::Display for PathViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathViolation::Empty => "the path is empty",
            PathViolation::Absolute => {
                "absolute paths are not allowed; use a path relative to the project root"
            }
            PathViolation::HomeRelative => {
                "paths starting with `~` are not allowed; use a path relative to the project root"
            }
            PathViolation::DriveLetter => {
                "drive letters are not allowed; use a path relative to the project root"
            }
            PathViolation::Unc => {
                "UNC and device paths are not allowed; use a path relative to the project root"
            }
            PathViolation::ParentComponent => {
                "`..` is not allowed: the path must stay inside the project"
            }
            PathViolation::NulByte => "the path contains a NUL byte",
            PathViolation::ControlCharacter => "the path contains a control character",
            PathViolation::ReservedName => {
                "the path uses a Windows reserved device name (CON, NUL, COM1 …)"
            }
            PathViolation::GitDirectory => "files under `.git/` are never written",
            PathViolation::MgxDirectory => {
                "files under `.mgx/` belong to mgx's journals and backups"
            }
            PathViolation::Directory => {
                "the path ends with a separator, so it names a directory, not a file"
            }
        })
    }
}

impl std::error::Error for PathViolation {}

/// Check `path` against the policy and return its normal form: `/` separators, no `.` or empty
/// components (`./src//a.ts` → `src/a.ts`).
pub fn check(path: &str) -> Result<String, PathViolation> {
    let mut normal = String::with_capacity(path.len());
    walk(path, Some(&mut normal))?;
    Ok(normal)
}

/// [`check`] that borrows `path` when it already is in normal form (the usual case,
/// `src/app.ts`), and builds the normal form only otherwise.
///
/// ```
/// use std::borrow::Cow;
/// use mgx_stacks::paths::check_borrowed;
///
/// assert!(matches!(check_borrowed("src/app.ts"), Ok(Cow::Borrowed("src/app.ts"))));
/// assert_eq!(check_borrowed("./src//app.ts").unwrap(), "src/app.ts");
/// assert!(check_borrowed("../etc/passwd").is_err());
/// ```
pub fn check_borrowed(path: &str) -> Result<Cow<'_, str>, PathViolation> {
    // One walk either way: the policy alone for a path already normal, the policy building
    // the normal form for any other.
    let trimmed = trim_blanks(path);
    if trimmed.len() == path.len() && in_normal_form(path) {
        verify(path)?;
        Ok(Cow::Borrowed(path))
    } else {
        check(path).map(Cow::Owned)
    }
}

/// [`check`] without building the normal form: whether the policy allows `path`.
///
/// ```
/// use mgx_stacks::paths::{PathViolation, verify};
///
/// assert_eq!(verify("./src//app.ts"), Ok(()));
/// assert_eq!(verify("../etc/passwd"), Err(PathViolation::ParentComponent));
/// ```
pub fn verify(path: &str) -> Result<(), PathViolation> {
    walk(path, None)
}

/// The policy, component by component; the normal form goes to `normal` when given. Bytes,
/// not characters: every byte the policy looks at is ASCII, and a validator sees several
/// paths a generated file (this was ≈ 850 instructions a path read as characters).
fn walk(path: &str, mut normal: Option<&mut String>) -> Result<(), PathViolation> {
    let trimmed = trim_blanks(path);
    if trimmed.is_empty() {
        return Err(PathViolation::Empty);
    }
    let bytes = trimmed.as_bytes();
    if bytes.contains(&0) {
        return Err(PathViolation::NulByte);
    }
    if has_control(bytes) {
        return Err(PathViolation::ControlCharacter);
    }
    let sep = |b: u8| b == b'/' || b == b'\\';
    if bytes.len() >= 2 && sep(bytes[0]) && sep(bytes[1]) {
        return Err(PathViolation::Unc);
    }
    if sep(bytes[0]) {
        return Err(PathViolation::Absolute);
    }
    if bytes[0] == b'~' {
        return Err(PathViolation::HomeRelative);
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(PathViolation::DriveLetter);
    }
    if sep(bytes[bytes.len() - 1]) {
        return Err(PathViolation::Directory);
    }
    let mut components = 0usize;
    let mut start = 0;
    while start <= bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| sep(b))
            .map_or(bytes.len(), |i| start + i);
        // Separators are ASCII: `start..end` falls on character boundaries.
        let component = &trimmed[start..end];
        start = end + 1;
        match component {
            "" | "." => continue,
            ".." => return Err(PathViolation::ParentComponent),
            _ => {}
        }
        if component.as_bytes().contains(&b':') {
            // `a:b` is an alternate data stream on Windows and a drive on some tools.
            return Err(PathViolation::DriveLetter);
        }
        if is_reserved_name(component) {
            return Err(PathViolation::ReservedName);
        }
        if component.eq_ignore_ascii_case(".git") {
            return Err(PathViolation::GitDirectory);
        }
        if components == 0 && component.eq_ignore_ascii_case(".mgx") {
            return Err(PathViolation::MgxDirectory);
        }
        if let Some(normal) = normal.as_deref_mut() {
            if components > 0 {
                normal.push('/');
            }
            normal.push_str(component);
        }
        components += 1;
    }
    if components == 0 {
        return Err(PathViolation::Empty);
    }
    Ok(())
}

/// Whether UTF-8 `bytes` hold a control character (`char::is_control`: U+0000–U+001F and
/// U+007F–U+009F, the last thirty-two written `C2 80`–`C2 9F`).
fn has_control(bytes: &[u8]) -> bool {
    // A pass without branches first (it vectorises): nearly every path has none of these.
    let suspect = bytes.iter().fold(false, |seen, &b| {
        seen | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
    });
    suspect
        && bytes.iter().enumerate().any(|(i, &b)| {
            b < 0x20 || b == 0x7f || (b == 0xc2 && matches!(bytes.get(i + 1), Some(0x80..=0x9f)))
        })
}

/// The lexical normal form used to compare paths, without judging them: `/` separators, no `.`
/// or empty components. `./a.py`, `a.py` and `.//a.py` are the same path; `a//b` is `a/b`.
pub fn normalize(path: &str) -> String {
    let mut normal = String::with_capacity(path.len());
    for component in path.trim().split(['/', '\\']) {
        if component.is_empty() || component == "." {
            continue;
        }
        if !normal.is_empty() {
            normal.push('/');
        }
        normal.push_str(component);
    }
    normal
}

/// [`normalize`] that borrows `path` when it already is in normal form, and builds the normal
/// form only otherwise: for comparing many paths without a `String` each.
///
/// ```
/// use std::borrow::Cow;
/// use mgx_stacks::paths::normal_form;
///
/// assert!(matches!(normal_form("src/app.ts"), Cow::Borrowed(_)));
/// assert_eq!(normal_form(".\\src//app.ts "), "src/app.ts");
/// ```
pub fn normal_form(path: &str) -> Cow<'_, str> {
    if path.trim().len() == path.len() && in_normal_form(path) {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(normalize(path))
    }
}

/// `path` without leading and trailing spaces and tabs. By bytes: both are ASCII, and no byte
/// of a multi-byte character is either, so the ends fall on character boundaries.
fn trim_blanks(path: &str) -> &str {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = path.as_bytes();
    let Some(start) = bytes.iter().position(|b| !blank(b)) else {
        return "";
    };
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &path[start..end]
}

/// Whether `path`, already trimmed, is its own normal form: `/` separators only, and no
/// empty or `.` components.
fn in_normal_form(path: &str) -> bool {
    !path.contains('\\') && path.split('/').all(|c| !c.is_empty() && c != ".")
}

fn is_reserved_name(component: &str) -> bool {
    // Every device name is three or four letters, and begins with one of these.
    if component.len() < 3
        || !matches!(
            component.as_bytes()[0].to_ascii_uppercase(),
            b'C' | b'P' | b'A' | b'N' | b'L'
        )
    {
        return false;
    }
    // Windows ignores the extension and trailing dots or spaces: `nul.txt` and `CON ` are devices.
    let stem = component
        .split('.')
        .next()
        .unwrap_or(component)
        .trim_end_matches([' ', '.'])
        .as_bytes();
    match stem {
        [a, b, c] => ["CON", "PRN", "AUX", "NUL"]
            .iter()
            .any(|name| name.as_bytes().eq_ignore_ascii_case(&[*a, *b, *c])),
        [a, b, c, digit] => {
            let prefix = [*a, *b, *c];
            (prefix.eq_ignore_ascii_case(b"COM") || prefix.eq_ignore_ascii_case(b"LPT"))
                && (b'1'..=b'9').contains(digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The policy as it was written character by character, to hold the byte walk to.
    fn reference_walk(path: &str, mut normal: Option<&mut String>) -> Result<(), PathViolation> {
        let trimmed = path.trim_matches(|c: char| c == ' ' || c == '\t');
        if trimmed.is_empty() {
            return Err(PathViolation::Empty);
        }
        if trimmed.contains('\0') {
            return Err(PathViolation::NulByte);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(PathViolation::ControlCharacter);
        }
        let bytes = trimmed.as_bytes();
        let sep = |b: u8| b == b'/' || b == b'\\';
        if bytes.len() >= 2 && sep(bytes[0]) && sep(bytes[1]) {
            return Err(PathViolation::Unc);
        }
        if sep(bytes[0]) {
            return Err(PathViolation::Absolute);
        }
        if bytes[0] == b'~' {
            return Err(PathViolation::HomeRelative);
        }
        if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            return Err(PathViolation::DriveLetter);
        }
        if trimmed.ends_with(['/', '\\']) {
            return Err(PathViolation::Directory);
        }
        let mut components = 0usize;
        for component in trimmed.split(['/', '\\']) {
            match component {
                "" | "." => continue,
                ".." => return Err(PathViolation::ParentComponent),
                _ => {}
            }
            if component.contains(':') {
                // `a:b` is an alternate data stream on Windows and a drive on some tools.
                return Err(PathViolation::DriveLetter);
            }
            if is_reserved_name(component) {
                return Err(PathViolation::ReservedName);
            }
            if component.eq_ignore_ascii_case(".git") {
                return Err(PathViolation::GitDirectory);
            }
            if components == 0 && component.eq_ignore_ascii_case(".mgx") {
                return Err(PathViolation::MgxDirectory);
            }
            if let Some(normal) = normal.as_deref_mut() {
                if components > 0 {
                    normal.push('/');
                }
                normal.push_str(component);
            }
            components += 1;
        }
        if components == 0 {
            return Err(PathViolation::Empty);
        }
        Ok(())
    }

    fn pathlike() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "b.py", "src", ".", "..", "/", "\\", " ", "\t", "\u{3000}", "CON", "nul.",
                ".git", ".mgx", ":", "c:", "~", "\0", "\n", "\u{85}", "\u{9f}", "\u{a0}", "é",
                "LPT1", "com9 ", "prn.txt",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Windows' device names, read the plain way: the part before the first dot, without
    /// trailing spaces and dots, compared upper-cased.
    fn reference_reserved(component: &str) -> bool {
        let stem = component
            .split('.')
            .next()
            .unwrap_or_default()
            .trim_end_matches([' ', '.'])
            .to_ascii_uppercase();
        ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
            || (1..=9).any(|n| stem == format!("COM{n}") || stem == format!("LPT{n}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Device names are found as the plain reading finds them (the quick first-letter
        /// test included).
        #[test]
        fn reserved_names_are_found_as_read_plainly(
            component in prop_oneof![
                "[cCoOnNpPrRaAuUxXlLtTmM0-9. é]{0,7}",
                (
                    prop::sample::select(vec!["con", "Prn", "AUX", "nUl", "com", "LPT", "lpt", "cox"]),
                    "[0-9]?",
                    "[. a-z]{0,3}",
                )
                    .prop_map(|(name, digit, rest)| format!("{name}{digit}{rest}")),
            ]
        ) {
            prop_assert_eq!(is_reserved_name(&component), reference_reserved(&component));
        }

        /// The byte walk judges and normalises every path as the character walk did.
        #[test]
        fn the_byte_walk_agrees_with_the_character_walk(
            path in prop_oneof![pathlike(), any::<String>()]
        ) {
            let (mut a, mut b) = (String::new(), String::new());
            let (got, want) = (walk(&path, Some(&mut a)), reference_walk(&path, Some(&mut b)));
            prop_assert_eq!(got, want);
            if got.is_ok() {
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn attack_table() {
        let cases: &[(&str, PathViolation)] = &[
            ("", PathViolation::Empty),
            ("  ", PathViolation::Empty),
            (".", PathViolation::Empty),
            ("./", PathViolation::Directory),
            ("../outside.txt", PathViolation::ParentComponent),
            ("a/../../b", PathViolation::ParentComponent),
            (
                "..\\..\\windows\\system.ini",
                PathViolation::ParentComponent,
            ),
            ("/etc/passwd", PathViolation::Absolute),
            ("/home/u/.ssh/authorized_keys", PathViolation::Absolute),
            ("\\windows\\x", PathViolation::Absolute),
            ("~/.bashrc", PathViolation::HomeRelative),
            ("C:\\Windows\\x.dll", PathViolation::DriveLetter),
            ("c:x", PathViolation::DriveLetter),
            ("a/b:stream", PathViolation::DriveLetter),
            ("\\\\server\\share\\x", PathViolation::Unc),
            ("//server/share/x", PathViolation::Unc),
            ("\\\\?\\C:\\x", PathViolation::Unc),
            ("a\0b", PathViolation::NulByte),
            ("a\nb", PathViolation::ControlCharacter),
            ("a\u{1b}[31m", PathViolation::ControlCharacter),
            ("CON", PathViolation::ReservedName),
            ("src/nul.txt", PathViolation::ReservedName),
            ("LPT9.log", PathViolation::ReservedName),
            ("lib/com3.txt", PathViolation::ReservedName),
            ("Prn. /x", PathViolation::ReservedName),
            (".git/hooks/pre-commit", PathViolation::GitDirectory),
            ("vendor/lib/.git/config", PathViolation::GitDirectory),
            (".GIT/config", PathViolation::GitDirectory),
            ("./.git/config", PathViolation::GitDirectory),
            ("src/", PathViolation::Directory),
            (".mgx/journal/x.json", PathViolation::MgxDirectory),
        ];
        for (path, want) in cases {
            assert_eq!(check(path), Err(*want), "{path:?}");
            assert_eq!(verify(path), Err(*want), "{path:?}");
        }
    }

    #[test]
    fn good_paths_normalise() {
        let cases = [
            ("a.py", "a.py"),
            ("./a.py", "a.py"),
            ("src//app.ts", "src/app.ts"),
            ("src\\app.ts", "src/app.ts"),
            ("file..name.ts", "file..name.ts"),
            ("app/[id]/page.tsx", "app/[id]/page.tsx"),
            ("docs/.github/x.yml", "docs/.github/x.yml"),
            ("src/.gitignore", "src/.gitignore"),
            (".gitignore", ".gitignore"),
            ("console.ts", "console.ts"),
            ("COM10", "COM10"),
            ("COMA", "COMA"),
            ("conn.ts", "conn.ts"),
            ("  spaced.txt ", "spaced.txt"),
        ];
        for (path, want) in cases {
            assert_eq!(check(path).as_deref(), Ok(want), "{path:?}");
            assert_eq!(verify(path), Ok(()), "{path:?}");
        }
        assert_eq!(normalize("./a//b/./c"), "a/b/c");
        assert_eq!(normalize("a\\b"), "a/b");
    }
}
