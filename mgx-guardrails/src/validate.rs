//! Validation of generated output against a stack, the task's constraints and the path policy.
//!
//! The checks run in this order, and findings keep it (then the order of files and lines), so
//! the same output always gives the same result:
//!
//! 1. the output itself — empty; in strict mode no files, or any prose before, between or after
//!    files ([`FindingCode::EmptyOutput`], [`FindingCode::NoFiles`], [`FindingCode::ProseOutsideFiles`]);
//! 2. every file — the path policy of [`mgx_stacks::paths`], duplicates after normalisation,
//!    empty files, forbidden file names by path component, and for code files (never prose)
//!    forbidden imports, extra libraries and minified code;
//! 3. the stack — required files and directories matched as real paths, recommended files and
//!    expected commands (warnings), mixed dependency families (warning);
//! 4. the constraints — package manager, extra libraries in dependency files, the number of
//!    dependencies, the environment template; unrecognised constraints become notes.
//!
//! Line numbers are lines of the whole output, so a model can find what it wrote.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use mgx_stacks::{Language, PathPattern, StackSpec, paths, stdlib};

use crate::constraints::{Constraint, PackageManager, parse_constraints};
use crate::deps;
use crate::imports::{Import, SourceLanguage, scan};
use crate::manifest::{Manifest, ManifestFile, parse};
use crate::minified;

/// How validation runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Strict FILE-manifest mode: no prose anywhere, at least one file.
    pub strict: bool,
    /// The threshold of "minimal dependencies" constraints that name no number (the seed's 20).
    pub max_dependencies: usize,
    /// Whether to look for minified or malformed code.
    pub check_minified: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            strict: false,
            max_dependencies: 20,
            check_minified: true,
        }
    }
}

impl Options {
    /// The default options with strict mode set as given.
    pub fn strict(strict: bool) -> Self {
        Options {
            strict,
            ..Options::default()
        }
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The output must not be used as it is.
    Error,
    /// The output works but should be improved.
    Warning,
    /// Information: something was not checked, and why.
    Note,
}

macro_rules! finding_codes {
    ($($variant:ident => $code:literal, $severity:ident, $doc:literal;)*) => {
        /// What a finding is about. The string form ([`FindingCode::as_str`]) is stable.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum FindingCode {
            $(#[doc = $doc] $variant,)*
        }

        impl FindingCode {
            /// Every code, in documentation order.
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant,)*];

            /// The stable string form (`missing_required_file` …).
            pub fn as_str(self) -> &'static str {
                match self { $(FindingCode::$variant => $code,)* }
            }

            /// The severity findings with this code have.
            pub fn severity(self) -> Severity {
                match self { $(FindingCode::$variant => Severity::$severity,)* }
            }
        }
    };
}

finding_codes! {
    EmptyOutput => "empty_output", Error, "The output is empty or only white space.";
    NoFiles => "no_files", Error, "Strict mode: the output has no FILE blocks (a warning outside strict mode).";
    ProseOutsideFiles => "prose_outside_files", Error, "Strict mode: text outside files.";
    InvalidPath => "invalid_path", Error, "A file path breaks the path policy (`..`, absolute, `~`, drive, UNC, `.git/` …).";
    DuplicateFile => "duplicate_file", Error, "The same path is given more than once.";
    EmptyFile => "empty_file", Warning, "A file has no content (`__init__.py`, `.gitkeep` and `py.typed` may be empty).";
    ForbiddenFile => "forbidden_file", Error, "A file that belongs to another stack (`requirements.txt` in an Express project).";
    ForbiddenImport => "forbidden_import", Error, "Code imports a module the stack forbids.";
    ExtraLibrary => "extra_library", Error, "\"No extra libraries\": code or a dependency file uses a library outside the stack's set.";
    MinifiedCode => "minified_code", Warning, "A code file looks minified or malformed.";
    MissingRequiredFile => "missing_required_file", Error, "A file the stack requires is missing.";
    MissingRequiredDir => "missing_required_dir", Error, "No file lives in a directory the stack requires.";
    MissingRecommendedFile => "missing_recommended_file", Warning, "A file the stack recommends is missing.";
    MissingExpectedCommand => "missing_expected_command", Warning, "A command the stack typically uses appears nowhere.";
    MixedStack => "mixed_stack", Warning, "Dependency files of another ecosystem are present (a monorepo, or a mistake).";
    TooManyDependencies => "too_many_dependencies", Error, "More dependencies are declared than a \"minimal dependencies\" constraint allows.";
    PackageManagerConflict => "package_manager_conflict", Error, "The output uses a package manager the constraints rule out.";
    PackageManagerMissing => "package_manager_missing", Warning, "Nothing shows the package manager the constraints ask for.";
    EnvTemplateMissing => "env_template_missing", Error, "The constraints ask for environment configuration, but there is no `.env.example`.";
    EnvFileIncluded => "env_file_included", Warning, "A real `.env` file is part of the output; ship `.env.example` instead.";
    ConstraintNotChecked => "constraint_not_checked", Note, "A constraint that cannot be checked by machine, or not without a stack.";
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing validation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about.
    pub code: FindingCode,
    /// How serious it is.
    pub severity: Severity,
    /// A sentence for people and for the revision prompt.
    pub message: String,
    /// The file it concerns, as written in the output.
    pub path: Option<String>,
    /// The 1-based line of the output it concerns.
    pub line: Option<usize>,
}

/// The result of validation: errors, warnings and notes, each in a deterministic order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationResult {
    is_valid: bool,
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
    notes: Vec<Finding>,
}

