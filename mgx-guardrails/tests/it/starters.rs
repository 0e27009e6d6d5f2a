//! Every stack's starter project (the scaffold the offline provider writes) passes the stack's
//! own rules in strict mode, has its required files, and puts its test where the stack's tests
//! go.

use mgx_guardrails::manifest::{Manifest, ManifestFile, render};
use mgx_guardrails::{FindingCode, Options, validate};
use mgx_stacks::{StackRegistry, path_matches};

#[test]
fn every_starter_project_passes_its_own_stack() {
    let registry = StackRegistry::builtin();
    let mut report = Vec::new();
    for spec in registry.iter() {
        let files = spec.starter_files();
        assert!(!files.is_empty(), "{}: no starter project", spec.id);
        let manifest = Manifest {
            files: files
                .iter()
                .map(|f| ManifestFile {
                    path: f.path.clone(),
                    content: f.content.clone(),
                    line: 0,
                    content_line: 0,
                    fence: None,
                })
                .collect(),
            prose: Vec::new(),
            duplicates: Vec::new(),
        };
        let text = render(&manifest);
        let options = Options {
            strict: true,
            ..Options::default()
        };
        let result = validate(&text, Some(spec), &[] as &[&str], &options);
        assert!(
            result.is_valid(),
            "{}: {}\n{:#?}",
            spec.id,
            result.summary(),
            result.errors()
        );
        for required in &spec.rules.required_files {
            assert!(
                files.iter().any(|f| path_matches(required, &f.path)),
                "{}: no file for {required}",
                spec.id
            );
        }
        if let Some(test) = &spec.test {
            let path = test
                .example_path
                .as_deref()
                .unwrap_or_else(|| panic!("{}: the test template has no example path", spec.id));
            assert!(
                path_matches(&test.file_pattern, path),
                "{}: {path} is not where {} tests go ({})",
                spec.id,
                test.framework,
                test.file_pattern
            );
        }
        // A starter creates no database tables, so a recommended migration may be missing;
        // nothing else may be wrong.
        for w in result.warnings() {
            assert_eq!(
                w.code,
                FindingCode::MissingRecommendedFile,
                "{}: {}",
                spec.id,
                w.message
            );
        }
        report.push(format!(
            "{:<18} {:>2} files, {} warnings",
            spec.id,
            files.len(),
            result.warnings().len()
        ));
    }
    println!("{}", report.join("\n"));
}
