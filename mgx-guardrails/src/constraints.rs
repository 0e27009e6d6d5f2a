//! Task constraints, read the way a person means them.
//!
//! | constraint text (examples) | understood as |
//! |---|---|
//! | "Use pnpm", "pnpm only", "with yarn" | [`Constraint::PackageManager`] required |
//! | "Don't use npm", "no yarn", "avoid pnpm", "instead of npm" | [`Constraint::PackageManager`] forbidden |
//! | "No extra libraries", "no third-party packages", "standard library only", "zero dependencies" | [`Constraint::NoExtraLibraries`] |
//! | "Use minimal dependencies", "keep dependencies small", "at most 10 dependencies" | [`Constraint::MaxDependencies`] (default threshold 20) |
//! | "Must include env vars", "Include .env configuration", "use environment variables" | [`Constraint::EnvFile`] required |
//! | "Do not use environment variables" | understood, demands nothing |
//! | anything else ("Use Pydantic models") | [`Constraint::Unchecked`]: reported as not machine-checked |
//!
//! One sentence can hold several constraints ("Use pnpm and no extra libraries").

use serde::{Deserialize, Serialize};

/// A JavaScript package manager a constraint can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PackageManager {
    /// npm
    Npm,
    /// pnpm
    Pnpm,
    /// Yarn
    Yarn,
    /// Bun
    Bun,
}

impl PackageManager {
    /// Every package manager.
    pub const ALL: [PackageManager; 4] = [
        PackageManager::Npm,
        PackageManager::Pnpm,
        PackageManager::Yarn,
        PackageManager::Bun,
    ];

    /// The command name.
    pub fn name(self) -> &'static str {
        match self {
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
            PackageManager::Yarn => "yarn",
            PackageManager::Bun => "bun",
        }
    }

    /// The lock file it writes.
    pub fn lock_file(self) -> &'static str {
        match self {
            PackageManager::Npm => "package-lock.json",
            PackageManager::Pnpm => "pnpm-lock.yaml",
            PackageManager::Yarn => "yarn.lock",
            PackageManager::Bun => "bun.lockb",
        }
    }
}

/// A constraint mgx can check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Constraint {
    /// The project must (or must not) use this package manager.
    PackageManager {
        /// Which one.
        manager: PackageManager,
        /// `true` for "use", `false` for "don't use".
        required: bool,
    },
    /// Only the stack's common dependencies, the standard library and the project's own code.
    NoExtraLibraries,
    /// At most this many declared dependencies in all dependency files together.
    MaxDependencies {
        /// The threshold.
        max: usize,
    },
    /// An environment template (`.env.example`) must (or need not) be part of the output.
    EnvFile {
        /// `true` when demanded; `false` for "do not use environment variables" (nothing is checked).
        required: bool,
    },
    /// A constraint mgx cannot check by machine; it is reported, never silently dropped.
    Unchecked {
        /// The constraint as given.
        text: String,
    },
}

