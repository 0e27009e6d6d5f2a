//! Imports in generated code, found by a small lexer per language that skips comments and
//! strings — so a comment `// import fake from 'x'` or a string `"from django import x"` is
//! never an import, and prose is never scanned at all.
//!
//! Forms recognised:
//!
//! | language | forms |
//! |---|---|
//! | JavaScript / TypeScript (`.js .jsx .mjs .cjs .ts .tsx .mts .cts .vue .svelte`) | `import x from 'm'`, `import * as x from 'm'`, `import {a} from 'm'`, `import type {T} from 'm'`, `import x, {y} from 'm'`, `import 'm'`, `export … from 'm'`, `import('m')`, `require('m')` |
//! | Python (`.py .pyi`) | `import a.b as c, d`, `from a.b import c` (also indented), `from . import x`, `importlib.import_module('m')`, `__import__('m')` |
//! | PHP (`.php`) | `use A\B;`, `use A\B as C;`, `use function A\f;`, `use A\{B, C};` |
//! | C# (`.cs`) | `using A.B;`, `using static A.B;`, `using X = A.B;`, `global using A;` |
//! | Go (`.go`) | `import "m"`, `import x "m"`, `import ( "a"; b "c" )` |
//! | Dart (`.dart`) | `import 'package:x/y.dart' as z;`, `export '…';`, `part '…';` |
//! | Java, Kotlin (`.java .kt .kts`) | `import a.b.C;`, `import static a.b.C.d;`, `import a.b.*`, `import a.B as C` |
//! | Ruby (`.rb .rake`, `Gemfile`) | `require 'm'`, `require_relative 'm'`, `gem 'm'` |
//! | Rust (`.rs`) | `use a::b;`, `pub use a::{b, c};`, `extern crate a;` |

use serde::{Deserialize, Serialize};

/// A programming language whose imports mgx reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceLanguage {
    /// JavaScript and TypeScript (also Vue and Svelte single-file components).
    JavaScript,
    /// Python.
    Python,
    /// PHP.
    Php,
    /// C#.
    CSharp,
    /// Go.
    Go,
    /// Dart.
    Dart,
    /// Java.
    Java,
    /// Kotlin.
    Kotlin,
    /// Ruby.
    Ruby,
    /// Rust.
    Rust,
}

impl SourceLanguage {
    /// Every language, in declaration order.
    pub const ALL: [SourceLanguage; 10] = [
        SourceLanguage::JavaScript,
        SourceLanguage::Python,
        SourceLanguage::Php,
        SourceLanguage::CSharp,
        SourceLanguage::Go,
        SourceLanguage::Dart,
        SourceLanguage::Java,
        SourceLanguage::Kotlin,
        SourceLanguage::Ruby,
        SourceLanguage::Rust,
    ];

    /// The language of a file, from its name; `None` for data and documentation files.
    pub fn of_path(path: &str) -> Option<SourceLanguage> {
        // Bytes: the separators and the dot are ASCII, so the slices fall on character
        // boundaries (searching with a set of characters decoded the name backwards, char by
        // char: ≈ 400 instructions a path, for every file of every validation).
        let bytes = path.as_bytes();
        let start = bytes
            .iter()
            .rposition(|&b| b == b'/' || b == b'\\')
            .map_or(0, |i| i + 1);
        let name = &path[start..];
        if name == "Gemfile" || name == "Rakefile" {
            return Some(SourceLanguage::Ruby);
        }
        let dot = name.as_bytes().iter().rposition(|&b| b == b'.')?;
        let ext = &name[dot + 1..];
        // Lowercased on the stack: the longest extension below has six letters.
        let mut lower = [0u8; 6];
        let lower = lower.get_mut(..ext.len())?;
        lower.copy_from_slice(ext.as_bytes());
        lower.make_ascii_lowercase();
        Some(match &*lower {
            b"js" | b"jsx" | b"mjs" | b"cjs" | b"ts" | b"tsx" | b"mts" | b"cts" | b"vue"
            | b"svelte" => SourceLanguage::JavaScript,
            b"py" | b"pyi" => SourceLanguage::Python,
            b"php" => SourceLanguage::Php,
            b"cs" => SourceLanguage::CSharp,
            b"go" => SourceLanguage::Go,
            b"dart" => SourceLanguage::Dart,
            b"java" => SourceLanguage::Java,
            b"kt" | b"kts" => SourceLanguage::Kotlin,
            b"rb" | b"rake" => SourceLanguage::Ruby,
            b"rs" => SourceLanguage::Rust,
            _ => return None,
        })
    }

    /// The separators between the parts of a module name in this language.
    pub fn separators(self) -> &'static [&'static str] {
        match self {
            SourceLanguage::JavaScript
            | SourceLanguage::Go
            | SourceLanguage::Ruby
            | SourceLanguage::Dart => &["/"],
            SourceLanguage::Python
            | SourceLanguage::CSharp
            | SourceLanguage::Java
            | SourceLanguage::Kotlin => &["."],
            SourceLanguage::Php => &["\\"],
            SourceLanguage::Rust => &["::"],
        }
    }

    fn syntax(self) -> Syntax {
        match self {
            SourceLanguage::Python => Syntax {
                line_comment: &[b"#"],
                block_comment: false,
                python: true,
                ..Syntax::C
            },
            SourceLanguage::Ruby => Syntax {
                line_comment: &[b"#"],
                block_comment: false,
                multiline_strings: true,
                ruby: true,
                ..Syntax::C
            },
            SourceLanguage::Php => Syntax {
                line_comment: &[b"//", b"#"],
                multiline_strings: true,
                ..Syntax::C
            },
            SourceLanguage::Rust => Syntax {
                rust: true,
                multiline_strings: true,
                ..Syntax::C
            },
            SourceLanguage::Go => Syntax {
                backtick_strings: true,
                ..Syntax::C
            },
            SourceLanguage::JavaScript => Syntax {
                backtick_strings: true,
                ..Syntax::C
            },
            SourceLanguage::CSharp => Syntax {
                csharp: true,
                ..Syntax::C
            },
            SourceLanguage::Dart | SourceLanguage::Java | SourceLanguage::Kotlin => Syntax {
                python: false,
                ..Syntax::C
            },
        }
    }
}

/// One import found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// The module as written (`express`, `app.models`, `Illuminate\Support\Facades\Route`,
    /// `github.com/gin-gonic/gin`, `package:http/http.dart`, `std::collections`).
    pub module: String,
    /// The 1-based line of the import within the file.
    pub line: usize,
    /// Whether it names a file of the project itself (`./x`, `from . import`, `require_relative`,
    /// a Dart path without a scheme, Rust `crate::`/`self::`/`super::`).
    pub relative: bool,
}