impl ValidationResult {
    /// The findings by severity, each list in the order found. The warnings keep the given
    /// list (usually the largest part): errors and notes are taken out of it.
    fn from_findings(mut findings: Vec<Finding>) -> Self {
        let errors: Vec<Finding> = findings
            .extract_if(.., |f| f.severity == Severity::Error)
            .collect();
        let notes: Vec<Finding> = findings
            .extract_if(.., |f| f.severity == Severity::Note)
            .collect();
        ValidationResult {
            is_valid: errors.is_empty(),
            errors,
            warnings: findings,
            notes,
        }
    }

    /// Whether there are no errors.
    pub fn is_valid(&self) -> bool {
        self.is_valid
    }

    /// The errors.
    pub fn errors(&self) -> &[Finding] {
        &self.errors
    }

    /// The warnings.
    pub fn warnings(&self) -> &[Finding] {
        &self.warnings
    }

    /// The notes (what was not checked, and why).
    pub fn notes(&self) -> &[Finding] {
        &self.notes
    }

    /// The findings taken out by severity: errors, warnings, notes (each in the order
    /// found).
    pub fn into_parts(self) -> (Vec<Finding>, Vec<Finding>, Vec<Finding>) {
        (self.errors, self.warnings, self.notes)
    }

    /// Every finding: errors, then warnings, then notes.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.errors.iter().chain(&self.warnings).chain(&self.notes)
    }

    /// Whether any finding has this code.
    pub fn has(&self, code: FindingCode) -> bool {
        self.findings().any(|f| f.code == code)
    }

    /// One line: `validation passed (1 warning)` or `validation failed: 2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        fn counted(out: &mut String, n: usize, word: &str) {
            let _ = write!(out, "{n} {word}{}", if n == 1 { "" } else { "s" });
        }
        let mut out = String::with_capacity(48);
        if self.is_valid {
            out.push_str("validation passed");
            if !self.warnings.is_empty() {
                out.push_str(" (");
                counted(&mut out, self.warnings.len(), "warning");
                out.push(')');
            }
        } else {
            out.push_str("validation failed: ");
            counted(&mut out, self.errors.len(), "error");
            out.push_str(", ");
            counted(&mut out, self.warnings.len(), "warning");
        }
        out
    }
}

/// Validate generated output in one call. See [`Validator`] to validate many outputs with the
/// same stack and constraints (the auto-revision loop).
///
/// ```
/// use mgx_guardrails::{validate, FindingCode, Options};
/// let stack = mgx_stacks::get_stack("express-ts")?;
/// let output = "FILE: package.json\n{\"scripts\": {\"dev\": \"npm run dev\"}}\nFILE: src/app.py\nfrom django.db import models\n";
/// let result = validate(output, Some(stack), &["Use pnpm"], &Options::default());
/// assert!(!result.is_valid());
/// assert!(result.has(FindingCode::MissingRequiredFile)); // tsconfig.json
/// assert!(result.has(FindingCode::ForbiddenImport));     // django
/// assert!(result.has(FindingCode::PackageManagerConflict)); // npm, where pnpm was asked for
/// # Ok::<(), mgx_stacks::Error>(())
/// ```
pub fn validate<S: AsRef<str>>(
    output: &str,
    stack: Option<&StackSpec>,
    constraints: &[S],
    options: &Options,
) -> ValidationResult {
    Validator::new(stack, constraints, options.clone()).validate(output)
}

/// A prepared validator: the stack's rules and the constraints, read once.
#[derive(Debug, Clone)]
pub struct Validator<'s> {
    stack: Option<&'s StackSpec>,
    constraints: Vec<Constraint>,
    options: Options,
    /// Keys of every library the stack allows (dependencies, dev dependencies, their import names).
    allowed: HashSet<String>,
    /// Families of dependency files the stack expects.
    families: HashSet<&'static str>,
    /// The stack's expected commands, found in one pass over the output.
    commands: Option<aho_corasick::AhoCorasick>,
    /// The stack's path rules, read once (each in the order of the stack's list).
    paths: PathRules,
}

/// A stack's path rules as [`PathPattern`]s: read once per validator, not once per file.
#[derive(Debug, Clone, Default)]
struct PathRules {
    forbidden_files: Vec<PathPattern>,
    required_files: Vec<PathPattern>,
    required_dirs: Vec<PathPattern>,
    recommended_files: Vec<PathPattern>,
}

impl PathRules {
    fn of(spec: &StackSpec) -> Self {
        let read = |rules: &[String]| rules.iter().map(|r| PathPattern::new(r)).collect();
        let rules = &spec.rules;
        PathRules {
            forbidden_files: read(&rules.forbidden_files),
            required_files: read(&rules.required_files),
            required_dirs: read(&rules.required_dirs),
            recommended_files: read(&rules.recommended_files),
        }
    }
}

impl<'s> Validator<'s> {
    /// Read the stack's rules and the constraints.
    pub fn new<S: AsRef<str>>(
        stack: Option<&'s StackSpec>,
        constraints: &[S],
        options: Options,
    ) -> Self {
        let constraints = parse_constraints(constraints, options.max_dependencies);
        let mut allowed = HashSet::new();
        let mut families = HashSet::new();
        if let Some(spec) = stack {
            for dep in spec.dependencies.iter().chain(&spec.dev_dependencies) {
                let k = deps::key(dep);
                if let Some((vendor, _)) = dep.split_once('/') {
                    // Composer `vendor/package` and Go paths: the vendor names a PHP namespace.
                    if !dep.starts_with('@') && !dep.contains('.') {
                        allowed.insert(deps::key(vendor));
                    }
                }
                for (dist, import) in deps::PYTHON_IMPORT_NAMES {
                    if k == *dist {
                        allowed.insert((*import).to_string());
                    }
                }
                if let Some(stripped) = k.strip_prefix("python_") {
                    allowed.insert(stripped.to_string());
                }
                allowed.insert(k);
            }
            for builtin in &spec.rules.builtin_modules {
                allowed.insert(deps::key(builtin));
            }
            families = expected_families(spec);
        }
        let commands = stack
            .filter(|s| !s.rules.expected_commands.is_empty())
            .and_then(|s| aho_corasick::AhoCorasick::new(&s.rules.expected_commands).ok());
        Validator {
            stack,
            constraints,
            options,
            allowed,
            families,
            commands,
            paths: stack.map(PathRules::of).unwrap_or_default(),
        }
    }

