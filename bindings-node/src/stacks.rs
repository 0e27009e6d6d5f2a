//! JS types for `mgx_core::stacks`: stack specs, inference, the registry and the task contract.

use napi_derive::napi;
use serde_json::Value;

use mgx_core::stacks as core;

use crate::error::{Result, stack_err};

/// A test framework and what the tester needs to write tests in it.
#[napi(object)]
pub struct TestFramework {
    pub framework: String,
    pub command: String,
    /// Where test files go, e.g. `tests/test_*.py`.
    pub file_pattern: String,
    /// A minimal valid test file.
    pub template: String,
}

/// A linter or formatter and its command.
#[napi(object)]
pub struct Tool {
    pub name: String,
    pub command: String,
}

/// One entry of the expected layout; a directory path ends with `/`.
#[napi(object)]
pub struct LayoutEntry {
    pub path: String,
    pub description: String,
}

/// Run commands; `null` when the stack has no such step.
#[napi(object)]
pub struct RunCommands {
    pub dev: Option<String>,
    pub build: Option<String>,
    pub test: Option<String>,
    pub start: Option<String>,
}

/// The rules guardrails enforces for a stack.
#[napi(object)]
pub struct ValidationRules {
    pub required_files: Vec<String>,
    pub required_dirs: Vec<String>,
    pub recommended_files: Vec<String>,
    pub forbidden_files: Vec<String>,
    pub forbidden_imports: Vec<String>,
    pub expected_commands: Vec<String>,
    pub builtin_modules: Vec<String>,
}

/// Prompt material for the team.
#[napi(object)]
pub struct PromptMaterial {
    pub conventions: Vec<String>,
    pub review_checklist: Vec<String>,
}

/// Hints stack inference uses.
#[napi(object)]
pub struct InferenceHints {
    pub keywords: Vec<String>,
    pub hints: Vec<String>,
    pub languages: Vec<String>,
    pub tags: Vec<String>,
    pub combinations: Vec<Vec<String>>,
    pub prior: f64,
}

/// One target stack.
#[napi(object)]
pub struct StackSpec {
    pub id: String,
    pub name: String,
    /// `backend`, `frontend`, `fullstack`, `mobile` or `devops`.
    pub category: String,
    /// The language's short code (`py`, `ts` …).
    pub language: String,
    /// The language's display name (`Python`, `TypeScript` …).
    pub language_name: String,
    pub description: String,
    pub package_manager: Option<String>,
    pub test: Option<TestFramework>,
    pub linter: Option<Tool>,
    pub formatter: Option<Tool>,
    pub layout: Vec<LayoutEntry>,
    pub run: RunCommands,
    pub dependencies: Vec<String>,
    pub dev_dependencies: Vec<String>,
    pub file_extensions: Vec<String>,
    pub rules: ValidationRules,
    pub prompt: PromptMaterial,
    pub inference: InferenceHints,
    /// The prompt material as one Markdown block.
    pub prompt_brief: String,
}

fn tool(t: &Option<core::Tool>) -> Option<Tool> {
    t.as_ref().map(|t| Tool {
        name: t.name.clone(),
        command: t.command.clone(),
    })
}

impl From<&core::StackSpec> for StackSpec {
    fn from(s: &core::StackSpec) -> Self {
        let r = &s.rules;
        let h = &s.inference;
        StackSpec {
            id: s.id.clone(),
            name: s.name.clone(),
            category: s.category.as_str().to_string(),
            language: s.language.code().to_string(),
            language_name: s.language.name().to_string(),
            description: s.description.clone(),
            package_manager: s.package_manager.clone(),
            test: s.test.as_ref().map(|t| TestFramework {
                framework: t.framework.clone(),
                command: t.command.clone(),
                file_pattern: t.file_pattern.clone(),
                template: t.template.clone(),
            }),
            linter: tool(&s.linter),
            formatter: tool(&s.formatter),
            layout: s
                .layout
                .iter()
                .map(|e| LayoutEntry {
                    path: e.path.clone(),
                    description: e.description.clone(),
                })
                .collect(),
            run: RunCommands {
                dev: s.run.dev.clone(),
                build: s.run.build.clone(),
                test: s.run.test.clone(),
                start: s.run.start.clone(),
            },
            dependencies: s.dependencies.clone(),
            dev_dependencies: s.dev_dependencies.clone(),
            file_extensions: s.file_extensions.clone(),
            rules: ValidationRules {
                required_files: r.required_files.clone(),
                required_dirs: r.required_dirs.clone(),
                recommended_files: r.recommended_files.clone(),
                forbidden_files: r.forbidden_files.clone(),
                forbidden_imports: r.forbidden_imports.clone(),
                expected_commands: r.expected_commands.clone(),
                builtin_modules: r.builtin_modules.clone(),
            },
            prompt: PromptMaterial {
                conventions: s.prompt.conventions.clone(),
                review_checklist: s.prompt.review_checklist.clone(),
            },
            inference: InferenceHints {
                keywords: h.keywords.clone(),
                hints: h.hints.clone(),
                languages: h.languages.clone(),
                tags: h.tags.clone(),
                combinations: h.combinations.clone(),
                prior: h.prior,
            },
            prompt_brief: s.prompt_brief(),
        }
    }
}