/// Every import in `content`, in order, for a file in `language`.
///
/// ```
/// use mgx_guardrails::imports::{imports, SourceLanguage};
/// let code = "import express from 'express';\n// import fake from 'fake';\nconst s = \"require('no')\";\nconst x = require('./x');\n";
/// let found: Vec<String> = imports(SourceLanguage::JavaScript, code).into_iter().map(|i| i.module).collect();
/// assert_eq!(found, ["express", "./x"]);
/// ```
pub fn imports(language: SourceLanguage, content: &str) -> Vec<Import> {
    let mut out = Vec::new();
    scan(
        language,
        content,
        &mut |import| out.push(import),
        &mut |_| {},
    );
    out
}

/// What one pass over a file learns besides its imports: the deepest bracket nesting outside
/// strings and comments, and line statistics with string contents left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) max_depth: usize,
    /// Lines with something other than white space.
    pub(crate) lines: usize,
    /// Lines longer than [`crate::minified::LONG_LINE`] without their string contents.
    pub(crate) long_lines: usize,
    /// Long lines with no space or tab outside strings.
    pub(crate) packed_lines: usize,
    /// The first packed line (1-based; 0 when none).
    pub(crate) first_packed_line: usize,
}

/// Per-line bookkeeping of `scan` for [`Shape`].
#[derive(Default)]
struct LineStats {
    start: usize,
    string_bytes: usize,
    blank: bool,
    spaced: bool,
}

impl LineStats {
    fn end_line(&mut self, end: usize, line: usize, shape: &mut Shape) {
        if !self.blank {
            shape.lines += 1;
            let code = (end - self.start).saturating_sub(self.string_bytes);
            if code > crate::minified::LONG_LINE {
                shape.long_lines += 1;
                if !self.spaced {
                    shape.packed_lines += 1;
                    if shape.first_packed_line == 0 {
                        shape.first_packed_line = line;
                    }
                }
            }
        }
        *self = LineStats {
            start: end + 1,
            string_bytes: 0,
            blank: true,
            spaced: false,
        };
    }
}

/// One pass over a file: imports go to `on_import`; the shape of the code is returned.
///
/// Code is skipped byte by byte — strings and comments as wholes, brackets counted — and the
/// token grammars run only where an import can start: a trigger keyword at the start of a
/// statement, or a `require(`/`import(`-style call.
pub(crate) fn scan(
    language: SourceLanguage,
    content: &str,
    on_import: &mut dyn FnMut(Import),
    on_shape: &mut dyn FnMut(Shape),
) {
    let mut lx = Lexer::new(content, language.syntax());
    let b = content.as_bytes();
    let mut depth = 0usize;
    let mut shape = Shape::default();
    let mut stats = LineStats {
        blank: true,
        ..LineStats::default()
    };
    // Only white space (or comments) since the last statement end.
    let mut at_stmt = true;
    let mut prev_word: &str = "";
    let mut prev_punct: u8 = b'\n';
    while lx.pos < b.len() {
        let c = b[lx.pos];
        if is_ident_byte(c) {
            stats.blank = false;
            let start = lx.pos;
            let end = b[start..]
                .iter()
                .position(|&x| !is_ident_byte(x))
                .map_or(b.len(), |n| start + n);
            if !NOTABLE_FIRST[usize::from(c)] {
                // Most words: not a keyword, call, string prefix or modifier. Skip without looking.
                lx.pos = end;
                at_stmt = false;
                prev_word = "";
                prev_punct = 0;
                continue;
            }
            let word = content.get(start..end).unwrap_or("");
            let quoted =
                b.get(end).is_some_and(|&q| q == b'"' || q == b'\'') && lx.is_string_prefix(word);
            let raw = lx.syntax.rust && (word == "r" || word == "br") && b.get(end) == Some(&b'#');
            if quoted || raw {
                let before = lx.line;
                let _ = lx.next_token();
                if lx.line == before {
                    stats.string_bytes += lx.pos - end;
                } else {
                    stats = LineStats {
                        start: lx.pos,
                        string_bytes: 0,
                        blank: false,
                        spaced: false,
                    };
                }
                at_stmt = false;
                prev_word = "";
                prev_punct = b'"';
                continue;
            }
            lx.pos = end;
            if is_call_form(language, word, prev_punct)
                && let Some((module, line)) = lx.peek_call_string()
            {
                emit(
                    on_import,
                    module,
                    line,
                    module.starts_with('.') || module.starts_with('/'),
                );
            }
            let trigger = is_trigger(language, word)
                && (at_stmt
                    || (language == SourceLanguage::Rust
                        && ((word == "use" && (prev_word == "pub" || prev_punct == b')'))
                            || (word == "crate" && prev_word == "extern")))
                    || (language == SourceLanguage::CSharp
                        && word == "using"
                        && prev_word == "global"));
            if trigger {
                let line = lx.line;
                let before = if at_stmt {
                    Kind::Newline
                } else if prev_word.is_empty() {
                    Kind::Punct(prev_punct)
                } else {
                    Kind::Ident(prev_word)
                };
                let mut window = Window::default();
                window.push(Token {
                    kind: before,
                    line,
                    start,
                });
                window.push(Token {
                    kind: Kind::Ident(word),
                    line,
                    start,
                });
                let before_line = lx.line;
                grammar(language, &mut window, &mut lx, on_import);
                if let Some(tok) = lx.pending.take() {
                    lx.pos = tok.start;
                    lx.line = tok.line;
                }
                if lx.line != before_line {
                    // The statement spanned lines: start the line statistics afresh.
                    let line_start = content[..lx.pos].rfind('\n').map_or(0, |p| p + 1);
                    stats = LineStats {
                        start: line_start,
                        string_bytes: 0,
                        blank: false,
                        spaced: true,
                    };
                }
                at_stmt = matches!(
                    window.kind(0),
                    Some(Kind::Newline | Kind::Punct(b';' | b'{' | b'}'))
                );
                prev_word = "";
                prev_punct = 0;
                continue;
            }
            at_stmt = false;
            prev_word = word;
            prev_punct = 0;
            continue;
        }
        match c {
            b'\n' => {
                let end = if lx.pos > 0 && b[lx.pos - 1] == b'\r' {
                    lx.pos - 1
                } else {
                    lx.pos
                };
                stats.end_line(end, lx.line, &mut shape);
                lx.pos += 1;
                lx.line += 1;
                at_stmt = true;
                prev_word = "";
                prev_punct = b'\n';
            }
            b' ' | b'\t' => {
                stats.spaced = true;
                lx.pos += 1;
            }
            b'\r' | 0x0c => lx.pos += 1,
            b'{' | b'(' | b'[' => {
                stats.blank = false;
                depth += 1;
                shape.max_depth = shape.max_depth.max(depth);
                at_stmt = c == b'{';
                prev_word = "";
                prev_punct = c;
                lx.pos += 1;
            }
            b'}' | b')' | b']' => {
                stats.blank = false;
                depth = depth.saturating_sub(1);
                at_stmt = c == b'}';
                prev_word = "";
                prev_punct = c;
                lx.pos += 1;
            }
            b';' => {
                stats.blank = false;
                at_stmt = true;
                prev_word = "";
                prev_punct = c;
                lx.pos += 1;
            }
            b'/' | b'#' | b'=' if lx.skip_comment() => {
                // A block comment may end on a later line; its text is not code either way.
                let from = stats.start.min(lx.pos);
                if let Some(at) = memchr::memrchr(b'\n', &b[from..lx.pos]) {
                    stats = LineStats {
                        start: from + at + 1,
                        string_bytes: 0,
                        ..stats
                    };
                }
            }
            b'"' | b'\'' | b'`' | b'@' if lx.skip_string() => {
                stats.blank = false;
                let from = lx.last_string.start;
                match memchr::memrchr(b'\n', &b[from..lx.pos]) {
                    None => stats.string_bytes += lx.pos - from,
                    Some(at) => {
                        stats = LineStats {
                            start: from + at + 1,
                            string_bytes: lx.pos - (from + at + 1),
                            blank: false,
                            spaced: false,
                        }
                    }
                }
                at_stmt = false;
                prev_word = "";
                prev_punct = b'"';
            }
            _ => {
                stats.blank = false;
                at_stmt = false;
                prev_word = "";
                prev_punct = c;
                lx.pos += 1;
            }
        }
    }
    stats.end_line(b.len(), lx.line, &mut shape);
    on_shape(shape);
}

