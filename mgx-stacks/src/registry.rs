//! The stack registry: the built-in stacks plus any the user registers from data.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{DataFormat, Error, Result};
use crate::infer::{Inference, Matcher};
use crate::spec::StackSpec;

/// The built-in stack files, in the registry's stable order: the seventeen stacks of the
/// original system in its order, then the six mgx adds.
const BUILTIN_FILES: &[(&str, &str)] = &[
    ("express-ts", include_str!("../stacks/express-ts.toml")),
    ("nestjs", include_str!("../stacks/nestjs.toml")),
    ("laravel", include_str!("../stacks/laravel.toml")),
    ("fastapi", include_str!("../stacks/fastapi.toml")),
    ("dotnet-api", include_str!("../stacks/dotnet-api.toml")),
    ("react-vite", include_str!("../stacks/react-vite.toml")),
    ("nextjs", include_str!("../stacks/nextjs.toml")),
    ("vue-vite", include_str!("../stacks/vue-vite.toml")),
    ("react-native", include_str!("../stacks/react-native.toml")),
    ("flutter", include_str!("../stacks/flutter.toml")),
    ("go-fiber", include_str!("../stacks/go-fiber.toml")),
    ("vanilla-html", include_str!("../stacks/vanilla-html.toml")),
    (
        "laravel-blade",
        include_str!("../stacks/laravel-blade.toml"),
    ),
    (
        "flutter-laravel",
        include_str!("../stacks/flutter-laravel.toml"),
    ),
    (
        "laravel-react",
        include_str!("../stacks/laravel-react.toml"),
    ),
    (
        "devops-docker",
        include_str!("../stacks/devops-docker.toml"),
    ),
    (
        "ci-github-actions",
        include_str!("../stacks/ci-github-actions.toml"),
    ),
    ("django", include_str!("../stacks/django.toml")),
    ("flask", include_str!("../stacks/flask.toml")),
    ("go-gin", include_str!("../stacks/go-gin.toml")),
    ("rust-axum", include_str!("../stacks/rust-axum.toml")),
    ("rails", include_str!("../stacks/rails.toml")),
    ("spring-boot", include_str!("../stacks/spring-boot.toml")),
];

/// The ids of the built-in stacks, in registry order.
pub const BUILTIN_IDS: [&str; 23] = [
    "express-ts",
    "nestjs",
    "laravel",
    "fastapi",
    "dotnet-api",
    "react-vite",
    "nextjs",
    "vue-vite",
    "react-native",
    "flutter",
    "go-fiber",
    "vanilla-html",
    "laravel-blade",
    "flutter-laravel",
    "laravel-react",
    "devops-docker",
    "ci-github-actions",
    "django",
    "flask",
    "go-gin",
    "rust-axum",
    "rails",
    "spring-boot",
];

/// A set of stack specs with lookup by id, iteration in a stable order (registration order,
/// built-ins first) and inference over all of them.
///
/// [`StackRegistry::builtin`] is the shared registry of the built-in stacks. To add stacks of
/// your own, start from [`StackRegistry::with_builtins`] (or [`StackRegistry::new`] for an
/// empty one) and register specs directly or from JSON or TOML data; registered stacks take
/// part in lookup and inference like the built-in ones.
///
/// ```
/// use mgx_stacks::StackRegistry;
///
/// let mut registry = StackRegistry::with_builtins();
/// registry.register_toml(r#"
///     id = "phoenix"
///     name = "Elixir + Phoenix"
///     category = "backend"
///     language = "elixir"
///     file_extensions = [".ex", ".exs"]
///     [inference]
///     keywords = ["phoenix"]
/// "#)?;
/// assert_eq!(registry.get("phoenix")?.name, "Elixir + Phoenix");
/// assert_eq!(registry.infer("A Phoenix API for chat rooms").stack.as_deref(), Some("phoenix"));
/// assert_eq!(registry.ids().last(), Some("phoenix"));
/// # Ok::<(), mgx_stacks::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StackRegistry {
    specs: Vec<StackSpec>,
    index: HashMap<String, usize>,
    matcher: OnceLock<Matcher>,
}