/// One piece of evidence for a candidate stack.
#[napi(object)]
pub struct Evidence {
    pub phrase: String,
    /// `keyword`, `combination`, `hint`, `language`, `tag` or `prior`.
    pub kind: String,
    pub weight: f64,
}

/// A stack that fits the task to some degree.
#[napi(object)]
pub struct Candidate {
    pub stack: String,
    pub score: f64,
    pub evidence: Vec<Evidence>,
}

/// The result of stack inference.
#[napi(object)]
pub struct Inference {
    /// The inferred stack id, or `null` when no stack fits.
    pub stack: Option<String>,
    /// How sure, in [0, 1]; 0 without a stack.
    pub confidence: f64,
    /// Whether `confidence` reaches the confident threshold.
    pub is_confident: bool,
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Frameworks or languages named that no stack covers.
    pub unsupported: Vec<String>,
    /// Why there is no stack, or what lowers the confidence.
    pub note: Option<String>,
}

impl From<&core::Inference> for Inference {
    fn from(i: &core::Inference) -> Self {
        Inference {
            stack: i.stack.clone(),
            confidence: i.confidence,
            is_confident: i.is_confident(),
            candidates: i
                .candidates
                .iter()
                .map(|c| Candidate {
                    stack: c.stack.clone(),
                    score: c.score,
                    evidence: c
                        .evidence
                        .iter()
                        .map(|e| Evidence {
                            phrase: e.phrase.clone(),
                            kind: serde_json::to_value(e.kind)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                            weight: e.weight,
                        })
                        .collect(),
                })
                .collect(),
            unsupported: i.unsupported.clone(),
            note: i.note.clone(),
        }
    }
}

/// How a task's stack was settled.
#[napi(object)]
pub struct ResolvedStack {
    /// The stack, or `null` when none was named or inferred.
    pub stack: Option<StackSpec>,
    /// `explicit` or `inferred`.
    pub source: String,
    pub confidence: f64,
    /// The inference, when the stack was inferred.
    pub inference: Option<Inference>,
}

/// Every built-in stack, in registry order.
#[napi]
pub fn stacks() -> Vec<StackSpec> {
    core::stacks().map(StackSpec::from).collect()
}

/// The ids of the built-in stacks, in registry order.
#[napi]
pub fn stack_ids() -> Vec<String> {
    core::StackRegistry::builtin()
        .ids()
        .map(str::to_string)
        .collect()
}

/// The built-in stack with this id; throws `code: 'unknown_stack'` (message lists the closest ids).
#[napi]
pub fn get_stack(id: String) -> Result<StackSpec> {
    core::get_stack(&id).map(StackSpec::from).map_err(stack_err)
}

/// Infer a built-in stack from free text.
#[napi]
pub fn infer_stack(text: String) -> Inference {
    Inference::from(&core::infer_stack(&text))
}

/// The built-in stacks (default) plus stacks registered from JSON or TOML.
#[napi]
pub struct StackRegistry {
    inner: core::StackRegistry,
}

impl StackRegistry {
    /// The core registry.
    pub(crate) fn registry(&self) -> &core::StackRegistry {
        &self.inner
    }
}

#[napi]
impl StackRegistry {
    /// A registry with the built-in stacks, or an empty one with `builtins: false`.
    #[napi(constructor)]
    pub fn new(builtins: Option<bool>) -> Self {
        let inner = if builtins.unwrap_or(true) {
            core::StackRegistry::with_builtins()
        } else {
            core::StackRegistry::new()
        };
        StackRegistry { inner }
    }

    /// The stack with this id; throws `code: 'unknown_stack'`.
    #[napi]
    pub fn get(&self, id: String) -> Result<StackSpec> {
        self.inner.get(&id).map(StackSpec::from).map_err(stack_err)
    }

    /// Whether a stack with this id is registered.
    #[napi]
    pub fn has(&self, id: String) -> bool {
        self.inner.contains(&id)
    }

    /// The number of stacks.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// The ids in registry order.
    #[napi]
    pub fn ids(&self) -> Vec<String> {
        self.inner.ids().map(str::to_string).collect()
    }