/// First bytes of the words `scan` must look at: import keywords and calls (`import`, `from`,
/// `use`, `using`, `require`, `gem`, `load`, `part`, `export`, `crate`, `__import__`), string
/// prefixes (`r`, `b`, `f`, `u`, `c`, `$`, either case) and modifiers before `use` or `crate`
/// (`pub`, `extern`, `global`).
const NOTABLE_FIRST: [bool; 256] = {
    let mut table = [false; 256];
    let notable = b"iefrugclpb_$RBFUC";
    let mut i = 0;
    while i < notable.len() {
        table[notable[i] as usize] = true;
        i += 1;
    }
    table
};

fn grammar<'a>(
    language: SourceLanguage,
    window: &mut Window<'a>,
    lx: &mut Lexer<'a>,
    on_import: &mut dyn FnMut(Import),
) {
    match language {
        SourceLanguage::JavaScript => js(window, lx, on_import),
        SourceLanguage::Python => python(window, lx, on_import),
        SourceLanguage::Php => php(window, lx, on_import),
        SourceLanguage::CSharp => csharp(window, lx, on_import),
        SourceLanguage::Go => go(window, lx, on_import),
        SourceLanguage::Dart => dart(window, lx, on_import),
        SourceLanguage::Java | SourceLanguage::Kotlin => java(window, lx, on_import),
        SourceLanguage::Ruby => ruby(window, lx, on_import),
        SourceLanguage::Rust => rust(window, lx, on_import),
    }
}

/// Whether `word(` followed by a string is an import call in `language`.
fn is_call_form(language: SourceLanguage, word: &str, prev_punct: u8) -> bool {
    if !matches!(word.as_bytes().first(), Some(b'r' | b'i' | b'_')) {
        return false;
    }
    match language {
        SourceLanguage::JavaScript => matches!(word, "require" | "import") && prev_punct != b'.',
        SourceLanguage::Python => {
            word == "import_module" || (word == "__import__" && prev_punct != b'.')
        }
        _ => false,
    }
}

/// Whether an identifier can start an import in `language` (the grammars run only then).
fn is_trigger(language: SourceLanguage, word: &str) -> bool {
    let Some(&first) = word.as_bytes().first() else {
        return false;
    };
    if !matches!(
        first,
        b'i' | b'e' | b'r' | b'f' | b'u' | b'g' | b'c' | b'l' | b'p'
    ) {
        return false;
    }
    match language {
        SourceLanguage::JavaScript => matches!(word, "import" | "export"),
        SourceLanguage::Python => matches!(word, "import" | "from"),
        SourceLanguage::Php => word == "use",
        SourceLanguage::CSharp => word == "using",
        SourceLanguage::Go | SourceLanguage::Java | SourceLanguage::Kotlin => word == "import",
        SourceLanguage::Rust => matches!(word, "use" | "crate"),
        SourceLanguage::Dart => matches!(word, "import" | "export" | "part"),
        SourceLanguage::Ruby => matches!(word, "require" | "require_relative" | "gem" | "load"),
    }
}

// ---------------------------------------------------------------------------------------------
// The lexer

#[derive(Debug, Clone, Copy)]
struct Syntax {
    line_comment: &'static [&'static [u8]],
    block_comment: bool,
    /// Strings in `'` and `"` may span lines.
    multiline_strings: bool,
    /// Backtick strings (Go raw strings, JS template literals) may span lines.
    backtick_strings: bool,
    /// Python: triple quotes and string prefixes.
    python: bool,
    /// Ruby: `=begin`/`=end`.
    ruby: bool,
    /// Rust: raw strings and lifetimes.
    rust: bool,
    /// C#: verbatim strings `@"…"`.
    csharp: bool,
}

impl Syntax {
    const C: Syntax = Syntax {
        line_comment: &[b"//"],
        block_comment: true,
        multiline_strings: false,
        backtick_strings: false,
        python: false,
        ruby: false,
        rust: false,
        csharp: false,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    Ident(&'a str),
    Str(&'a str),
    Punct(u8),
    Newline,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind<'a>,
    line: usize,
    /// The byte offset where the token starts (for giving it back).
    start: usize,
}

#[derive(Clone, Copy)]
struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    syntax: Syntax,
    /// A token a grammar read one too far and gave back.
    pending: Option<Token<'a>>,
    /// The token `skip_string` lexed.
    last_string: Token<'a>,
}

const IDENT: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        i += 1;
    }
    table
};