    /// The constraints as understood.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Whether imports and declared dependencies are held to the stack's ("no extra
    /// libraries" with a stack to compare against).
    fn checks_extra_libraries(&self) -> bool {
        self.stack.is_some() && self.constraints.contains(&Constraint::NoExtraLibraries)
    }

    /// Whether a constraint reads the dependencies the files declare ("no extra libraries"
    /// with a stack, a maximum number of dependencies). Nothing else does: without these the
    /// dependency files are not parsed (a `package.json` read was a sixth of a validation).
    fn reads_declared_dependencies(&self) -> bool {
        self.checks_extra_libraries()
            || self
                .constraints
                .iter()
                .any(|c| matches!(c, Constraint::MaxDependencies { .. }))
    }

    /// Validate generated output.
    pub fn validate(&self, output: &str) -> ValidationResult {
        self.validate_manifest(&parse(output), output)
    }

    /// Validate a manifest already parsed from `output` (for a caller that needs the parsed
    /// files too: one parse instead of two).
    pub fn validate_manifest(&self, manifest: &Manifest, output: &str) -> ValidationResult {
        if output.trim().is_empty() {
            return ValidationResult::from_findings(vec![finding(
                FindingCode::EmptyOutput,
                "the output is empty".into(),
                None,
                None,
            )]);
        }
        let mut run = Run {
            v: self,
            manifest,
            output,
            findings: Vec::with_capacity(8),
        };
        run.format();
        let facts = run.files();
        run.stack_rules(&facts);
        run.constraint_rules(&facts);
        ValidationResult::from_findings(run.findings)
    }
}

fn finding(code: FindingCode, message: String, path: Option<&str>, line: Option<usize>) -> Finding {
    Finding {
        code,
        severity: code.severity(),
        message,
        path: path.map(str::to_string),
        line,
    }
}

/// A family of path rules: the rules as written and as read, whether they name directories,
/// what a miss is, and its verb.
type PathRuleCheck<'r> = (
    &'r [String],
    &'r [PathPattern],
    bool,
    FindingCode,
    &'static str,
);

/// What the file pass learns for the later checks.
#[derive(Default)]
struct Facts<'m> {
    /// Normalised paths of the files whose paths pass the policy (borrowed when already so).
    paths: Vec<Cow<'m, str>>,
    /// Dependency files: (file, declared dependencies); read only when a constraint needs
    /// them ([`Validator::reads_declared_dependencies`]).
    dependency_files: Vec<(&'m ManifestFile, Vec<deps::Dependency>)>,
}

struct Run<'v, 'm> {
    v: &'v Validator<'v>,
    manifest: &'m Manifest,
    output: &'m str,
    findings: Vec<Finding>,
}