impl StackRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        StackRegistry::default()
    }

    /// The shared registry of the built-in stacks, built once per process.
    pub fn builtin() -> &'static StackRegistry {
        static BUILTIN: OnceLock<StackRegistry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut registry = StackRegistry::new();
            // The built-in files are compiled in and checked by the crate's tests
            // (`every_builtin_stack_parses_and_validates`); a file that failed would be left out.
            for (_, text) in BUILTIN_FILES {
                if let Ok(spec) = toml::from_str::<StackSpec>(text) {
                    let _ = registry.register(spec);
                }
            }
            registry
        })
    }

    /// A new registry holding the built-in stacks, ready for stacks of your own.
    pub fn with_builtins() -> Self {
        StackRegistry::builtin().clone()
    }

    /// The number of stacks.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the registry has no stacks.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Whether a stack with this id is registered.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The stack with this id, if any.
    pub fn find(&self, id: &str) -> Option<&StackSpec> {
        self.index.get(id).map(|&i| &self.specs[i])
    }

    /// The stack with this id, or [`Error::UnknownStack`] naming the closest registered ids.
    pub fn get(&self, id: &str) -> Result<&StackSpec> {
        self.find(id).ok_or_else(|| Error::UnknownStack {
            id: id.to_string(),
            closest: self.closest(id),
        })
    }

    /// Up to three registered ids that look like `id`, closest first: ids that contain it or
    /// that it contains, then ids within a small edit distance.
    pub fn closest(&self, id: &str) -> Vec<String> {
        let wanted = id.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(f64, &str)> = self
            .specs
            .iter()
            .filter_map(|spec| {
                let candidate = spec.id.as_str();
                let similarity = strsim::jaro_winkler(&wanted, candidate);
                let related = candidate.contains(wanted.as_str()) || wanted.contains(candidate);
                let distance = strsim::levenshtein(&wanted, candidate);
                let close = distance <= 2.max(wanted.len() / 3);
                (related || close || similarity >= 0.85)
                    .then_some((similarity + f64::from(u8::from(related)), candidate))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(3)
            .map(|(_, id)| id.to_string())
            .collect()
    }

    /// The stacks in registry order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &StackSpec> {
        self.specs.iter()
    }

    /// The ids in registry order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator {
        self.specs.iter().map(|s| s.id.as_str())
    }

    /// Register a stack. The spec is validated first ([`StackSpec::validate`]); an id that is
    /// already registered is [`Error::DuplicateStack`].
    pub fn register(&mut self, spec: StackSpec) -> Result<()> {
        spec.validate()?;
        if self.contains(&spec.id) {
            return Err(Error::DuplicateStack { id: spec.id });
        }
        self.insert(spec);
        Ok(())
    }

    /// Register a stack, replacing (in place, keeping its position) any stack with the same id.
    /// Returns the replaced spec.
    pub fn register_or_replace(&mut self, spec: StackSpec) -> Result<Option<StackSpec>> {
        spec.validate()?;
        self.matcher = OnceLock::new();
        match self.index.get(&spec.id) {
            Some(&i) => Ok(Some(std::mem::replace(&mut self.specs[i], spec))),
            None => {
                self.insert(spec);
                Ok(None)
            }
        }
    }

    /// Register every stack in a JSON document: one spec object, or an array of them.
    /// All-or-nothing: if any spec is invalid or already registered, none is registered.
    /// Returns the new ids in order.
    pub fn register_json(&mut self, text: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            Many(Vec<serde_json::Value>),
            One(serde_json::Value),
        }
        let parse_error = |e: serde_json::Error| Error::ParseSpec {
            format: DataFormat::Json,
            message: format!("{e}"),
        };
        let values = match serde_json::from_str::<OneOrMany>(text).map_err(parse_error)? {
            OneOrMany::Many(values) => values,
            OneOrMany::One(value) => vec![value],
        };
        let specs = values
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                serde_json::from_value::<StackSpec>(value).map_err(|e| Error::ParseSpec {
                    format: DataFormat::Json,
                    message: format!("stack #{}: {e}", i + 1),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.register_all(specs)
    }

    /// Register every stack in a TOML document: one spec as top-level keys, or several as
    /// `[[stack]]` tables. All-or-nothing, like [`StackRegistry::register_json`].
    pub fn register_toml(&mut self, text: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Many {
            stack: Vec<StackSpec>,
        }
        let parse_error = |e: toml::de::Error| Error::ParseSpec {
            format: DataFormat::Toml,
            message: e.to_string().trim_end().to_string(),
        };
        let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        let specs = if table.contains_key("stack") && !table.contains_key("id") {
            Many::deserialize(table).map_err(parse_error)?.stack
        } else {
            vec![StackSpec::deserialize(table).map_err(parse_error)?]
        };
        self.register_all(specs)
    }

    /// Register the stacks in a `.json` or `.toml` file (chosen by extension).
    pub fn register_file(&mut self, path: impl AsRef<Path>) -> Result<Vec<String>> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => self.register_json(&text),
            Some("toml") => self.register_toml(&text),
            _ => Err(Error::ParseSpec {
                format: if text.trim_start().starts_with(['{', '[']) {
                    DataFormat::Json
                } else {
                    DataFormat::Toml
                },
                message: format!("`{}` must end in `.json` or `.toml`", path.display()),
            }),
        }
    }

    /// Infer the stack a free-text task asks for. See [`crate::infer`].
    pub fn infer(&self, text: &str) -> Inference {
        self.matcher
            .get_or_init(|| Matcher::new(&self.specs))
            .infer(text, &self.specs)
    }

    fn register_all(&mut self, specs: Vec<StackSpec>) -> Result<Vec<String>> {
        let mut seen = std::collections::HashSet::new();
        for spec in &specs {
            spec.validate()?;
            if self.contains(&spec.id) || !seen.insert(spec.id.as_str()) {
                return Err(Error::DuplicateStack {
                    id: spec.id.clone(),
                });
            }
        }
        let ids = specs.iter().map(|s| s.id.clone()).collect();
        for spec in specs {
            self.insert(spec);
        }
        Ok(ids)
    }

    fn insert(&mut self, spec: StackSpec) {
        self.matcher = OnceLock::new();
        self.index.insert(spec.id.clone(), self.specs.len());
        self.specs.push(spec);
    }
}