fn is_ident_byte(b: u8) -> bool {
    IDENT[usize::from(b)]
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, syntax: Syntax) -> Self {
        let empty = Token {
            kind: Kind::Newline,
            line: 0,
            start: 0,
        };
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            syntax,
            pending: None,
            last_string: empty,
        }
    }

    /// `(` and a string right here, without consuming anything: the module of an import call.
    fn peek_call_string(&self) -> Option<(&'a str, usize)> {
        let mut probe = *self;
        probe.pending = None;
        let open = probe.next_token()?;
        if open.kind != Kind::Punct(b'(') {
            return None;
        }
        match probe.next_token()? {
            Token {
                kind: Kind::Str(module),
                line,
                ..
            } => Some((module, line)),
            _ => None,
        }
    }

    /// Give a token back: the next call returns it again.
    fn unread(&mut self, tok: Token<'a>) {
        self.pending = Some(tok);
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        if let Some(tok) = self.pending.take() {
            return Some(tok);
        }
        let b = self.bytes;
        loop {
            let &c = b.get(self.pos)?;
            let start = self.pos;
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    return Some(Token {
                        kind: Kind::Newline,
                        line: self.line - 1,
                        start,
                    });
                }
                b' ' | b'\t' | b'\r' | 0x0c => {
                    self.pos += 1;
                    while matches!(b.get(self.pos), Some(b' ' | b'\t')) {
                        self.pos += 1;
                    }
                }
                _ if self.skip_comment() => {}
                _ if self.skip_string() => return Some(self.last_string),
                _ if is_ident_byte(c) => {
                    let end = b[start..]
                        .iter()
                        .position(|&x| !is_ident_byte(x))
                        .map_or(b.len(), |n| start + n);
                    let word = &self.text[start..end];
                    self.pos = end;
                    if let Some(&q) = b.get(end)
                        && (q == b'"' || q == b'\'')
                        && self.is_string_prefix(word)
                    {
                        let mut tok = self.string(q);
                        tok.start = start;
                        return Some(tok);
                    }
                    if self.syntax.rust
                        && (word == "r" || word == "br")
                        && matches!(b.get(end), Some(b'#'))
                    {
                        let mut tok = self.rust_raw_string();
                        tok.start = start;
                        return Some(tok);
                    }
                    return Some(Token {
                        kind: Kind::Ident(word),
                        line: self.line,
                        start,
                    });
                }
                _ => {
                    self.pos += 1;
                    return Some(Token {
                        kind: Kind::Punct(c),
                        line: self.line,
                        start,
                    });
                }
            }
        }
    }

    /// If a comment starts here, skip it (up to, not including, its line end) and say so.
    fn skip_comment(&mut self) -> bool {
        let b = self.bytes;
        let Some(&c) = b.get(self.pos) else {
            return false;
        };
        match c {
            b'/' if self.syntax.block_comment && b.get(self.pos + 1) == Some(&b'*') => {
                let (end, newlines) = find_block_end(b, self.pos + 2);
                self.line += newlines;
                self.pos = end;
                true
            }
            b'=' if self.syntax.ruby
                && self.at_line_start()
                && b[self.pos..].starts_with(b"=begin") =>
            {
                let end = memchr::memmem::find(&b[self.pos..], b"\n=end")
                    .map_or(b.len(), |at| self.pos + at + 5);
                self.count_lines(self.pos, end);
                self.pos = end;
                true
            }
            b'/' | b'#'
                if self
                    .syntax
                    .line_comment
                    .iter()
                    .any(|lc| b[self.pos..].starts_with(lc)) =>
            {
                self.pos =
                    memchr::memchr(b'\n', &b[self.pos..]).map_or(b.len(), |at| self.pos + at);
                true
            }
            _ => false,
        }
    }

    /// If a string starts here, lex it into `last_string` and say so.
    fn skip_string(&mut self) -> bool {
        let b = self.bytes;
        let Some(&c) = b.get(self.pos) else {
            return false;
        };
        let start = self.pos;
        let tok = match c {
            b'"' | b'\'' => self.string(c),
            b'`' if self.syntax.backtick_strings => self.string(c),
            b'@' if self.syntax.csharp && b.get(self.pos + 1) == Some(&b'"') => {
                self.pos += 1;
                self.verbatim_string()
            }
            _ => return false,
        };
        self.last_string = Token { start, ..tok };
        true
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.bytes[self.pos - 1] == b'\n'
    }

    fn is_string_prefix(&self, word: &str) -> bool {
        (self.syntax.python && word.len() <= 2 && word.bytes().all(|c| b"rRbBfFuU".contains(&c)))
            || (self.syntax.csharp && word == "$")
            || (self.syntax.rust && (word == "b" || word == "c"))
    }

    fn count_lines(&mut self, from: usize, to: usize) {
        self.line +=
            memchr::memchr_iter(b'\n', &self.bytes[from..to.min(self.bytes.len())]).count();
    }

    /// A string starting at `self.pos` with quote `q`; returns its content.
    fn string(&mut self, q: u8) -> Token<'a> {
        let b = self.bytes;
        let line = self.line;
        if self.syntax.rust && q == b'\'' {
            return self.rust_quote();
        }
        if self.syntax.python && b[self.pos..].starts_with(&[q, q, q]) {
            let start = self.pos + 3;
            let mut i = start;
            let mut newlines = 0;
            while i < b.len() {
                match memchr::memchr3(q, b'\\', b'\n', &b[i..]) {
                    None => i = b.len(),
                    Some(at) => {
                        i += at;
                        match b[i] {
                            b'\\' => {
                                newlines += usize::from(b.get(i + 1) == Some(&b'\n'));
                                i += 2;
                            }
                            b'\n' => {
                                newlines += 1;
                                i += 1;
                            }
                            _ if b[i..].starts_with(&[q, q, q]) => break,
                            _ => i += 1,
                        }
                    }
                }
            }
            let end = i.min(b.len());
            self.line += newlines;
            self.pos = (end + 3).min(b.len());
            return Token {
                kind: Kind::Str(self.slice(start, end)),
                line,
                start: 0,
            };
        }
        let multiline = self.syntax.multiline_strings || q == b'`';
        let start = self.pos + 1;
        let mut i = start;
        let mut newlines = 0;
        while i < b.len() {
            match memchr::memchr3(q, b'\\', b'\n', &b[i..]) {
                None => i = b.len(),
                Some(at) => {
                    i += at;
                    match b[i] {
                        b'\\' => {
                            newlines += usize::from(b.get(i + 1) == Some(&b'\n'));
                            i += 2;
                        }
                        b'\n' if multiline => {
                            newlines += 1;
                            i += 1;
                        }
                        _ => break,
                    }
                }
            }
        }
        let end = i.min(b.len());
        self.line += newlines;
        self.pos = if end < b.len() && b[end] == q {
            end + 1
        } else {
            end
        };
        Token {
            kind: Kind::Str(self.slice(start, end)),
            line,
            start: 0,
        }
    }

    fn verbatim_string(&mut self) -> Token<'a> {
        let b = self.bytes;
        let line = self.line;
        let start = self.pos + 1;
        let mut i = start;
        while i < b.len() {
            if b[i] == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        let end = i.min(b.len());
        self.count_lines(start, end);
        self.pos = (end + 1).min(b.len());
        Token {
            kind: Kind::Str(self.slice(start, end)),
            line,
            start: 0,
        }
    }

    /// Rust `'`: a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
    fn rust_quote(&mut self) -> Token<'a> {
        let b = self.bytes;
        let line = self.line;
        let start = self.pos + 1;
        if b.get(start) == Some(&b'\\') {
            let end = b[start..]
                .iter()
                .position(|&c| c == b'\'' || c == b'\n')
                .map_or(b.len(), |n| start + n);
            self.pos = (end + 1).min(b.len());
            return Token {
                kind: Kind::Str(self.slice(start, end)),
                line,
                start: 0,
            };
        }
        // One character (maybe multi-byte) then a closing quote: a char literal.
        let width = self.text[start..].chars().next().map_or(0, char::len_utf8);
        if width > 0 && b.get(start + width) == Some(&b'\'') {
            self.pos = start + width + 1;
            return Token {
                kind: Kind::Str(self.slice(start, start + width)),
                line,
                start: 0,
            };
        }
        self.pos = start;
        Token {
            kind: Kind::Punct(b'\''),
            line,
            start: 0,
        }
    }

    /// `r#"…"#` with any number of `#`; `self.pos` is at the first `#`.
    fn rust_raw_string(&mut self) -> Token<'a> {
        let b = self.bytes;
        let line = self.line;
        let hashes = b[self.pos..].iter().take_while(|&&c| c == b'#').count();
        let open = self.pos + hashes;
        if b.get(open) != Some(&b'"') {
            let tok = Token {
                kind: Kind::Punct(b'#'),
                line,
                start: 0,
            };
            self.pos += 1;
            return tok;
        }
        let start = open + 1;
        let mut closing = Vec::with_capacity(hashes + 1);
        closing.push(b'"');
        closing.extend(std::iter::repeat_n(b'#', hashes));
        let end = memchr::memmem::find(&b[start..], &closing).map_or(b.len(), |at| start + at);
        self.count_lines(start, end);
        self.pos = (end + closing.len()).min(b.len());
        Token {
            kind: Kind::Str(self.slice(start, end)),
            line,
            start: 0,
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        let start = start.min(self.text.len());
        let end = end.clamp(start, self.text.len());
        // Quotes and backslashes are ASCII, so the bounds are char boundaries; stay safe anyway.
        self.text.get(start..end).unwrap_or("")
    }
}