impl<'m> Run<'_, 'm> {
    fn push(
        &mut self,
        code: FindingCode,
        message: String,
        path: Option<&str>,
        line: Option<usize>,
    ) {
        self.findings.push(finding(code, message, path, line));
    }

    fn format(&mut self) {
        let m = self.manifest;
        if m.files.is_empty() {
            let message = if self.v.options.strict {
                "no FILE blocks: strict mode needs every file as `FILE: <path>` followed by its content".to_string()
            } else {
                "no FILE blocks: the output names no files, so nothing can be written".to_string()
            };
            let mut f = finding(FindingCode::NoFiles, message, None, None);
            if !self.v.options.strict {
                f.severity = Severity::Warning;
            }
            self.findings.push(f);
        }
        if self.v.options.strict {
            for p in &m.prose {
                let first = p.first_line(80);
                let range = if p.end_line > p.line {
                    format!("lines {}-{}", p.line, p.end_line)
                } else {
                    format!("line {}", p.line)
                };
                self.push(
                    FindingCode::ProseOutsideFiles,
                    format!("strict mode: text outside files at {range}: `{first}`"),
                    None,
                    Some(p.line),
                );
            }
        }
    }

    fn files(&mut self) -> Facts<'m> {
        let manifest = self.manifest;
        let mut facts = Facts::default();
        for d in &manifest.duplicates {
            let lines: Vec<String> = d.lines.iter().map(usize::to_string).collect();
            self.push(
                FindingCode::DuplicateFile,
                format!(
                    "`{}` is defined {} times (lines {}); give each file once",
                    d.path,
                    d.lines.len(),
                    lines.join(", ")
                ),
                Some(&d.path),
                d.lines.first().copied(),
            );
        }
        // The project's own names matter only to the "no extra libraries" check: the other
        // runs skip the work (a set of lower-cased names, package manifests read once more).
        let own = if self.v.checks_extra_libraries() {
            OwnCode::of(manifest)
        } else {
            OwnCode::default()
        };
        let outcomes = check_files(self.v, &manifest.files, &own);
        for (file, outcome) in manifest.files.iter().zip(outcomes) {
            self.findings.extend(outcome.findings);
            if let Some(declared) = outcome.declared {
                facts.dependency_files.push((file, declared));
            }
            if let Some(normal) = outcome.normal {
                facts.paths.push(normal);
            }
        }
        facts
    }

    fn stack_rules(&mut self, facts: &Facts<'m>) {
        let Some(spec) = self.v.stack else { return };
        let rules = &spec.rules;
        let checks: [PathRuleCheck<'_>; 3] = [
            (
                &rules.required_files,
                &self.v.paths.required_files,
                false,
                FindingCode::MissingRequiredFile,
                "requires the file",
            ),
            (
                &rules.required_dirs,
                &self.v.paths.required_dirs,
                true,
                FindingCode::MissingRequiredDir,
                "requires files under",
            ),
            (
                &rules.recommended_files,
                &self.v.paths.recommended_files,
                false,
                FindingCode::MissingRecommendedFile,
                "recommends a file",
            ),
        ];
        for (rules, patterns, dirs, code, verb) in checks {
            for (rule, pattern) in rules.iter().zip(patterns) {
                let matched = |p: &Cow<'_, str>| {
                    if dirs {
                        pattern.matches_dir(p)
                    } else {
                        pattern.matches(p)
                    }
                };
                if !facts.paths.iter().any(matched) {
                    // `a|b` is said as `a` or `b`, written straight into the message.
                    let mut message =
                        String::with_capacity(spec.id.len() + verb.len() + rule.len() + 32);
                    for part in ["stack `", &spec.id, "` ", verb, " `"] {
                        message.push_str(part);
                    }
                    for (i, alternative) in rule.split('|').enumerate() {
                        if i > 0 {
                            message.push_str("` or `");
                        }
                        message.push_str(alternative);
                    }
                    message.push('`');
                    self.push(code, message, None, None);
                }
            }
        }
        let mut seen = vec![false; rules.expected_commands.len()];
        if let Some(ac) = &self.v.commands {
            for m in ac.find_overlapping_iter(self.output) {
                seen[m.pattern().as_usize()] = true;
                if seen.iter().all(|&s| s) {
                    break;
                }
            }
        }
        for (command, _) in rules
            .expected_commands
            .iter()
            .zip(&seen)
            .filter(|(_, found)| !**found)
        {
            self.push(
                FindingCode::MissingExpectedCommand,
                format!(
                    "stack `{}` typically uses `{command}`, which appears nowhere in the output",
                    spec.id
                ),
                None,
                None,
            );
        }
        if spec.category != mgx_stacks::Category::Devops {
            let mut unexpected: Vec<(&'static str, &str, usize)> = Vec::new();
            for file in &self.manifest.files {
                let name = file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path);
                if let Some(family) = deps::family_of(name)
                    && !self.v.families.contains(family)
                    && !unexpected.iter().any(|(f, _, _)| *f == family)
                {
                    unexpected.push((family, &file.path, file.line));
                }
            }
            if !unexpected.is_empty() {
                let mut expected: Vec<&str> = self.v.families.iter().copied().collect();
                expected.sort_unstable();
                let found: Vec<String> = unexpected
                    .iter()
                    .map(|(f, p, _)| format!("{f} (`{p}`)"))
                    .collect();
                self.push(
                    FindingCode::MixedStack,
                    format!(
                        "mixed stack: `{}` expects {} but the output also has {}; fine in a monorepo, a mistake otherwise",
                        spec.id,
                        if expected.is_empty() { "no dependency files".to_string() } else { expected.join(", ") },
                        found.join(", ")
                    ),
                    Some(unexpected[0].1),
                    Some(unexpected[0].2),
                );
            }
        }
    }

    fn constraint_rules(&mut self, facts: &Facts<'m>) {
        // The validator outlives this run of it: its constraints are read in place.
        let v = self.v;
        for constraint in &v.constraints {
            match constraint {
                Constraint::PackageManager { manager, required } => {
                    self.package_manager(*manager, *required)
                }
                Constraint::NoExtraLibraries => match self.v.stack {
                    None => self.push(
                        FindingCode::ConstraintNotChecked,
                        "\"no extra libraries\" needs a stack to compare against; none was given"
                            .into(),
                        None,
                        None,
                    ),
                    Some(spec) => {
                        for (file, declared) in &facts.dependency_files {
                            for dep in declared {
                                let k = deps::key(&dep.name);
                                let vendor_ok = dep.name.split_once('/').is_some_and(|(v, _)| {
                                    self.v.allowed.contains(&deps::key(v))
                                        && spec.dependencies.iter().any(|d| d == &dep.name)
                                });
                                if !self.v.allowed.contains(&k)
                                    && !vendor_ok
                                    && !dep.name.starts_with("@types/")
                                {
                                    self.push(
                                        FindingCode::ExtraLibrary,
                                        format!("\"no extra libraries\": `{}` declares `{}`, which is not a dependency of stack `{}`", file.path, dep.name, spec.id),
                                        Some(&file.path),
                                        Some(file.content_line + dep.line.saturating_sub(1)),
                                    );
                                }
                            }
                        }
                    }
                },
                Constraint::MaxDependencies { max } => {
                    let total: usize = facts.dependency_files.iter().map(|(_, d)| d.len()).sum();
                    if total > *max {
                        let per_file: Vec<String> = facts
                            .dependency_files
                            .iter()
                            .map(|(f, d)| format!("{} in `{}`", d.len(), f.path))
                            .collect();
                        self.push(
                            FindingCode::TooManyDependencies,
                            format!("{total} dependencies are declared ({}); the constraints allow at most {max}", per_file.join(", ")),
                            facts.dependency_files.first().map(|(f, _)| f.path.as_str()),
                            facts.dependency_files.first().map(|(f, _)| f.line),
                        );
                    }
                }
                Constraint::EnvFile { required: true } => {
                    let has_template = facts.paths.iter().any(|p| {
                        let name = p.rsplit('/').next().unwrap_or(p);
                        matches!(
                            name,
                            ".env.example"
                                | ".env.sample"
                                | ".env.template"
                                | "env.example"
                                | ".env.dist"
                        )
                    });
                    if !has_template {
                        self.push(
                            FindingCode::EnvTemplateMissing,
                            "the constraints ask for environment configuration: add `.env.example` listing every variable with a safe example value".into(),
                            None,
                            None,
                        );
                    }
                }
                Constraint::EnvFile { required: false } => {}
                Constraint::Unchecked { text } => self.push(
                    FindingCode::ConstraintNotChecked,
                    format!(
                        "constraint \"{text}\" is not checked by machine; the reviewer checks it"
                    ),
                    None,
                    None,
                ),
            }
        }
    }

    fn package_manager(&mut self, wanted: PackageManager, required: bool) {
        let evidence = pm_evidence(self.manifest);
        if required {
            for (pm, path, line, what) in evidence.iter().filter(|(pm, ..)| *pm != wanted) {
                self.push(
                    FindingCode::PackageManagerConflict,
                    format!(
                        "the constraints ask for {}, but `{path}` uses {} ({what})",
                        wanted.name(),
                        pm.name()
                    ),
                    Some(path),
                    Some(*line),
                );
            }
            let uses_js = self
                .manifest
                .files
                .iter()
                .any(|f| f.path.ends_with("package.json"));
            if uses_js && !evidence.iter().any(|(pm, ..)| *pm == wanted) {
                self.push(
                    FindingCode::PackageManagerMissing,
                    format!(
                        "nothing shows {0}: set `\"packageManager\": \"{0}@<version>\"` in package.json or use {0} in the scripts",
                        wanted.name()
                    ),
                    None,
                    None,
                );
            }
        } else {
            for (_, path, line, what) in evidence.iter().filter(|(pm, ..)| *pm == wanted) {
                self.push(
                    FindingCode::PackageManagerConflict,
                    format!(
                        "the constraints rule out {}, but `{path}` uses it ({what})",
                        wanted.name()
                    ),
                    Some(path),
                    Some(*line),
                );
            }
        }
    }
}

