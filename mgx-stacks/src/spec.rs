//! The stack specification: what a team must know to build for one target stack.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Everything mgx knows about one target stack: its tools, layout, commands, the rules
/// guardrails enforce on generated output, the material the team's prompts need, and the hints
/// stack inference uses.
///
/// Specs are plain data: the built-in ones are TOML files embedded in the crate, and users
/// register their own from JSON or TOML with the same fields (see [`crate::StackRegistry`]).
/// Unknown fields are refused so that a misspelt rule is never silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// The stable id (`fastapi`, `express-ts` …): lowercase ASCII letters, digits and `-`.
    pub id: String,
    /// A human-readable name, e.g. "Python + FastAPI".
    pub name: String,
    /// What kind of project the stack builds.
    pub category: Category,
    /// The main language of the generated code.
    pub language: Language,
    /// One or two sentences on what the stack is for.
    #[serde(default)]
    pub description: String,
    /// The package manager (`npm`, `pip`, `composer` …), or `None` when the stack has none.
    #[serde(default)]
    pub package_manager: Option<String>,
    /// The test framework, or `None` for stacks without tests of their own (devops).
    #[serde(default)]
    pub test: Option<TestFramework>,
    /// The linter, if the stack has a standard one.
    #[serde(default)]
    pub linter: Option<Tool>,
    /// The formatter, if the stack has a standard one.
    #[serde(default)]
    pub formatter: Option<Tool>,
    /// The expected project layout, in a stable order. A path that ends with `/` is a directory.
    #[serde(default)]
    pub layout: Vec<LayoutEntry>,
    /// How to run, build, test and start a project of this stack.
    #[serde(default)]
    pub run: RunCommands,
    /// The libraries a project of this stack commonly depends on (package names).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The development-only libraries (test runners, type checkers) commonly used.
    #[serde(default)]
    pub dev_dependencies: Vec<String>,
    /// The file extensions of the stack's source files, each starting with `.`.
    pub file_extensions: Vec<String>,
    /// The rules mgx-guardrails enforces on generated output.
    #[serde(default)]
    pub rules: ValidationRules,
    /// Material for the team's prompts.
    #[serde(default)]
    pub prompt: PromptMaterial,
    /// Hints for stack inference from free text.
    #[serde(default)]
    pub inference: InferenceHints,
    /// The files of a minimal working project of the stack (a health endpoint or a first
    /// screen, its configuration and dependencies), without the test file, which comes from
    /// [`TestFramework::template`] at [`TestFramework::example_path`]. See
    /// [`StackSpec::starter_files`].
    #[serde(default)]
    pub scaffold: Vec<ScaffoldFile>,
}

/// One file of a stack's starter project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldFile {
    /// The path, relative to the project root, with `/`.
    pub path: String,
    /// The whole content.
    pub content: String,
}

/// The kind of project a stack builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Category {
    /// A server or API.
    Backend,
    /// A browser front end.
    Frontend,
    /// Front end and back end in one project.
    Fullstack,
    /// A mobile application.
    Mobile,
    /// Infrastructure: containers, CI/CD.
    Devops,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 5] = [
        Category::Backend,
        Category::Frontend,
        Category::Fullstack,
        Category::Mobile,
        Category::Devops,
    ];

    /// The lowercase name used in data files (`backend` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Backend => "backend",
            Category::Frontend => "frontend",
            Category::Fullstack => "fullstack",
            Category::Mobile => "mobile",
            Category::Devops => "devops",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language of a stack's code, written in data files as a short code (`py`, `ts`, `cs` …).
///
/// Codes mgx does not know become [`Language::Other`], so user stacks can name any language;
/// guardrails then skips the language-specific checks it cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum Language {
    /// `ts`
    TypeScript,
    /// `js`
    JavaScript,
    /// `py`
    Python,
    /// `php`
    Php,
    /// `cs`
    CSharp,
    /// `dart`
    Dart,
    /// `go`
    Go,
    /// `yaml`
    Yaml,
    /// `rb`
    Ruby,
    /// `java`
    Java,
    /// `kotlin`
    Kotlin,
    /// `rust`
    Rust,
    /// Any other code, kept as written.
    Other(String),
}