/// The end of a block comment whose body starts at `from` (just after `*/`, or the text end),
/// and the newlines inside it.
fn find_block_end(b: &[u8], from: usize) -> (usize, usize) {
    let mut i = from;
    let mut newlines = 0;
    while let Some(at) = memchr::memchr2(b'*', b'\n', &b[i.min(b.len())..]) {
        let hit = i + at;
        if b[hit] == b'\n' {
            newlines += 1;
        } else if b.get(hit + 1) == Some(&b'/') {
            return (hit + 2, newlines);
        }
        i = hit + 1;
    }
    (b.len(), newlines)
}

// ---------------------------------------------------------------------------------------------
// Import grammars over the token stream

/// The last few tokens (a ring), and whether the newest one starts a statement.
#[derive(Default)]
struct Window<'a> {
    tokens: [Option<Token<'a>>; 4],
    /// The slot of the newest token.
    head: usize,
    /// Whether the token before the newest one ended a statement (or there was none).
    statement_start: bool,
}

impl<'a> Window<'a> {
    fn push(&mut self, tok: Token<'a>) {
        let prev = self.tokens[self.head].map(|t| t.kind);
        self.statement_start = matches!(
            prev,
            None | Some(Kind::Newline | Kind::Punct(b';' | b'{' | b'}'))
        );
        self.head = (self.head + 1) % 4;
        self.tokens[self.head] = Some(tok);
    }

    fn kind(&self, back: usize) -> Option<Kind<'a>> {
        if back >= 4 {
            return None;
        }
        self.tokens[(self.head + 4 - back) % 4].map(|t| t.kind)
    }

    fn newest(&self) -> Option<Token<'a>> {
        self.tokens[self.head]
    }

    /// The newest token is `word` at the start of a statement.
    fn keyword(&self, word: &str) -> bool {
        self.statement_start && self.kind(0) == Some(Kind::Ident(word))
    }
}

/// Next token that is not a newline.
fn next_sig<'a>(lexer: &mut Lexer<'a>) -> Option<Token<'a>> {
    loop {
        let tok = lexer.next_token()?;
        if tok.kind != Kind::Newline {
            return Some(tok);
        }
    }
}

fn emit(on_import: &mut dyn FnMut(Import), module: &str, line: usize, relative: bool) {
    let module = module.trim();
    if !module.is_empty() {
        on_import(Import {
            module: module.to_string(),
            line,
            relative,
        });
    }
}

/// `require('m')` / `import('m')` / `import_module('m')` ending at the newest tokens:
/// Ident `(` Str — with no `.` before the ident (a method of another object).
fn call_with_string<'a>(window: &Window<'a>, names: &[&str]) -> Option<&'a str> {
    match (window.kind(2), window.kind(1), window.kind(0)) {
        (Some(Kind::Ident(name)), Some(Kind::Punct(b'(')), Some(Kind::Str(module)))
            if names.contains(&name) =>
        {
            let before = window.kind(3);
            (before != Some(Kind::Punct(b'.')) || name == "import_module").then_some(module)
        }
        _ => None,
    }
}