/// Read one constraint sentence. `max_dependencies` is the threshold for "minimal
/// dependencies" when the sentence names no number.
///
/// ```
/// use mgx_guardrails::constraints::{parse_constraint, Constraint, PackageManager};
/// assert_eq!(parse_constraint("Don't use pnpm", 20), [Constraint::PackageManager { manager: PackageManager::Pnpm, required: false }]);
/// assert_eq!(parse_constraint("Use minimal dependencies", 20), [Constraint::MaxDependencies { max: 20 }]);
/// assert_eq!(parse_constraint("Do not use environment variables", 20), [Constraint::EnvFile { required: false }]);
/// ```
pub fn parse_constraint(text: &str, max_dependencies: usize) -> Vec<Constraint> {
    let words = words(text);
    let mut found = Vec::new();
    let has = |phrase: &[&str]| find_phrase(&words, phrase);

    for manager in PackageManager::ALL {
        if let Some(at) = has(&[manager.name()]) {
            let negated = negated_before(&words, at);
            found.push(Constraint::PackageManager {
                manager,
                required: !negated,
            });
        }
    }

    const EXTRA: &[&[&str]] = &[
        &["no", "extra"],
        &["no", "additional"],
        &["no", "external"],
        &["no", "third", "party"],
        &["no", "new", "dependencies"],
        &["no", "new", "libraries"],
        &["no", "new", "packages"],
        &["without", "extra"],
        &["without", "additional"],
        &["without", "external"],
        &["without", "third", "party"],
        &["standard", "library", "only"],
        &["only", "the", "standard", "library"],
        &["only", "standard", "library"],
        &["stdlib", "only"],
        &["zero", "dependencies"],
        &["no", "dependencies"],
        &["dependency", "free"],
    ];
    if EXTRA.iter().any(|p| has(p).is_some()) {
        found.push(Constraint::NoExtraLibraries);
    }

    let dependency_word = |w: &str| {
        w.starts_with("dependenc")
            || w.starts_with("librar")
            || w.starts_with("package")
            || w == "deps"
            || w == "dep"
    };
    let minimal_word = |w: &str| {
        matches!(
            w,
            "minimal"
                | "minimum"
                | "few"
                | "fewer"
                | "small"
                | "minimize"
                | "minimise"
                | "lightweight"
                | "lean"
                | "max"
                | "maximum"
                | "most"
                | "limit"
        )
    };
    if !found.contains(&Constraint::NoExtraLibraries) {
        let dep_at = words.iter().position(|w| dependency_word(w));
        let min_near = dep_at.is_some_and(|at| {
            let lo = at.saturating_sub(4);
            words[lo..(at + 4).min(words.len())]
                .iter()
                .any(|w| minimal_word(w))
        });
        if min_near {
            let number = dep_at.and_then(|at| {
                let lo = at.saturating_sub(4);
                words[lo..(at + 2).min(words.len())]
                    .iter()
                    .find_map(|w| w.parse::<usize>().ok())
            });
            found.push(Constraint::MaxDependencies {
                max: number.unwrap_or(max_dependencies),
            });
        }
    }

    const ENV: &[&[&str]] = &[
        &["env", "var"],
        &["env", "vars"],
        &["env", "variables"],
        &["environment", "variable"],
        &["environment", "variables"],
        &[".env"],
        &[".env.example"],
        &["env", "file"],
        &["env", "config"],
        &["env", "configuration"],
        &["environment", "config"],
        &["environment", "configuration"],
        &["dotenv"],
    ];
    if let Some(at) = ENV.iter().filter_map(|p| has(p)).min() {
        found.push(Constraint::EnvFile {
            required: !negated_before(&words, at),
        });
    }

    if found.is_empty() {
        found.push(Constraint::Unchecked {
            text: text.trim().to_string(),
        });
    }
    found
}