impl Language {
    /// The short code used in data files.
    pub fn code(&self) -> &str {
        match self {
            Language::TypeScript => "ts",
            Language::JavaScript => "js",
            Language::Python => "py",
            Language::Php => "php",
            Language::CSharp => "cs",
            Language::Dart => "dart",
            Language::Go => "go",
            Language::Yaml => "yaml",
            Language::Ruby => "rb",
            Language::Java => "java",
            Language::Kotlin => "kotlin",
            Language::Rust => "rust",
            Language::Other(code) => code,
        }
    }

    /// The language's display name ("TypeScript", "C#" …).
    pub fn name(&self) -> &str {
        match self {
            Language::TypeScript => "TypeScript",
            Language::JavaScript => "JavaScript",
            Language::Python => "Python",
            Language::Php => "PHP",
            Language::CSharp => "C#",
            Language::Dart => "Dart",
            Language::Go => "Go",
            Language::Yaml => "YAML",
            Language::Ruby => "Ruby",
            Language::Java => "Java",
            Language::Kotlin => "Kotlin",
            Language::Rust => "Rust",
            Language::Other(code) => code,
        }
    }

    /// Parse a short code; unknown codes become [`Language::Other`].
    pub fn from_code(code: &str) -> Language {
        match code.trim().to_ascii_lowercase().as_str() {
            "ts" | "typescript" => Language::TypeScript,
            "js" | "javascript" => Language::JavaScript,
            "py" | "python" => Language::Python,
            "php" => Language::Php,
            "cs" | "csharp" | "c#" => Language::CSharp,
            "dart" => Language::Dart,
            "go" | "golang" => Language::Go,
            "yaml" | "yml" => Language::Yaml,
            "rb" | "ruby" => Language::Ruby,
            "java" => Language::Java,
            "kotlin" | "kt" => Language::Kotlin,
            "rust" | "rs" => Language::Rust,
            _ => Language::Other(code.trim().to_string()),
        }
    }
}

impl From<String> for Language {
    fn from(code: String) -> Self {
        Language::from_code(&code)
    }
}

impl From<Language> for String {
    fn from(language: Language) -> Self {
        language.code().to_string()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stack's test framework, with what the tester role needs to write tests in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFramework {
    /// The framework's name (`pytest`, `jest`, `xunit` …).
    pub framework: String,
    /// The command that runs the tests.
    pub command: String,
    /// Where test files go and how they are named, e.g. `tests/test_*.py`.
    pub file_pattern: String,
    /// A minimal, valid test file in the framework, for prompts and the offline provider.
    pub template: String,
    /// Where [`TestFramework::template`] goes in the starter project (matches
    /// [`TestFramework::file_pattern`]).
    #[serde(default)]
    pub example_path: Option<String>,
}

/// A command-line tool (linter or formatter) and how to run it on a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// The tool's name (`ruff`, `prettier` …).
    pub name: String,
    /// The command that runs it over the project.
    pub command: String,
}

/// One entry of a stack's expected layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutEntry {
    /// The path relative to the project root; a directory ends with `/`.
    pub path: String,
    /// What belongs there.
    #[serde(default)]
    pub description: String,
}

impl LayoutEntry {
    /// Whether the entry is a directory (its path ends with `/`).
    pub fn is_dir(&self) -> bool {
        self.path.ends_with('/')
    }
}

/// The commands that develop, build, test and start a project. `None` means the stack has no
/// such step (never a placeholder command).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunCommands {
    /// Start a development server or watcher.
    #[serde(default)]
    pub dev: Option<String>,
    /// Build or install.
    #[serde(default)]
    pub build: Option<String>,
    /// Run the tests.
    #[serde(default)]
    pub test: Option<String>,
    /// Start in production.
    #[serde(default)]
    pub start: Option<String>,
}

/// The rules mgx-guardrails enforces on generated output for a stack.
///
/// Paths are matched as real relative paths, never as substrings: `app/domain.py` does not
/// satisfy `main.py`. Path rules are patterns in the sense of [`path_matches`]: `*` within a
/// component, `**` for any depth, and alternatives separated by `|`
/// (`requirements.txt|pyproject.toml`). Directory rules are matched with [`dir_matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationRules {
    /// Files the output must contain (path patterns). Errors when missing.
    #[serde(default)]
    pub required_files: Vec<String>,
    /// Directories some output file must live under (patterns ending with `/`). Errors when missing.
    #[serde(default)]
    pub required_dirs: Vec<String>,
    /// Files the output should contain. Warnings when missing.
    #[serde(default)]
    pub recommended_files: Vec<String>,
    /// File names that belong to other stacks; an output path with a component matching one is
    /// an error (`requirements.txt` in an Express project). A `*` within the name is allowed.
    #[serde(default)]
    pub forbidden_files: Vec<String>,
    /// Modules the code must not import (`django` in an Express project). A rule names a module
    /// and covers its sub-modules (`next` covers `next/router`, not `nextra`).
    #[serde(default)]
    pub forbidden_imports: Vec<String>,
    /// Commands the output is expected to mention (scripts, READMEs). Warnings when missing.
    #[serde(default)]
    pub expected_commands: Vec<String>,
    /// Modules that come with the stack's platform beyond the language's standard library
    /// (see [`crate::stdlib`]), e.g. `flutter` for Flutter. Never reported as extra libraries.
    #[serde(default)]
    pub builtin_modules: Vec<String>,
}

