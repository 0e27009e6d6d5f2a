//! Minified or malformed code: what a reviewer cannot read should not be merged unread.
//!
//! The thresholds of the seed's formatting contract: a line is long past
//! [`LONG_LINE`] characters; code is minified when at least [`MINIFIED_SHARE`] of its lines
//! are long; nesting deeper than [`MAX_NESTING`] is suspicious. Unlike the original, the
//! detector knows what it reads:
//!
//! - only code files are judged (by extension); data files — JSON, YAML, lock files, SVG,
//!   source maps, CSV, Markdown — may be one long line or deeply nested by nature;
//! - a line's length excludes the contents of string literals, so a base64 data URI or a long
//!   message in quotes is not "code";
//! - nesting counts brackets outside strings and comments.

use serde::{Deserialize, Serialize};

use crate::imports::{Shape, SourceLanguage, scan};

/// Characters past which a line of code is long.
pub const LONG_LINE: usize = 250;
/// Share of long lines from which a file is called minified.
pub const MINIFIED_SHARE: f64 = 0.7;
/// Bracket nesting deeper than this is excessive.
pub const MAX_NESTING: usize = 10;

/// What the detector found in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MinifiedIssue {
    /// Most lines are long.
    LongLines {
        /// Lines longer than [`LONG_LINE`] (string contents excluded).
        long: usize,
        /// Non-blank lines.
        total: usize,
    },
    /// Brackets nest deeper than [`MAX_NESTING`].
    DeepNesting {
        /// The deepest nesting.
        depth: usize,
    },
    /// Long lines with no space outside strings (packed code).
    PackedLines {
        /// How many.
        count: usize,
        /// The first one (1-based).
        first_line: usize,
    },
}

impl MinifiedIssue {
    /// A one-line description.
    pub fn describe(&self) -> String {
        match self {
            MinifiedIssue::LongLines { long, total } => {
                format!(
                    "possibly minified: {long} of {total} lines are longer than {LONG_LINE} characters of code"
                )
            }
            MinifiedIssue::DeepNesting { depth } => {
                format!("brackets nest {depth} deep (more than {MAX_NESTING})")
            }
            MinifiedIssue::PackedLines { count, first_line } => format!(
                "{count} long line(s) of code without spaces, first at line {first_line} (likely minified)"
            ),
        }
    }
}

/// Check one file; data files and files in languages mgx cannot lex give no issues.
///
/// ```
/// use mgx_guardrails::minified::check_file;
/// let packed = format!("var a={};\n", "x".repeat(300)).repeat(10);
/// assert!(!check_file("app.min.js", &packed).is_empty());
/// let data_uri = format!("const logo = \"data:image/png;base64,{}\";\n", "A".repeat(5000));
/// assert!(check_file("logo.ts", &data_uri).is_empty());
/// assert!(check_file("deep.json", &"[".repeat(12)).is_empty());
/// ```
pub fn check_file(path: &str, content: &str) -> Vec<MinifiedIssue> {
    let Some(language) = SourceLanguage::of_path(path) else {
        return Vec::new();
    };
    let mut shape = Shape::default();
    scan(language, content, &mut |_| {}, &mut |s| shape = s);
    from_shape(&shape)
}

/// The issues of a file from what one lexer pass learnt about it.
pub(crate) fn from_shape(shape: &Shape) -> Vec<MinifiedIssue> {
    let mut issues = Vec::new();
    if shape.lines > 0 && shape.long_lines as f64 / shape.lines as f64 >= MINIFIED_SHARE {
        issues.push(MinifiedIssue::LongLines {
            long: shape.long_lines,
            total: shape.lines,
        });
    }
    if shape.max_depth > MAX_NESTING {
        issues.push(MinifiedIssue::DeepNesting {
            depth: shape.max_depth,
        });
    }
    if shape.packed_lines > 0 {
        issues.push(MinifiedIssue::PackedLines {
            count: shape.packed_lines,
            first_line: shape.first_packed_line,
        });
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_data_uri_and_deep_json_are_not_minified() {
        // Reference §8: the original flagged a one-line base64 data URI and a 12-deep JSON.
        let uri = format!(
            "<img src=\"data:image/png;base64,{}\">\n",
            "QUJD".repeat(400)
        );
        assert!(
            check_file("index.html", &uri).is_empty(),
            "HTML is not judged as code"
        );
        let ts = format!(
            "export const LOGO = 'data:image/png;base64,{}';\n",
            "QUJD".repeat(400)
        );
        assert!(check_file("src/logo.ts", &ts).is_empty());
        let json = format!("{}1{}", "[".repeat(12), "]".repeat(12));
        assert!(check_file("data.json", &json).is_empty());
        // Brackets inside strings do not nest.
        assert!(check_file("a.py", "s = '((((((((((((((('\n").is_empty());
    }

    #[test]
    fn minified_code_is_found() {
        let line = format!("a=function(){{return{}}};", "b+".repeat(200));
        let code = format!("{line}\n").repeat(8) + "ok();\n";
        let issues = check_file("bundle.js", &code);
        assert!(
            matches!(issues[0], MinifiedIssue::LongLines { long: 8, total: 9 }),
            "{issues:?}"
        );
        assert!(issues.iter().any(|i| matches!(
            i,
            MinifiedIssue::PackedLines {
                count: 8,
                first_line: 1
            }
        )));
        let deep = format!("x = {}1{}\n", "(".repeat(12), ")".repeat(12));
        assert_eq!(
            check_file("deep.py", &deep),
            [MinifiedIssue::DeepNesting { depth: 12 }]
        );
        assert!(check_file("readable.py", "def f():\n    return 1\n").is_empty());
    }
}
