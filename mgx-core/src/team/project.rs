//! What the engineer sees of an existing project: its file tree and the relevant files,
//! within a size budget.

use std::path::Path;

/// Directories never shown (dependencies, builds, tools' state).
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".mgx",
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "__pycache__",
    ".venv",
    "venv",
    ".next",
    ".dart_tool",
    "bin",
    "obj",
];

/// The most paths listed.
const MAX_PATHS: usize = 500;
/// The most bytes of file content shown, in all.
const CONTENT_BUDGET: usize = 32 * 1024;
/// The largest file whose content is shown.
const MAX_FILE: usize = 8 * 1024;

/// The project's files (relative paths, sorted) and the contents of the most relevant ones:
/// first files the task names, then files in the stack's languages, smallest first, until the
/// budget is spent. Binary and unreadable files are listed without content.
pub(super) fn brief(root: &Path, task: &str, extensions: &[String]) -> serde_json::Value {
    let mut paths = Vec::new();
    walk(root, root, &mut paths);
    paths.sort();
    paths.truncate(MAX_PATHS);
    let task_lower = task.to_lowercase();
    let mut ranked: Vec<(u8, usize, &String)> = paths
        .iter()
        .filter_map(|p| {
            let len = std::fs::metadata(root.join(p)).ok()?.len() as usize;
            (len <= MAX_FILE).then_some(())?;
            let name = p.rsplit('/').next().unwrap_or(p).to_lowercase();
            let stem = name.split('.').next().unwrap_or(&name).to_string();
            let named =
                !stem.is_empty() && (task_lower.contains(&name) || task_lower.contains(&stem));
            let in_stack = extensions.iter().any(|e| name.ends_with(e.as_str()));
            let rank = if named {
                0
            } else if in_stack {
                1
            } else {
                2
            };
            Some((rank, len, p))
        })
        .collect();
    ranked.sort();
    let mut budget = CONTENT_BUDGET;
    let mut files = Vec::new();
    for (_, len, path) in ranked {
        if len > budget {
            continue;
        }
        if let Ok(content) = std::fs::read_to_string(root.join(path)) {
            budget -= len;
            files.push(serde_json::json!({"path": path, "content": content}));
        }
    }
    serde_json::json!({"project_paths": paths, "project_files": files})
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_PATHS * 4 {
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(root, &entry.path(), out);
            }
        } else if kind.is_file()
            && let Ok(rel) = entry.path().strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// What a project's files say about its stack, as text for stack inference: the packages its
/// manifests declare, its languages by file count, and files that mark a framework
/// (`manage.py`, `artisan`, `next.config.js` …). Small: manifests at the top two levels only.
pub(super) fn stack_evidence(root: &Path) -> String {
    let mut paths = Vec::new();
    walk(root, root, &mut paths);
    let mut words: Vec<String> = Vec::new();
    let mut languages: std::collections::BTreeMap<&str, usize> = Default::default();
    for path in &paths {
        let name = path.rsplit('/').next().unwrap_or(path);
        let depth = path.matches('/').count();
        let language = match name.rsplit_once('.').map(|(_, e)| e) {
            Some("py") => Some("python"),
            Some("ts" | "tsx") => Some("typescript"),
            Some("js" | "jsx" | "mjs") => Some("javascript"),
            Some("go") => Some("go"),
            Some("rs") => Some("rust"),
            Some("php") => Some("php"),
            Some("rb") => Some("ruby"),
            Some("java") => Some("java"),
            Some("kt") => Some("kotlin"),
            Some("cs") => Some("csharp"),
            Some("dart") => Some("dart"),
            Some("vue") => Some("vue"),
            _ => None,
        };
        if let Some(l) = language {
            *languages.entry(l).or_default() += 1;
        }
        if depth > 1 {
            continue;
        }
        match name {
            "manage.py" => words.push("django".into()),
            "artisan" => words.push("laravel".into()),
            "Dockerfile" | "docker-compose.yml" | "compose.yaml" => words.push("docker".into()),
            n if n.starts_with("next.config.") => words.push("next.js".into()),
            n if n.starts_with("vite.config.") => words.push("vite".into()),
            n if n.ends_with(".csproj") => words.push("dotnet asp.net".into()),
            _ => {}
        }
        let Ok(content) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        if content.len() > 256 * 1024 {
            continue;
        }
        if name == "requirements.txt" {
            for line in content.lines() {
                let package = line
                    .split(['<', '>', '=', '~', '!', ';', '[', ' ', '#'])
                    .next()
                    .unwrap_or_default()
                    .trim();
                if !package.is_empty() && !package.starts_with('-') {
                    words.push(package.to_lowercase());
                }
            }
        } else if let Some(deps) = mgx_guardrails::deps::declared(name, &content) {
            words.extend(
                deps.into_iter()
                    .filter(|d| !d.dev)
                    .map(|d| d.name.to_lowercase()),
            );
        }
    }
    let mut ranked: Vec<(&str, usize)> = languages.into_iter().collect();
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    words.extend(ranked.into_iter().take(2).map(|(l, _)| l.to_string()));
    words.join(" ")
}