/// Material the team's prompts need for a stack.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptMaterial {
    /// Conventions the engineer should follow (one sentence each).
    #[serde(default)]
    pub conventions: Vec<String>,
    /// What the reviewer checks (one item each).
    #[serde(default)]
    pub review_checklist: Vec<String>,
}

/// Hints stack inference uses for this stack. See [`crate::infer`] for how they are scored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceHints {
    /// Words or phrases that name this stack outright (`fastapi`, `react native`). Strong evidence.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Words or phrases that point towards this stack (`uvicorn`, `pydantic`). Weak evidence.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Languages (short codes) besides [`StackSpec::language`] that a task may name for this stack.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Kinds of project this stack builds, matched against words like "API" or "mobile app":
    /// `backend`, `frontend`, `fullstack`, `mobile`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Combinations that name this stack when all their parts appear (`laravel` + `react`).
    /// Each part lists alternatives separated by `|`.
    #[serde(default)]
    pub combinations: Vec<Vec<String>>,
    /// A small tie-breaker in `[0, 0.5]` among stacks with equal evidence, e.g. the more common
    /// Python API framework. It never creates evidence by itself.
    #[serde(default)]
    pub prior: f64,
}

/// Whether a relative `path` matches a rule `pattern`.
///
/// A pattern is compared component by component: `*` inside a component matches any run of
/// characters within that component, and a component that is exactly `**` matches any number of
/// whole components (none included). A pattern may list alternatives separated by `|`; it
/// matches when any alternative does. A trailing `/` (a directory) is ignored on both sides.
///
/// ```
/// use mgx_stacks::path_matches;
/// assert!(path_matches("*.csproj", "Api.csproj"));
/// assert!(path_matches("**/*.csproj", "src/Api/Api.csproj"));
/// assert!(path_matches("app/main.py|main.py", "main.py"));
/// assert!(!path_matches("main.py", "app/domain.py"));
/// assert!(!path_matches("*.csproj", "src/Api.csproj"));
/// ```
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let path = components(path);
    alternatives(pattern).any(|alternative| {
        let alternative: Components<'_> = alternative.split('/').collect();
        components_match(&alternative, &path)
    })
}

/// Whether some ancestor directory of `path` (or `path` itself) matches the directory `pattern`:
/// `src/` is satisfied by `src/app.ts` and by `src/routes/users.ts`. Alternatives with `|` work
/// as in [`path_matches`].
///
/// ```
/// use mgx_stacks::dir_matches;
/// assert!(dir_matches("src/", "src/routes/users.ts"));
/// assert!(dir_matches("app/|pages/", "pages/index.tsx"));
/// assert!(!dir_matches("src/", "lib/src.ts"));
/// ```
pub fn dir_matches(pattern: &str, path: &str) -> bool {
    let parts = components(path);
    alternatives(pattern).any(|alternative| {
        let alternative: Components<'_> = alternative.split('/').collect();
        dir_components_match(&alternative, &parts)
    })
}

/// A rule pattern of [`path_matches`] and [`dir_matches`] read once, for matching many paths
/// (a validator checks every file of an answer against every rule of its stack).
///
/// ```
/// use mgx_stacks::{PathPattern, path_matches};
/// let pattern = PathPattern::new("**/*.csproj|main.py");
/// for path in ["src/Api/Api.csproj", "main.py", "app/main.py"] {
///     assert_eq!(pattern.matches(path), path_matches("**/*.csproj|main.py", path));
/// }
/// assert!(PathPattern::new("src/").matches_dir("src/routes/users.ts"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    alternatives: Vec<Alternative>,
}

