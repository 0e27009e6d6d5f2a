use mgx_stacks::{BUILTIN_IDS, Category, StackRegistry, path_matches, stacks};

#[test]
fn the_catalogue_has_every_stack_of_the_original_and_the_six_new_ones_in_order() {
    let ids: Vec<&str> = StackRegistry::builtin().ids().collect();
    assert_eq!(
        ids,
        [
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
        ]
    );
    assert_eq!(ids, BUILTIN_IDS);
}

#[test]
fn every_stack_is_complete() {
    for spec in stacks() {
        let id = &spec.id;
        assert!(
            !spec.name.is_empty() && !spec.description.is_empty(),
            "{id}: name and description"
        );
        assert!(!spec.layout.is_empty(), "{id}: layout");
        assert!(!spec.file_extensions.is_empty(), "{id}: extensions");
        assert!(
            spec.run.test.is_some() || spec.run.build.is_some(),
            "{id}: some run command"
        );
        assert!(
            spec.linter.is_some() || spec.formatter.is_some(),
            "{id}: a linter or formatter"
        );
        assert!(!spec.prompt.conventions.is_empty(), "{id}: conventions");
        assert!(
            spec.prompt.review_checklist.len() >= 3,
            "{id}: review checklist"
        );
        assert!(
            !spec.inference.keywords.is_empty() || !spec.inference.combinations.is_empty(),
            "{id}: inference must be able to name it"
        );
        if spec.category == Category::Devops {
            assert!(
                spec.test.is_none(),
                "{id}: devops stacks have no test framework of their own"
            );
        } else {
            let test = spec
                .test
                .as_ref()
                .unwrap_or_else(|| panic!("{id}: test framework"));
            assert!(
                !test.template.trim().is_empty() && !test.command.is_empty(),
                "{id}: test template"
            );
            assert!(
                spec.package_manager.is_some() || spec.id == "vanilla-html",
                "{id}: package manager"
            );
            assert!(
                !spec.dependencies.is_empty() || spec.id == "vanilla-html",
                "{id}: dependencies"
            );
        }
    }
}

#[test]
fn every_stack_has_validation_rules() {
    // The original had rules for 8 of 17 stacks and none for the stacks its inference preferred.
    for spec in stacks() {
        let rules = &spec.rules;
        assert!(
            !rules.required_files.is_empty(),
            "{}: required files",
            spec.id
        );
        assert!(
            !rules.forbidden_files.is_empty()
                || !rules.forbidden_imports.is_empty()
                || spec.category == Category::Devops,
            "{}: something forbidden",
            spec.id
        );
    }
}

#[test]
fn the_expected_layout_satisfies_the_stacks_own_rules() {
    // The layout and the rules must agree: a project laid out as the spec says passes its own
    // required files and directories (where the layout names a concrete file for the pattern).
    for spec in stacks() {
        let paths: Vec<&str> = spec
            .layout
            .iter()
            .map(|e| e.path.trim_end_matches('/'))
            .collect();
        for dir in &spec.rules.required_dirs {
            assert!(
                spec.layout
                    .iter()
                    .any(|e| mgx_stacks::dir_matches(dir, &e.path)),
                "{}: required dir {dir} not in the layout",
                spec.id
            );
        }
        for file in &spec.rules.required_files {
            let in_layout = paths.iter().any(|p| path_matches(file, p));
            let wildcard = file.contains('*');
            assert!(
                in_layout || wildcard,
                "{}: required file {file} not in the layout",
                spec.id
            );
        }
    }
}

#[test]
fn builtin_modules_cover_the_language_and_the_stack() {
    let flutter = mgx_stacks::get_stack("flutter").unwrap();
    assert!(flutter.is_builtin_module("dart:async"));
    assert!(flutter.is_builtin_module("package:flutter/material.dart"));
    assert!(!flutter.is_builtin_module("package:http/http.dart"));
    let express = mgx_stacks::get_stack("express-ts").unwrap();
    assert!(express.is_builtin_module("node:fs"));
    assert!(!express.is_builtin_module("express"));
}

#[test]
fn prompt_brief_has_the_material_the_team_needs() {
    let brief = mgx_stacks::get_stack("fastapi").unwrap().prompt_brief();
    for needle in [
        "Python + FastAPI",
        "Language: Python",
        "pytest",
        "app/main.py",
        "TestClient",
        "Review checklist",
    ] {
        assert!(brief.contains(needle), "missing {needle} in\n{brief}");
    }
    assert_eq!(
        brief,
        mgx_stacks::get_stack("fastapi").unwrap().prompt_brief(),
        "deterministic"
    );
}

#[test]
fn specs_round_trip_through_json() {
    for spec in stacks() {
        let json = serde_json::to_string(spec).unwrap();
        let back: mgx_stacks::StackSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, spec);
    }
}