/// What checking one file found.
struct FileOutcome<'m> {
    findings: Vec<Finding>,
    /// The normal form of the path, when it passes the policy.
    normal: Option<Cow<'m, str>>,
    /// The dependencies it declares, when it is a dependency file.
    declared: Option<Vec<deps::Dependency>>,
}

/// Outputs at least this large are checked on several threads.
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// Check every file, on several threads for large outputs; the outcomes keep the file order,
/// so the result is the same however the work was split.
fn check_files<'m>(
    v: &Validator<'_>,
    files: &'m [ManifestFile],
    own: &OwnCode,
) -> Vec<FileOutcome<'m>> {
    let total: usize = files.iter().map(|f| f.content.len()).sum();
    let threads = if total >= PARALLEL_MIN_BYTES {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
            .min(files.len())
    } else {
        1
    };
    let sequential = |chunk: &'m [ManifestFile]| {
        chunk
            .iter()
            .map(|f| {
                FileCheck {
                    v,
                    own,
                    findings: Vec::new(),
                }
                .run(f)
            })
            .collect::<Vec<_>>()
    };
    if threads <= 1 {
        return sequential(files);
    }
    // Contiguous chunks of about equal size.
    let mut chunks: Vec<&'m [ManifestFile]> = Vec::with_capacity(threads);
    let target = total / threads + 1;
    let (mut start, mut size) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        size += f.content.len();
        if size >= target && chunks.len() + 1 < threads {
            chunks.push(&files[start..=i]);
            start = i + 1;
            size = 0;
        }
    }
    chunks.push(&files[start..]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|&chunk| {
                (
                    chunk,
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || sequential(chunk))
                        .ok(),
                )
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(chunk, handle)| match handle {
                // A thread that could not start: do its share here.
                None => sequential(chunk),
                Some(handle) => handle
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
            })
            .collect()
    })
}

/// The checks of one file.
struct FileCheck<'a, 'v> {
    v: &'a Validator<'v>,
    own: &'a OwnCode,
    findings: Vec<Finding>,
}

impl FileCheck<'_, '_> {
    fn push(
        &mut self,
        code: FindingCode,
        message: String,
        path: Option<&str>,
        line: Option<usize>,
    ) {
        self.findings.push(finding(code, message, path, line));
    }