    /// The stacks in registry order.
    #[napi]
    pub fn stacks(&self) -> Vec<StackSpec> {
        self.inner.iter().map(StackSpec::from).collect()
    }

    /// Infer a stack from free text, over every stack of this registry.
    #[napi]
    pub fn infer(&self, text: String) -> Inference {
        Inference::from(&self.inner.infer(&text))
    }

    /// Register stacks from JSON text (one spec or an array); returns the new ids.
    #[napi]
    pub fn register_json(&mut self, text: String) -> Result<Vec<String>> {
        self.inner.register_json(&text).map_err(stack_err)
    }

    /// Register stacks from TOML text (one spec or `[[stack]]` tables); returns the new ids.
    #[napi]
    pub fn register_toml(&mut self, text: String) -> Result<Vec<String>> {
        self.inner.register_toml(&text).map_err(stack_err)
    }

    /// Register stacks from a `.json` or `.toml` file; returns the new ids.
    #[napi]
    pub fn register_file(&mut self, path: String) -> Result<Vec<String>> {
        self.inner.register_file(path).map_err(stack_err)
    }
}

/// A task in the JSON task contract.
#[napi]
pub struct TaskSpec {
    inner: core::TaskSpec,
}

fn registry_or_builtin(registry: Option<&StackRegistry>) -> &core::StackRegistry {
    match registry {
        Some(r) => &r.inner,
        None => core::StackRegistry::builtin(),
    }
}

#[napi]
impl TaskSpec {
    /// The minimal form: a plain-text task.
    #[napi(factory)]
    pub fn from_text(text: String) -> Result<TaskSpec> {
        core::TaskSpec::from_text(&text)
            .map(|inner| TaskSpec { inner })
            .map_err(stack_err)
    }

    /// The JSON task contract; `targetStack` is checked against `registry` (default: built-ins).
    #[napi(factory)]
    pub fn from_json(text: String, registry: Option<&StackRegistry>) -> Result<TaskSpec> {
        core::TaskSpec::from_json_in(&text, registry_or_builtin(registry))
            .map(|inner| TaskSpec { inner })
            .map_err(stack_err)
    }

    /// Either form: text starting with `{` is JSON, anything else plain text.
    #[napi(factory)]
    pub fn parse(text: String, registry: Option<&StackRegistry>) -> Result<TaskSpec> {
        core::TaskSpec::parse_in(&text, registry_or_builtin(registry))
            .map(|inner| TaskSpec { inner })
            .map_err(stack_err)
    }

    #[napi(getter)]
    pub fn task(&self) -> String {
        self.inner.task.clone()
    }

    #[napi(getter)]
    pub fn target_stack(&self) -> Option<String> {
        self.inner.target_stack.clone()
    }

    /// `api`, `webapp`, `fullstack`, `devops`, or `null`.
    #[napi(getter)]
    pub fn project_type(&self) -> Option<String> {
        self.inner.project_type.map(|p| p.as_str().to_string())
    }

    /// `generate_new` or `patch_existing`.
    #[napi(getter)]
    pub fn output_mode(&self) -> String {
        self.inner.output_mode.as_str().to_string()
    }

    #[napi(getter)]
    pub fn strict_requirements(&self) -> bool {
        self.inner.strict_requirements
    }

    #[napi(getter)]
    pub fn constraints(&self) -> Vec<String> {
        self.inner.constraints.clone()
    }

    #[napi(getter)]
    pub fn existing_project_path(&self) -> Option<String> {
        self.inner
            .existing_project_path
            .as_ref()
            .map(|p| p.display().to_string())
    }

    /// The named stack, else the inferred one.
    #[napi]
    pub fn resolve_stack(&self, registry: Option<&StackRegistry>) -> Result<ResolvedStack> {
        let resolved = self
            .inner
            .resolve_stack(registry_or_builtin(registry))
            .map_err(stack_err)?;
        Ok(match resolved {
            core::ResolvedStack::Explicit(spec) => ResolvedStack {
                stack: Some(StackSpec::from(spec)),
                source: "explicit".into(),
                confidence: 1.0,
                inference: None,
            },
            core::ResolvedStack::Inferred { spec, inference } => ResolvedStack {
                stack: spec.map(StackSpec::from),
                source: "inferred".into(),
                confidence: inference.confidence,
                inference: Some(Inference::from(&inference)),
            },
        })
    }

    /// The task in the contract's JSON shape (snake_case keys), so `JSON.stringify(task)` works.
    #[napi(js_name = "toJSON")]
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(&self.inner).unwrap_or(Value::Null)
    }
}