/// Read every constraint sentence of a task.
pub fn parse_constraints<S: AsRef<str>>(texts: &[S], max_dependencies: usize) -> Vec<Constraint> {
    let mut out: Vec<Constraint> = Vec::new();
    for text in texts {
        for c in parse_constraint(text.as_ref(), max_dependencies) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Lowercase words; clause punctuation and "but" become a `|` that ends a negation's reach.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>, clause_end: bool| {
        let w = word.trim_matches(|c: char| matches!(c, '\'' | '`' | '\u{2019}'));
        let sentence_end = w.ends_with('.') && w.len() > 1;
        let w = w
            .trim_end_matches('.')
            .to_lowercase()
            .replace('\u{2019}', "'");
        if let Some(stem) = w.strip_suffix("n't") {
            out.push(if stem == "ca" || stem == "wo" {
                "can".to_string()
            } else {
                stem.to_string()
            });
            out.push("not".to_string());
        } else if w == "but" {
            out.push("|".to_string());
        } else if !w.is_empty() {
            out.push(w);
        }
        if (clause_end || sentence_end) && out.last().is_some_and(|l| l != "|") {
            out.push("|".to_string());
        }
        word.clear();
    };
    for c in text.chars() {
        match c {
            ',' | ';' | ':' | '!' | '?' => flush(&mut word, &mut out, true),
            c if c.is_whitespace() || matches!(c, '(' | ')' | '"' | '/' | '-') => {
                flush(&mut word, &mut out, false)
            }
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out, false);
    out
}

fn find_phrase(words: &[String], phrase: &[&str]) -> Option<usize> {
    if phrase.is_empty() || words.len() < phrase.len() {
        return None;
    }
    (0..=words.len() - phrase.len()).find(|&i| phrase.iter().zip(&words[i..]).all(|(p, w)| w == p))
}

/// Whether the word at `at` is negated by one of the four words before it, in its clause.
fn negated_before(words: &[String], at: usize) -> bool {
    let clause_start = words[..at]
        .iter()
        .rposition(|w| w == "|")
        .map_or(0, |p| p + 1);
    let lo = at.saturating_sub(4).max(clause_start);
    words[lo..at].iter().enumerate().any(|(i, w)| {
        matches!(
            w.as_str(),
            "not"
                | "no"
                | "never"
                | "avoid"
                | "without"
                | "dont"
                | "nor"
                | "except"
                | "forbid"
                | "forbidden"
                | "ban"
                | "banned"
        ) || (w == "instead" && words.get(lo + i + 1).is_some_and(|n| n == "of"))
            || (w == "rather" && words.get(lo + i + 1).is_some_and(|n| n == "than"))
            || (w == "of" && i > 0 && words[lo + i - 1] == "instead")
            || (w == "than" && i > 0 && words[lo + i - 1] == "rather")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(manager: PackageManager, required: bool) -> Constraint {
        Constraint::PackageManager { manager, required }
    }

    #[test]
    fn package_managers_with_negation() {
        use PackageManager::*;
        assert_eq!(parse_constraint("Use pnpm", 20), [pm(Pnpm, true)]);
        assert_eq!(parse_constraint("pnpm only", 20), [pm(Pnpm, true)]);
        assert_eq!(parse_constraint("Don't use pnpm", 20), [pm(Pnpm, false)]);
        assert_eq!(parse_constraint("Do not use yarn", 20), [pm(Yarn, false)]);
        assert_eq!(
            parse_constraint("Use pnpm instead of npm", 20),
            [pm(Npm, false), pm(Pnpm, true)]
        );
        assert_eq!(
            parse_constraint("Never npm; use yarn", 20),
            [pm(Npm, false), pm(Yarn, true)]
        );
        assert_eq!(parse_constraint("avoid bun", 20), [pm(Bun, false)]);
        assert_eq!(
            parse_constraint("No npm, but pnpm is fine", 20),
            [pm(Npm, false), pm(Pnpm, true)]
        );
    }

    #[test]
    fn libraries_and_dependencies() {
        for text in [
            "No extra libraries",
            "no additional libraries",
            "No third-party packages",
            "standard library only",
            "Zero dependencies",
            "without external dependencies",
        ] {
            assert_eq!(
                parse_constraint(text, 20),
                [Constraint::NoExtraLibraries],
                "{text}"
            );
        }
        for (text, max) in [
            ("Use minimal dependencies", 20),
            ("Keep dependencies small", 20),
            ("at most 10 dependencies", 10),
            ("max 5 deps", 5),
            ("minimize libraries", 20),
        ] {
            assert_eq!(
                parse_constraint(text, 20),
                [Constraint::MaxDependencies { max }],
                "{text}"
            );
        }
    }

    #[test]
    fn environment() {
        for text in [
            "Must include env vars",
            "Include .env configuration",
            "Use environment variables for secrets",
            "dotenv config",
        ] {
            assert_eq!(
                parse_constraint(text, 20),
                [Constraint::EnvFile { required: true }],
                "{text}"
            );
        }
        for text in [
            "Do not use environment variables",
            "no env file",
            "without .env",
        ] {
            assert_eq!(
                parse_constraint(text, 20),
                [Constraint::EnvFile { required: false }],
                "{text}"
            );
        }
    }

    #[test]
    fn several_in_one_and_unchecked() {
        assert_eq!(
            parse_constraint("Use pnpm and no extra libraries", 20),
            [pm(PackageManager::Pnpm, true), Constraint::NoExtraLibraries]
        );
        assert_eq!(
            parse_constraint("Use Pydantic models", 20),
            [Constraint::Unchecked {
                text: "Use Pydantic models".into()
            }]
        );
    }
}