    fn run<'m>(mut self, file: &'m ManifestFile) -> FileOutcome<'m> {
        let path = file.path.as_str();
        let normal = match paths::check_borrowed(path) {
            Ok(normal) => normal,
            Err(violation) => {
                self.push(
                    FindingCode::InvalidPath,
                    format!("`{path}`: {violation}"),
                    Some(path),
                    Some(file.line),
                );
                return FileOutcome {
                    findings: self.findings,
                    normal: None,
                    declared: None,
                };
            }
        };
        let name = normal.rsplit('/').next().unwrap_or(&normal);
        if file.content.trim().is_empty()
            && !matches!(
                name,
                "__init__.py" | ".gitkeep" | ".keep" | "py.typed" | ".nojekyll"
            )
        {
            self.push(
                FindingCode::EmptyFile,
                format!("`{path}` is empty"),
                Some(path),
                Some(file.line),
            );
        }
        if name == ".env" {
            self.push(
                FindingCode::EnvFileIncluded,
                format!("`{path}` is a real environment file; ship `.env.example` with safe values instead"),
                Some(path),
                Some(file.line),
            );
        }
        if let Some(spec) = self.v.stack {
            for component in normal.split('/') {
                if let Some((rule, _)) = spec
                    .rules
                    .forbidden_files
                    .iter()
                    .zip(&self.v.paths.forbidden_files)
                    .find(|(_, pattern)| pattern.matches(component))
                {
                    self.push(
                        FindingCode::ForbiddenFile,
                        format!("stack `{}` does not use `{rule}` (found `{path}`)", spec.id),
                        Some(path),
                        Some(file.line),
                    );
                    break;
                }
            }
        }
        if let Some(language) = SourceLanguage::of_path(&normal) {
            self.code_file(file, language);
        }
        let declared = if self.v.reads_declared_dependencies() {
            deps::declared(name, &file.content)
        } else {
            None
        };
        FileOutcome {
            findings: self.findings,
            normal: Some(normal),
            declared,
        }
    }

    fn code_file(&mut self, file: &ManifestFile, language: SourceLanguage) {
        let spec = self.v.stack;
        let check_extra = self.v.checks_extra_libraries();
        let mut imports: Vec<Import> = Vec::new();
        let mut shape = crate::imports::Shape::default();
        scan(
            language,
            &file.content,
            &mut |i| imports.push(i),
            &mut |s| shape = s,
        );
        let mut reported_extra: HashSet<String> = HashSet::new();
        for import in &imports {
            let line = file.content_line + import.line.saturating_sub(1);
            if let Some(spec) = spec
                && let Some(rule) = spec
                    .rules
                    .forbidden_imports
                    .iter()
                    .find(|r| module_matches(language, r, &import.module))
            {
                self.push(
                    FindingCode::ForbiddenImport,
                    format!(
                        "stack `{}` forbids `{rule}`: `{}` is imported in `{}`",
                        spec.id, import.module, file.path
                    ),
                    Some(&file.path),
                    Some(line),
                );
                continue;
            }
            if check_extra && !import.relative && !self.is_allowed(language, &import.module) {
                let root = package_root(language, &import.module);
                if reported_extra.insert(root.clone()) {
                    self.push(
                        FindingCode::ExtraLibrary,
                        format!(
                            "\"no extra libraries\": `{}` imports `{root}`, which is not a dependency of stack `{}`",
                            file.path,
                            spec.map_or("", |s| s.id.as_str())
                        ),
                        Some(&file.path),
                        Some(line),
                    );
                }
            }
        }
        if self.v.options.check_minified {
            for issue in minified::from_shape(&shape) {
                self.push(
                    FindingCode::MinifiedCode,
                    format!("`{}`: {}", file.path, issue.describe()),
                    Some(&file.path),
                    Some(file.line),
                );
            }
        }
    }

    fn is_allowed(&self, language: SourceLanguage, module: &str) -> bool {
        let own = self.own;
        let module = module.trim_start_matches('\\');
        if stdlib::is_builtin_module(&stack_language(language), module) {
            return true;
        }
        if let Some(spec) = self.v.stack
            && spec
                .rules
                .builtin_modules
                .iter()
                .any(|b| module_matches(language, b, module))
        {
            return true;
        }
        let allowed = &self.v.allowed;
        match language {
            SourceLanguage::Go => {
                own.go_module
                    .as_deref()
                    .is_some_and(|m| module == m || module.starts_with(&format!("{m}/")))
                    || self.v.stack.is_some_and(|s| {
                        s.dependencies
                            .iter()
                            .chain(&s.dev_dependencies)
                            .any(|d| module == d || module.starts_with(&format!("{d}/")))
                    })
            }
            SourceLanguage::CSharp => {
                let lower = module.to_ascii_lowercase();
                own.contains(lower.split('.').next().unwrap_or(""))
                    || self.v.stack.is_some_and(|s| {
                        s.dependencies.iter().chain(&s.dev_dependencies).any(|d| {
                            let d = d.to_ascii_lowercase();
                            lower == d
                                || lower.starts_with(&format!("{d}."))
                                || d.starts_with(&format!("{lower}."))
                        })
                    })
                    || allowed.contains(&deps::key(lower.split('.').next().unwrap_or("")))
            }
            SourceLanguage::Dart => match module.strip_prefix("package:") {
                Some(rest) => {
                    let name = rest.split('/').next().unwrap_or(rest);
                    allowed.contains(&deps::key(name)) || own.contains(&name.to_ascii_lowercase())
                }
                None => true,
            },
            SourceLanguage::JavaScript => {
                if module.starts_with("@/") || module.starts_with("~/") || module.starts_with('#') {
                    return true;
                }
                let root = package_root(language, module);
                if root.starts_with("@types/") {
                    return true;
                }
                allowed.contains(&deps::key(&root)) || own.contains(&root.to_ascii_lowercase())
            }
            _ => {
                let root = package_root(language, module);
                allowed.contains(&deps::key(&root)) || own.contains(&root.to_ascii_lowercase())
            }
        }
    }
}