fn js<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    if let Some(module) = call_with_string(window, &["require", "import"]) {
        let line = window.newest().map_or(0, |t| t.line);
        emit(
            on_import,
            module,
            line,
            module.starts_with('.') || module.starts_with('/'),
        );
        return;
    }
    let is_import = window.keyword("import");
    let is_export = window.keyword("export");
    if !is_import && !is_export {
        return;
    }
    // Read on through this statement for `'m'` (a side-effect import) or `from 'm'`. Whatever
    // belongs to the next statement is given back to the main loop.
    let mut braces = 0i32;
    let mut after_from = false;
    for step in 0..512 {
        let Some(tok) = lexer.next_token() else {
            return;
        };
        let first = step == 0;
        let give_back = match tok.kind {
            Kind::Str(module) if (is_import && first) || after_from => {
                window.push(tok);
                emit(
                    on_import,
                    module,
                    tok.line,
                    module.starts_with('.') || module.starts_with('/'),
                );
                return;
            }
            // `import(` is a dynamic import: the call check sees `(` and the string next.
            Kind::Punct(b'(') if first => true,
            Kind::Punct(b'=') if braces == 0 => true,
            Kind::Ident("import" | "export")
                if braces == 0 && window.kind(0) == Some(Kind::Newline) =>
            {
                true
            }
            _ if is_export && first => {
                !matches!(tok.kind, Kind::Punct(b'*' | b'{') | Kind::Ident("type"))
            }
            _ => false,
        };
        if give_back {
            lexer.unread(tok);
            return;
        }
        match tok.kind {
            Kind::Punct(b'{') => braces += 1,
            Kind::Punct(b'}') => braces -= 1,
            _ => {}
        }
        window.push(tok);
        if tok.kind == Kind::Punct(b';') {
            return;
        }
        after_from = tok.kind == Kind::Ident("from");
    }
}

fn dotted<'a>(
    lexer: &mut Lexer<'a>,
    window: &mut Window<'a>,
    first: Option<Token<'a>>,
    sep: u8,
) -> (String, Option<Token<'a>>, usize) {
    let mut name = String::new();
    let mut line = 0;
    let mut tok = first;
    let mut expect_part = true;
    while let Some(t) = tok {
        match t.kind {
            Kind::Ident(part) if expect_part && !matches!(part, "import" | "as") => {
                if line == 0 {
                    line = t.line;
                }
                name.push_str(part);
                expect_part = false;
            }
            Kind::Punct(c) if c == sep => {
                if line == 0 {
                    line = t.line;
                }
                name.push(char::from(sep));
                expect_part = true;
            }
            Kind::Punct(b'*') if expect_part => {
                name.push('*');
                expect_part = false;
            }
            _ => return (name, Some(t), line),
        }
        window.push(t);
        tok = lexer.next_token();
    }
    (name, None, line)
}

fn python<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    if let Some(module) = call_with_string(window, &["import_module", "__import__"]) {
        let line = window.newest().map_or(0, |t| t.line);
        emit(on_import, module, line, module.starts_with('.'));
        return;
    }
    if window.keyword("import") {
        let mut next = next_sig(lexer);
        loop {
            let (name, after, line) = dotted(lexer, window, next, b'.');
            emit(on_import, &name, line, false);
            let mut after = after;
            if matches!(after.map(|t| t.kind), Some(Kind::Ident("as"))) {
                let _alias = lexer.next_token();
                after = lexer.next_token();
            }
            match after.map(|t| t.kind) {
                Some(Kind::Punct(b',')) => next = next_sig(lexer),
                _ => {
                    if let Some(t) = after {
                        window.push(t);
                    }
                    return;
                }
            }
        }
    } else if window.keyword("from") {
        let first = lexer.next_token();
        let (name, after, line) = dotted(lexer, window, first, b'.');
        if matches!(after.map(|t| t.kind), Some(Kind::Ident("import"))) {
            let line = if line == 0 {
                window.newest().map_or(0, |t| t.line)
            } else {
                line
            };
            emit(on_import, &name, line, name.starts_with('.'));
        }
        if let Some(t) = after {
            window.push(t);
        }
    }
}

fn php<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    if !window.keyword("use") {
        return;
    }
    let mut next = next_sig(lexer);
    if matches!(
        next.map(|t| t.kind),
        Some(Kind::Ident("function" | "const"))
    ) {
        next = next_sig(lexer);
    }
    loop {
        let mut name = String::new();
        let mut line = 0;
        let mut tok = next;
        let mut expect_part = true;
        while let Some(t) = tok {
            match t.kind {
                Kind::Ident(part) if expect_part && part != "as" => {
                    name.push_str(part);
                    line = if line == 0 { t.line } else { line };
                    expect_part = false;
                }
                Kind::Punct(b'\\') => {
                    name.push('\\');
                    expect_part = true;
                }
                _ => break,
            }
            tok = lexer.next_token();
        }
        match tok.map(|t| t.kind) {
            Some(Kind::Punct(b'{')) => {
                // Group use: `use A\B\{C, D as E};` — the prefix names the package.
                let prefix = name.trim_end_matches('\\').to_string();
                emit(on_import, &prefix, line, false);
                while let Some(t) = lexer.next_token() {
                    if matches!(t.kind, Kind::Punct(b'}' | b';')) {
                        window.push(t);
                        break;
                    }
                }
                return;
            }
            Some(Kind::Ident("as")) => {
                emit(on_import, &name, line, false);
                let _alias = next_sig(lexer);
                tok = next_sig(lexer);
            }
            _ => emit(on_import, &name, line, false),
        }
        match tok.map(|t| t.kind) {
            Some(Kind::Punct(b',')) => next = next_sig(lexer),
            _ => {
                if let Some(t) = tok {
                    window.push(t);
                }
                return;
            }
        }
    }
}

fn csharp<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    let using = window.keyword("using")
        || (window.kind(0) == Some(Kind::Ident("using"))
            && window.kind(1) == Some(Kind::Ident("global")));
    if !using {
        return;
    }
    let mut first = next_sig(lexer);
    if matches!(first.map(|t| t.kind), Some(Kind::Ident("static"))) {
        first = next_sig(lexer);
    }
    // `using (var x = …)` and `using var x = …` are statements, not directives.
    match first.map(|t| t.kind) {
        Some(Kind::Ident("var" | "await")) | Some(Kind::Punct(_)) | None => {
            if let Some(t) = first {
                window.push(t);
            }
            return;
        }
        _ => {}
    }
    let (mut name, mut after, mut line) = dotted(lexer, window, first, b'.');
    if matches!(after.map(|t| t.kind), Some(Kind::Punct(b'='))) {
        let target = next_sig(lexer);
        (name, after, line) = dotted(lexer, window, target, b'.');
    }
    if matches!(after.map(|t| t.kind), Some(Kind::Punct(b';'))) {
        emit(on_import, &name, line, false);
    }
    if let Some(t) = after {
        window.push(t);
    }
}