/// One alternative of a [`PathPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Alternative {
    /// Without `*`: a path matches when it is this text (trailing `/` aside), a directory when
    /// it is this text or begins with it and a `/`. Most rules are literal file names, and a
    /// validator tries every path component of an answer against every forbidden one: string
    /// comparisons, where matching component by component cost ≈ 450 instructions a try.
    Literal(Box<str>),
    /// With `*` or `**`: matched component by component.
    Glob(Vec<Box<str>>),
}

impl PathPattern {
    /// Read `pattern` (alternatives separated by `|`, components by `/`).
    pub fn new(pattern: &str) -> Self {
        PathPattern {
            alternatives: alternatives(pattern)
                .map(|a| {
                    if a.contains('*') {
                        Alternative::Glob(a.split('/').map(Box::from).collect())
                    } else {
                        Alternative::Literal(a.into())
                    }
                })
                .collect(),
        }
    }

    /// [`path_matches`] with this pattern.
    pub fn matches(&self, path: &str) -> bool {
        let trimmed = path.trim_end_matches('/');
        let mut parts = None;
        self.alternatives
            .iter()
            .any(|alternative| match alternative {
                Alternative::Literal(literal) => trimmed == &**literal,
                Alternative::Glob(glob) => {
                    components_match(glob, parts.get_or_insert_with(|| components(path)))
                }
            })
    }

    /// [`dir_matches`] with this pattern.
    pub fn matches_dir(&self, path: &str) -> bool {
        let trimmed = path.trim_end_matches('/');
        let mut parts = None;
        self.alternatives
            .iter()
            .any(|alternative| match alternative {
                Alternative::Literal(literal) => trimmed
                    .strip_prefix(&**literal)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
                Alternative::Glob(glob) => {
                    dir_components_match(glob, parts.get_or_insert_with(|| components(path)))
                }
            })
    }
}

/// A pattern's alternatives, trimmed, without a trailing `/`.
fn alternatives(pattern: &str) -> impl Iterator<Item = &str> {
    pattern
        .split('|')
        .map(|alternative| alternative.trim().trim_end_matches('/'))
}

/// A path's components; paths of up to eight are split without allocating.
type Components<'a> = smallvec::SmallVec<[&'a str; 8]>;

fn components(path: &str) -> Components<'_> {
    path.trim_end_matches('/').split('/').collect()
}

/// Whether some ancestor directory of `parts` (or `parts` itself) matches `pattern`.
fn dir_components_match<P: AsRef<str>>(pattern: &[P], parts: &[&str]) -> bool {
    (1..=parts.len()).any(|n| components_match(pattern, &parts[..n]))
}