/// Where the output shows a package manager: lock files, `packageManager`, commands.
fn pm_evidence(manifest: &Manifest) -> Vec<(PackageManager, String, usize, String)> {
    let mut out: Vec<(PackageManager, String, usize, String)> = Vec::new();
    for file in &manifest.files {
        let name = file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path);
        for pm in PackageManager::ALL {
            if name == pm.lock_file() {
                out.push((
                    pm,
                    file.path.clone(),
                    file.line,
                    format!("lock file `{name}`"),
                ));
            }
        }
        let texty = name == "package.json"
            || name == "Dockerfile"
            || name == "Makefile"
            || [".md", ".yml", ".yaml", ".sh", ".toml"]
                .iter()
                .any(|e| name.ends_with(e));
        if !texty {
            continue;
        }
        if name == "package.json"
            && let Ok(serde_json::Value::Object(root)) =
                serde_json::from_str::<serde_json::Value>(&file.content)
            && let Some(field) = root.get("packageManager").and_then(|v| v.as_str())
        {
            for pm in PackageManager::ALL {
                if field.starts_with(&format!("{}@", pm.name())) {
                    out.push((
                        pm,
                        file.path.clone(),
                        file.line,
                        format!("`packageManager: {field}`"),
                    ));
                }
            }
        }
        for (i, line) in file.content.lines().enumerate() {
            for pm in PackageManager::ALL {
                if let Some(command) = pm_command(line, pm)
                    && !out
                        .iter()
                        .any(|(p, path, ..)| *p == pm && *path == file.path)
                {
                    out.push((
                        pm,
                        file.path.clone(),
                        file.content_line + i,
                        format!("`{command}`"),
                    ));
                }
            }
        }
    }
    out
}

/// A command of `pm` on the line (`npm install`, `npx x`, `pnpm run build`, `yarn`).
fn pm_command(line: &str, pm: PackageManager) -> Option<String> {
    let words: Vec<&str> = line
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '&' | ';' | '(' | ')' | ',')
        })
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let hit = match pm {
            PackageManager::Npm => {
                *w == "npx"
                    || (*w == "npm"
                        && matches!(
                            next,
                            "install" | "i" | "ci" | "run" | "test" | "start" | "exec" | "add"
                        ))
            }
            PackageManager::Pnpm => {
                *w == "pnpx"
                    || (*w == "pnpm"
                        && matches!(
                            next,
                            "install"
                                | "i"
                                | "run"
                                | "test"
                                | "start"
                                | "exec"
                                | "add"
                                | "dlx"
                                | "build"
                                | "dev"
                        ))
            }
            PackageManager::Yarn => {
                *w == "yarn"
                    && (next.is_empty()
                        || matches!(
                            next,
                            "install" | "add" | "run" | "test" | "start" | "build" | "dev" | "dlx"
                        ))
            }
            PackageManager::Bun => {
                (*w == "bun" && matches!(next, "install" | "i" | "run" | "test" | "add" | "x"))
                    || *w == "bunx"
            }
        };
        if hit {
            return Some(
                if next.is_empty() || *w == "npx" || *w == "bunx" || *w == "pnpx" {
                    w.to_string()
                } else {
                    format!("{w} {next}")
                },
            );
        }
    }
    None
}

/// Names that belong to the project itself: directories, code file stems, and the names its
/// manifests declare (Go module, Dart package, Rust crate, .NET project).
#[derive(Default)]
struct OwnCode {
    names: HashSet<String>,
    go_module: Option<String>,
}

impl OwnCode {
    fn of(manifest: &Manifest) -> OwnCode {
        let mut names = HashSet::new();
        let mut go_module = None;
        for file in &manifest.files {
            let normal = paths::normal_form(&file.path);
            let mut parts: Vec<&str> = normal.split('/').collect();
            let name = parts.pop().unwrap_or("");
            for dir in parts {
                names.insert(dir.to_ascii_lowercase());
            }
            if SourceLanguage::of_path(name).is_some()
                && let Some((stem, _)) = name.split_once('.')
            {
                names.insert(stem.to_ascii_lowercase());
            }
            if let Some(stem) = name.strip_suffix(".csproj") {
                names.insert(stem.to_ascii_lowercase());
            }
            if name == "go.mod" {
                go_module = deps::go_module(&file.content).map(str::to_string);
            }
            if let Some(pkg) = deps::package_name(name, &file.content) {
                names.insert(pkg.to_ascii_lowercase().replace('-', "_"));
                names.insert(pkg.to_ascii_lowercase());
            }
        }
        OwnCode { names, go_module }
    }

    fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// The package a module comes from: `@scope/name` or the first segment (JS), the first dotted,
/// slashed or namespaced segment elsewhere.
fn package_root(language: SourceLanguage, module: &str) -> String {
    let module = module.trim_start_matches('\\');
    match language {
        SourceLanguage::JavaScript => {
            let module = module.strip_prefix("node:").unwrap_or(module);
            if module.starts_with('@') {
                module.splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
            } else {
                module.split('/').next().unwrap_or(module).to_string()
            }
        }
        SourceLanguage::Go => module.to_string(),
        SourceLanguage::Dart => module
            .strip_prefix("package:")
            .unwrap_or(module)
            .split('/')
            .next()
            .unwrap_or(module)
            .to_string(),
        _ => {
            let seps: &[char] = match language {
                SourceLanguage::Php => &['\\'],
                SourceLanguage::Rust => &[':'],
                SourceLanguage::Ruby => &['/'],
                _ => &['.'],
            };
            module.split(seps).next().unwrap_or(module).to_string()
        }
    }
}

/// Whether `module` is `rule` or inside it (`next` covers `next/router`, not `nextra`).
fn module_matches(language: SourceLanguage, rule: &str, module: &str) -> bool {
    let module = module.trim_start_matches('\\');
    let case_insensitive = matches!(language, SourceLanguage::Php | SourceLanguage::CSharp);
    let Some((head, rest)) = module.split_at_checked(rule.len()) else {
        return false;
    };
    let same = if case_insensitive {
        head.eq_ignore_ascii_case(rule)
    } else {
        head == rule
    };
    same && (rest.is_empty() || rest.starts_with(['/', '.', '\\']) || rest.starts_with("::"))
}

fn stack_language(language: SourceLanguage) -> Language {
    match language {
        SourceLanguage::JavaScript => Language::JavaScript,
        SourceLanguage::Python => Language::Python,
        SourceLanguage::Php => Language::Php,
        SourceLanguage::CSharp => Language::CSharp,
        SourceLanguage::Go => Language::Go,
        SourceLanguage::Dart => Language::Dart,
        SourceLanguage::Java => Language::Java,
        SourceLanguage::Kotlin => Language::Kotlin,
        SourceLanguage::Ruby => Language::Ruby,
        SourceLanguage::Rust => Language::Rust,
    }
}

/// The dependency-file families a stack expects: its languages', and those its layout, rules
/// and run commands name (`npm run build` in a Laravel stack means Node is expected too).
fn expected_families(spec: &StackSpec) -> HashSet<&'static str> {
    let mut families = HashSet::new();
    let mut by_code = |code: &str| {
        let family = match Language::from_code(code) {
            Language::TypeScript | Language::JavaScript => "node",
            Language::Python => "python",
            Language::Php => "php",
            Language::CSharp => "dotnet",
            Language::Dart => "dart",
            Language::Go => "go",
            Language::Ruby => "ruby",
            Language::Java | Language::Kotlin => "java",
            Language::Rust => "rust",
            _ => return,
        };
        families.insert(family);
    };
    by_code(spec.language.code());
    for code in &spec.inference.languages {
        by_code(code);
    }
    let named = spec
        .layout
        .iter()
        .map(|e| e.path.as_str())
        .chain(spec.rules.required_files.iter().flat_map(|r| r.split('|')))
        .chain(
            spec.rules
                .recommended_files
                .iter()
                .flat_map(|r| r.split('|')),
        );
    for path in named {
        if let Some(family) = deps::family_of(path.rsplit('/').next().unwrap_or(path)) {
            families.insert(family);
        }
    }
    let run = &spec.run;
    for cmd in [&run.dev, &run.build, &run.test, &run.start]
        .into_iter()
        .flatten()
    {
        for (word, family) in [
            ("npm", "node"),
            ("composer", "php"),
            ("pip", "python"),
            ("php artisan", "php"),
        ] {
            if cmd.contains(word) {
                families.insert(family);
            }
        }
    }
    families
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_stable() {
        let mut seen = HashSet::new();
        for code in FindingCode::ALL {
            assert!(seen.insert(code.as_str()), "{code}");
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn findings_are_split_by_severity_in_the_order_found() {
        let of = |severity: Severity| {
            FindingCode::ALL
                .iter()
                .copied()
                .filter(move |c| c.severity() == severity)
        };
        let (e, w, n) = (
            of(Severity::Error),
            of(Severity::Warning),
            of(Severity::Note),
        );
        let mut all: Vec<FindingCode> = Vec::new();
        for ((e, w), n) in e.zip(w).zip(n) {
            all.extend([n, e, w]);
        }
        assert!(all.len() >= 3, "every severity has codes");
        let found: Vec<Finding> = all
            .iter()
            .enumerate()
            .map(|(i, &c)| finding(c, i.to_string(), None, None))
            .collect();
        let result = ValidationResult::from_findings(found.clone());
        let expect = |severity: Severity| -> Vec<Finding> {
            found
                .iter()
                .filter(|f| f.severity == severity)
                .cloned()
                .collect()
        };
        assert_eq!(result.errors(), expect(Severity::Error));
        assert_eq!(result.warnings(), expect(Severity::Warning));
        assert_eq!(result.notes(), expect(Severity::Note));
        assert!(!result.is_valid());
        let clean = ValidationResult::from_findings(expect(Severity::Warning));
        assert!(clean.is_valid() && clean.errors().is_empty() && clean.notes().is_empty());
    }

    #[test]
    fn module_boundaries() {
        assert!(module_matches(
            SourceLanguage::JavaScript,
            "next",
            "next/router"
        ));
        assert!(!module_matches(
            SourceLanguage::JavaScript,
            "next",
            "nextra"
        ));
        assert!(!module_matches(
            SourceLanguage::JavaScript,
            "vite",
            "vitest"
        ));
        assert!(module_matches(
            SourceLanguage::Python,
            "django",
            "django.db.models"
        ));
        assert!(module_matches(
            SourceLanguage::Php,
            "Illuminate",
            "\\illuminate\\Support"
        ));
        assert!(module_matches(
            SourceLanguage::Rust,
            "actix_web",
            "actix_web::App"
        ));
        assert_eq!(
            package_root(SourceLanguage::JavaScript, "@scope/pkg/sub"),
            "@scope/pkg"
        );
        assert_eq!(package_root(SourceLanguage::JavaScript, "node:fs"), "fs");
        assert_eq!(
            package_root(SourceLanguage::Dart, "package:http/http.dart"),
            "http"
        );
    }

    #[test]
    fn package_manager_commands() {
        assert_eq!(
            pm_command("RUN npm ci --omit=dev", PackageManager::Npm).as_deref(),
            Some("npm ci")
        );
        assert_eq!(
            pm_command("\"dev\": \"npx ts-node src/x.ts\"", PackageManager::Npm).as_deref(),
            Some("npx")
        );
        assert_eq!(
            pm_command("pnpm install --frozen-lockfile", PackageManager::Pnpm).as_deref(),
            Some("pnpm install")
        );
        assert_eq!(
            pm_command("Use npm, pnpm or yarn as you like", PackageManager::Npm),
            None
        );
    }
}