fn go<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    if !window.keyword("import") {
        return;
    }
    let Some(tok) = next_sig(lexer) else { return };
    match tok.kind {
        Kind::Str(module) => emit(on_import, module, tok.line, false),
        Kind::Ident(_) | Kind::Punct(b'.' | b'_') => {
            if let Some(Token {
                kind: Kind::Str(module),
                line,
                ..
            }) = next_sig(lexer)
            {
                emit(on_import, module, line, false);
            }
        }
        Kind::Punct(b'(') => {
            while let Some(t) = lexer.next_token() {
                match t.kind {
                    Kind::Str(module) => emit(on_import, module, t.line, false),
                    Kind::Punct(b')') => {
                        window.push(t);
                        return;
                    }
                    _ => {}
                }
            }
        }
        _ => window.push(tok),
    }
}

fn dart<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    let Some(tok) = next_sig(lexer) else { return };
    match tok.kind {
        Kind::Str(module) => {
            let relative = !(module.starts_with("package:") || module.starts_with("dart:"));
            emit(on_import, module, tok.line, relative);
            window.push(tok);
        }
        _ => lexer.unread(tok),
    }
}

fn java<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    if !window.keyword("import") {
        return;
    }
    let mut first = next_sig(lexer);
    if matches!(first.map(|t| t.kind), Some(Kind::Ident("static"))) {
        first = next_sig(lexer);
    }
    let (name, after, line) = dotted(lexer, window, first, b'.');
    emit(on_import, name.trim_end_matches(".*"), line, false);
    if let Some(t) = after {
        window.push(t);
    }
}

fn ruby<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    let name = match window.kind(0) {
        Some(Kind::Ident(name)) => name,
        _ => return,
    };
    let Some(mut tok) = lexer.next_token() else {
        return;
    };
    if tok.kind == Kind::Punct(b'(') {
        window.push(tok);
        let Some(next) = lexer.next_token() else {
            return;
        };
        tok = next;
    }
    match tok.kind {
        Kind::Str(module) => {
            emit(
                on_import,
                module,
                tok.line,
                name == "require_relative" || name == "load" || module.starts_with('.'),
            );
            window.push(tok);
        }
        _ => lexer.unread(tok),
    }
}