fn components_match<P: AsRef<str>>(pattern: &[P], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first.as_ref() == "**" => {
            (0..=path.len()).any(|skip| components_match(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((component, path_rest)) => {
                component_matches(first.as_ref(), component) && components_match(rest, path_rest)
            }
            None => false,
        },
    }
}

fn component_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: smallvec::SmallVec<[&str; 4]> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl StackSpec {
    /// The starter project: the [`scaffold`](StackSpec::scaffold) files, then the test
    /// template at its example path (when the stack has both).
    ///
    /// ```
    /// let spec = mgx_stacks::StackRegistry::builtin().get("fastapi")?;
    /// let files = spec.starter_files();
    /// assert!(files.iter().any(|f| f.path == "app/main.py"));
    /// assert!(files.iter().any(|f| f.path == "tests/test_health.py"));
    /// # Ok::<(), mgx_stacks::Error>(())
    /// ```
    pub fn starter_files(&self) -> Vec<ScaffoldFile> {
        let mut files = self.scaffold.clone();
        if let Some((path, test)) = self
            .test
            .as_ref()
            .and_then(|t| t.example_path.as_ref().map(|p| (p, t)))
        {
            files.push(ScaffoldFile {
                path: path.clone(),
                content: format!("{}\n", test.template.trim()),
            });
        }
        files
    }

    /// Check the spec against the rules of the format. Registration calls this, so a registered
    /// spec is always valid.
    ///
    /// The rules: the id is 1–64 characters of lowercase ASCII letters, digits and `-`, starting
    /// with a letter; the name is not blank; there is at least one file extension and each starts
    /// with `.`; layout and rule paths are relative, without `..` or `\`; rule directories end with
    /// `/`; keywords, hints and combination parts are not blank; the prior is in `[0, 0.5]`; tags
    /// are known ones.
    pub fn validate(&self) -> Result<()> {
        let fail = |field: &str, reason: String| Error::InvalidSpec {
            id: self.id.clone(),
            field: field.to_string(),
            reason,
        };
        if !is_valid_id(&self.id) {
            return Err(fail(
                "id",
                format!(
                    "`{}` must be 1-64 characters of lowercase ASCII letters, digits and `-`, starting with a letter",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(fail("name", "must not be empty".into()));
        }
        if self.file_extensions.is_empty() {
            return Err(fail(
                "file_extensions",
                "must list at least one extension".into(),
            ));
        }
        for ext in &self.file_extensions {
            if !ext.starts_with('.') || ext.len() < 2 || ext.contains(['/', '\\', ' ']) {
                return Err(fail(
                    "file_extensions",
                    format!("has `{ext}`; extensions start with `.` (e.g. `.py`)"),
                ));
            }
        }
        for entry in &self.layout {
            check_rel_path(&entry.path)
                .map_err(|why| fail("layout", format!("has `{}`: {why}", entry.path)))?;
        }
        let rules = &self.rules;
        for (field, paths) in [
            ("rules.required_files", &rules.required_files),
            ("rules.recommended_files", &rules.recommended_files),
            ("rules.forbidden_files", &rules.forbidden_files),
        ] {
            for p in paths {
                for alternative in p.split('|') {
                    check_rel_path(alternative)
                        .map_err(|why| fail(field, format!("has `{p}`: {why}")))?;
                }
            }
        }
        for d in &rules.required_dirs {
            for alternative in d.split('|') {
                check_rel_path(alternative)
                    .map_err(|why| fail("rules.required_dirs", format!("has `{d}`: {why}")))?;
                if !alternative.trim().ends_with('/') {
                    return Err(fail(
                        "rules.required_dirs",
                        format!("has `{d}`: directories end with `/`"),
                    ));
                }
            }
        }
        for (field, items) in [
            ("rules.forbidden_imports", &rules.forbidden_imports),
            ("rules.expected_commands", &rules.expected_commands),
            ("rules.builtin_modules", &rules.builtin_modules),
            ("inference.keywords", &self.inference.keywords),
            ("inference.hints", &self.inference.hints),
            ("inference.languages", &self.inference.languages),
        ] {
            if items.iter().any(|s| s.trim().is_empty()) {
                return Err(fail(field, "must not contain blank entries".into()));
            }
        }
        for tag in &self.inference.tags {
            if !crate::infer::TAGS.contains(&tag.as_str()) {
                return Err(fail(
                    "inference.tags",
                    format!("has `{tag}`; known tags: {}", crate::infer::TAGS.join(", ")),
                ));
            }
        }
        for combo in &self.inference.combinations {
            if combo.len() < 2 {
                return Err(fail(
                    "inference.combinations",
                    "each combination needs at least two parts".into(),
                ));
            }
            if combo
                .iter()
                .any(|part| part.split('|').any(|alt| alt.trim().is_empty()))
            {
                return Err(fail(
                    "inference.combinations",
                    "must not contain blank alternatives".into(),
                ));
            }
        }
        if !(0.0..=0.5).contains(&self.inference.prior) {
            return Err(fail(
                "inference.prior",
                format!("is {}; it must be in [0, 0.5]", self.inference.prior),
            ));
        }
        Ok(())
    }

    /// The directories of the expected layout, in order.
    pub fn layout_dirs(&self) -> impl Iterator<Item = &str> {
        self.layout
            .iter()
            .filter(|e| e.is_dir())
            .map(|e| e.path.as_str())
    }

    /// The files of the expected layout, in order.
    pub fn layout_files(&self) -> impl Iterator<Item = &str> {
        self.layout
            .iter()
            .filter(|e| !e.is_dir())
            .map(|e| e.path.as_str())
    }

    /// Whether a module belongs to the stack's platform: the language's standard library
    /// ([`crate::stdlib`]) or the stack's own [`ValidationRules::builtin_modules`].
    pub fn is_builtin_module(&self, module: &str) -> bool {
        crate::stdlib::is_builtin_module(&self.language, module)
            || self.rules.builtin_modules.iter().any(|b| {
                module == b
                    || module
                        .strip_prefix(b.as_str())
                        .is_some_and(|rest| rest.starts_with(['/', '.', ':', '\\']))
            })
    }

    /// The stack's prompt material as one Markdown block for the team's prompts: language,
    /// tools, expected layout, test framework with its file template, conventions and the review
    /// checklist. Deterministic, so it is safe inside cache keys.
    pub fn prompt_brief(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "## Target stack: {} (`{}`)", self.name, self.id);
        let _ = writeln!(out, "- Language: {}", self.language.name());
        if let Some(pm) = &self.package_manager {
            let _ = writeln!(out, "- Package manager: {pm}");
        }
        for (label, tool) in [("Linter", &self.linter), ("Formatter", &self.formatter)] {
            if let Some(tool) = tool {
                let _ = writeln!(out, "- {label}: {} (`{}`)", tool.name, tool.command);
            }
        }
        if !self.dependencies.is_empty() {
            let _ = writeln!(
                out,
                "- Common dependencies: {}",
                self.dependencies.join(", ")
            );
        }
        for (label, cmd) in [
            ("dev", &self.run.dev),
            ("build", &self.run.build),
            ("test", &self.run.test),
            ("start", &self.run.start),
        ] {
            if let Some(cmd) = cmd {
                let _ = writeln!(out, "- Command ({label}): `{cmd}`");
            }
        }
        if !self.layout.is_empty() {
            let _ = writeln!(out, "\n### Expected layout");
            for entry in &self.layout {
                match entry.description.is_empty() {
                    true => {
                        let _ = writeln!(out, "- `{}`", entry.path);
                    }
                    false => {
                        let _ = writeln!(out, "- `{}`: {}", entry.path, entry.description);
                    }
                }
            }
        }
        if let Some(test) = &self.test {
            let _ = writeln!(
                out,
                "\n### Tests: {} (`{}`), files `{}`",
                test.framework, test.command, test.file_pattern
            );
            let _ = writeln!(out, "```\n{}\n```", test.template.trim_end());
        }
        for (title, items) in [
            ("Conventions", &self.prompt.conventions),
            ("Review checklist", &self.prompt.review_checklist),
        ] {
            if !items.is_empty() {
                let _ = writeln!(out, "\n### {title}");
                for item in items {
                    let _ = writeln!(out, "- {item}");
                }
            }
        }
        out
    }

    /// Whether `path` has one of the stack's file extensions.
    pub fn has_extension(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        self.file_extensions
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext.as_str()))
    }
}

fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.ends_with('-')
        && !id.contains("--")
}