impl<'a> IntoIterator for &'a StackRegistry {
    type Item = &'a StackSpec;
    type IntoIter = std::slice::Iter<'a, StackSpec>;

    fn into_iter(self) -> Self::IntoIter {
        self.specs.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_stack_parses_and_validates() {
        assert_eq!(BUILTIN_FILES.len(), BUILTIN_IDS.len());
        for ((file_id, text), id) in BUILTIN_FILES.iter().zip(BUILTIN_IDS) {
            let spec: StackSpec = toml::from_str(text).unwrap_or_else(|e| panic!("{file_id}: {e}"));
            assert_eq!(spec.id, *file_id);
            assert_eq!(spec.id, id);
            spec.validate().unwrap_or_else(|e| panic!("{file_id}: {e}"));
        }
        assert_eq!(StackRegistry::builtin().len(), BUILTIN_IDS.len());
        assert!(StackRegistry::builtin().ids().eq(BUILTIN_IDS));
    }

    #[test]
    fn closest_ids() {
        let r = StackRegistry::builtin();
        assert_eq!(
            r.closest("fastapy").first().map(String::as_str),
            Some("fastapi")
        );
        assert_eq!(
            r.closest("express").first().map(String::as_str),
            Some("express-ts")
        );
        assert!(r.closest("go").contains(&"go-gin".to_string()));
        assert!(r.closest("zzzzzzzz").is_empty());
        assert!(r.closest("").is_empty());
    }
}