fn rust<'a>(window: &mut Window<'a>, lexer: &mut Lexer<'a>, on_import: &mut dyn FnMut(Import)) {
    let is_use = window.kind(0) == Some(Kind::Ident("use"))
        && (window.statement_start
            || window.kind(1) == Some(Kind::Ident("pub"))
            || window.kind(1) == Some(Kind::Punct(b')')));
    let is_extern = window.kind(1) == Some(Kind::Ident("extern"))
        && window.kind(0) == Some(Kind::Ident("crate"));
    if is_extern {
        if let Some(Token {
            kind: Kind::Ident(name),
            line,
            ..
        }) = next_sig(lexer)
        {
            emit(on_import, name, line, false);
        }
        return;
    }
    if !is_use {
        return;
    }
    let mut first = next_sig(lexer);
    if matches!(first.map(|t| t.kind), Some(Kind::Punct(b':'))) {
        // `use ::std::x` — skip the leading `::`.
        let _ = lexer.next_token();
        first = next_sig(lexer);
    }
    let Some(root_tok) = first else { return };
    let Kind::Ident(root) = root_tok.kind else {
        lexer.unread(root_tok);
        return;
    };
    window.push(root_tok);
    let mut module = root.to_string();
    // Take the next segment too, for rules like `std::collections`.
    match lexer.next_token() {
        Some(colon) if colon.kind == Kind::Punct(b':') => match lexer.next_token() {
            Some(colon2) if colon2.kind == Kind::Punct(b':') => match lexer.next_token() {
                Some(Token {
                    kind: Kind::Ident(second),
                    ..
                }) => {
                    module.push_str("::");
                    module.push_str(second);
                }
                Some(other) => lexer.unread(other),
                None => {}
            },
            Some(other) => lexer.unread(other),
            None => {}
        },
        Some(other) => lexer.unread(other),
        None => {}
    }
    emit(
        on_import,
        &module,
        root_tok.line,
        matches!(root, "crate" | "self" | "super"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `of_path` as it was written first, with string searches: what the byte version must
    /// agree with.
    fn of_path_by_chars(path: &str) -> Option<SourceLanguage> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        if name == "Gemfile" || name == "Rakefile" {
            return Some(SourceLanguage::Ruby);
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        SourceLanguage::of_path(&format!("x.{ext}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]
        #[test]
        fn of_path_reads_paths_as_the_character_search_did(
            path in "[a-zA-Z./\\\\é€ ]{0,24}(\\.(ts|TSX|py|Rs|go|svelte|rb|x))?"
        ) {
            proptest::prop_assert_eq!(SourceLanguage::of_path(&path), of_path_by_chars(&path));
        }
    }

    #[test]
    fn languages_by_extension_in_any_case() {
        let cases = [
            ("src/App.TSX", Some(SourceLanguage::JavaScript)),
            ("web/Page.Svelte", Some(SourceLanguage::JavaScript)),
            ("app/main.py", Some(SourceLanguage::Python)),
            ("lib\\x.RS", Some(SourceLanguage::Rust)),
            ("Gemfile", Some(SourceLanguage::Ruby)),
            ("notes.markdown", None),
            ("archive.sveltekit", None),
            ("README", None),
            ("x.", None),
        ];
        for (path, want) in cases {
            assert_eq!(SourceLanguage::of_path(path), want, "{path}");
        }
    }

    fn found(language: SourceLanguage, code: &str) -> Vec<(String, usize, bool)> {
        imports(language, code)
            .into_iter()
            .map(|i| (i.module, i.line, i.relative))
            .collect()
    }

    fn modules(language: SourceLanguage, code: &str) -> Vec<String> {
        imports(language, code)
            .into_iter()
            .map(|i| i.module)
            .collect()
    }

    #[test]
    fn javascript_forms() {
        let code = r#"import express from 'express';
import * as path from "node:path";
import { a, b } from '@scope/pkg/sub';
import type { T } from './types';
import def, { named } from 'lodash';
import 'reflect-metadata';
import {
  x,
  y,
} from 'multi-line';
export { thing } from './thing';
export * from 'reexported';
export const notAnImport = 1;
export default function f() {}
const lazy = await import('lazy-mod');
const cjs = require("cjs-mod");
// import fake from 'commented';
/* require('block-commented') */
const s = "import nope from 'nope'";
const t = `require('template')`;
obj.require('method-call');
"#;
        assert_eq!(
            modules(SourceLanguage::JavaScript, code),
            [
                "express",
                "node:path",
                "@scope/pkg/sub",
                "./types",
                "lodash",
                "reflect-metadata",
                "multi-line",
                "./thing",
                "reexported",
                "lazy-mod",
                "cjs-mod"
            ]
        );
        let lines: Vec<usize> = imports(SourceLanguage::JavaScript, code)
            .iter()
            .map(|i| i.line)
            .collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6, 10, 11, 12, 15, 16]);
    }

    #[test]
    fn python_forms() {
        let code = "\"\"\"Docstring: from django import nope\nimport also_nope\n\"\"\"\nimport os\nimport a.b as c, d\nfrom app.models import User\nfrom . import sibling\nfrom ..pkg import x\n\ndef f():\n    from fastapi import FastAPI  # indented\n    s = 'import fake'\n    # import commented\n    mod = importlib.import_module('dyn')\n";
        assert_eq!(
            found(SourceLanguage::Python, code),
            [
                ("os".into(), 4, false),
                ("a.b".into(), 5, false),
                ("d".into(), 5, false),
                ("app.models".into(), 6, false),
                (".".into(), 7, true),
                ("..pkg".into(), 8, true),
                ("fastapi".into(), 11, false),
                ("dyn".into(), 14, false),
            ]
        );
        assert_eq!(
            modules(
                SourceLanguage::Python,
                "x = f'import {y}'\nprint(\"from flask import Flask\")\n"
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn php_forms() {
        let code = "<?php\nnamespace App\\Http;\n\nuse Illuminate\\Support\\Facades\\Route;\nuse App\\Models\\User as U;\nuse function Foo\\bar;\nuse Vendor\\Pkg\\{A, B as C};\n// use Commented\\Thing;\nclass X { use SomeTrait; }\n";
        assert_eq!(
            modules(SourceLanguage::Php, code),
            [
                "Illuminate\\Support\\Facades\\Route",
                "App\\Models\\User",
                "Foo\\bar",
                "Vendor\\Pkg",
                "SomeTrait"
            ]
        );
    }

    #[test]
    fn csharp_forms() {
        let code = "using System;\nusing static System.Math;\nusing Json = System.Text.Json;\nglobal using Microsoft.AspNetCore.Mvc;\n// using Commented;\nusing (var s = new Stream()) { }\nusing var t = Open();\nvar path = @\"C:\\using\\x\";\n";
        assert_eq!(
            modules(SourceLanguage::CSharp, code),
            [
                "System",
                "System.Math",
                "System.Text.Json",
                "Microsoft.AspNetCore.Mvc"
            ]
        );
    }

    #[test]
    fn go_forms() {
        let code = "package main\n\nimport \"fmt\"\nimport f \"github.com/gofiber/fiber/v2\"\nimport (\n\t\"net/http\"\n\tgin \"github.com/gin-gonic/gin\"\n\t_ \"github.com/lib/pq\"\n)\n// import \"commented\"\nvar s = `import \"raw\"`\n";
        assert_eq!(
            modules(SourceLanguage::Go, code),
            [
                "fmt",
                "github.com/gofiber/fiber/v2",
                "net/http",
                "github.com/gin-gonic/gin",
                "github.com/lib/pq"
            ]
        );
    }

    #[test]
    fn dart_java_kotlin_ruby_rust_forms() {
        assert_eq!(
            found(
                SourceLanguage::Dart,
                "import 'package:flutter/material.dart';\nimport 'dart:io' as io;\nexport 'src/a.dart';\n// import 'x';\n"
            ),
            [
                ("package:flutter/material.dart".into(), 1, false),
                ("dart:io".into(), 2, false),
                ("src/a.dart".into(), 3, true)
            ]
        );
        assert_eq!(
            modules(
                SourceLanguage::Java,
                "package a;\nimport java.util.List;\nimport static org.junit.Assert.*;\n// import x.y;\n"
            ),
            ["java.util.List", "org.junit.Assert"]
        );
        assert_eq!(
            modules(
                SourceLanguage::Kotlin,
                "import io.ktor.server.Application as App\nimport kotlin.math.max\n"
            ),
            ["io.ktor.server.Application", "kotlin.math.max"]
        );
        assert_eq!(
            found(
                SourceLanguage::Ruby,
                "require 'json'\nrequire_relative 'lib/x'\ngem \"rails\", \"~> 7\"\n# require 'no'\nx = \"require 'no'\"\nrequire('net/http')\n"
            ),
            [
                ("json".into(), 1, false),
                ("lib/x".into(), 2, true),
                ("rails".into(), 3, false),
                ("net/http".into(), 6, false)
            ]
        );
        assert_eq!(
            found(
                SourceLanguage::Rust,
                "use std::collections::HashMap;\npub use axum::{Router, routing::get};\npub(crate) use crate::x;\nextern crate serde;\n// use fake::x;\nfn f<'a>(s: &'a str) -> char { let c = '\\n'; let r = r#\"use nope::x;\"#; c }\n"
            ),
            [
                ("std::collections".into(), 1, false),
                ("axum".into(), 2, false),
                ("crate::x".into(), 3, true),
                ("serde".into(), 4, false)
            ]
        );
    }

    #[test]
    fn consecutive_statements_are_all_seen() {
        assert_eq!(
            modules(
                SourceLanguage::Rust,
                "use axum;\nuse serde;\nuse tokio::net;\n"
            ),
            ["axum", "serde", "tokio::net"]
        );
        assert_eq!(
            modules(
                SourceLanguage::JavaScript,
                "import React\nimport x from 'y'\nimport z from 'w'"
            ),
            ["y", "w"]
        );
        assert_eq!(
            modules(SourceLanguage::JavaScript, "import x = require('ts-eq')\n"),
            ["ts-eq"]
        );
        assert_eq!(
            modules(
                SourceLanguage::Python,
                "import os; import sys\nfrom a import (b,\n  c)\nimport json\n"
            ),
            ["os", "sys", "a", "json"]
        );
        assert_eq!(
            modules(SourceLanguage::Go, "import \"fmt\"\nimport \"os\"\n"),
            ["fmt", "os"]
        );
    }

    #[test]
    fn lexer_survives_unterminated_things() {
        for lang in SourceLanguage::ALL {
            for code in [
                "\"unterminated",
                "'x",
                "/* open",
                "\"\"\"open",
                "r#\"open",
                "@\"open",
                "import",
                "use",
                "from",
                "`open",
                "é'ü\"ö",
            ] {
                let _ = imports(lang, code);
            }
        }
    }

    #[test]
    fn nesting_depth_ignores_strings_and_comments() {
        let mut depth = 0;
        scan(
            SourceLanguage::JavaScript,
            "f(a[b{c}]) // ((((((\nconst s = '{{{{{{{{{{{{';",
            &mut |_| {},
            &mut |s| depth = s.max_depth,
        );
        assert_eq!(depth, 3);
    }
}