fn check_rel_path(path: &str) -> std::result::Result<(), &'static str> {
    if path.trim().is_empty() {
        return Err("paths must not be empty");
    }
    if path.starts_with('/') || path.starts_with('~') || path.contains('\\') || path.contains(':') {
        return Err("paths are relative, with `/` as separator");
    }
    if path.split('/').any(|c| c == ".." || c == ".") {
        return Err("paths must not contain `.` or `..` components");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_round_trip() {
        for code in [
            "ts", "js", "py", "php", "cs", "dart", "go", "yaml", "rb", "java", "kotlin", "rust",
        ] {
            assert_eq!(Language::from_code(code).code(), code);
        }
        assert_eq!(
            Language::from_code("elixir"),
            Language::Other("elixir".into())
        );
        assert_eq!(Language::from_code("C#"), Language::CSharp);
    }

    #[test]
    fn path_patterns() {
        assert!(path_matches("src/", "src"));
        assert!(path_matches("**/Dockerfile", "Dockerfile"));
        assert!(path_matches("**/Dockerfile", "docker/api/Dockerfile"));
        assert!(path_matches("src/**/*.test.ts", "src/a/b/x.test.ts"));
        assert!(path_matches("src/**/*.test.ts", "src/x.test.ts"));
        assert!(!path_matches("src/**/*.test.ts", "lib/x.test.ts"));
        assert!(path_matches("a|b|c", "c"));
        assert!(path_matches("*", "anything"));
        assert!(path_matches("a*b*c", "a-b-c"));
        assert!(!path_matches("a*b*c", "a-c-b"));
        assert!(path_matches("*.test.ts", "x.test.ts"));
        assert!(!path_matches("*.test.ts", ".test.t"));
        assert!(!path_matches("app/main.py", "app/main.pyc"));
        assert!(!path_matches("app/*.py", "app/sub/x.py"));
    }

    #[test]
    fn ids() {
        for ok in ["fastapi", "express-ts", "a1", "go-gin"] {
            assert!(is_valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "Fastapi",
            "1abc",
            "a_b",
            "a-",
            "a--b",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }
}
