use mgx_stacks::{Error, OutputMode, ProjectType, ResolvedStack, StackRegistry, TaskSpec};

#[test]
fn the_full_contract_parses() {
    let t = TaskSpec::from_json(
        r#"{
          "task": "Create a REST API for user management",
          "target_stack": "fastapi",
          "project_type": "api",
          "output_mode": "generate_new",
          "strict_requirements": true,
          "constraints": ["Use Pydantic models", "Add JWT authentication", "Include .env configuration"],
          "existing_project_path": "./my-project"
        }"#,
    )
    .unwrap();
    assert_eq!(t.task, "Create a REST API for user management");
    assert_eq!(t.target_stack.as_deref(), Some("fastapi"));
    assert_eq!(t.project_type, Some(ProjectType::Api));
    assert_eq!(t.output_mode, OutputMode::GenerateNew);
    assert!(t.strict_requirements);
    assert_eq!(t.constraints.len(), 3);
    assert_eq!(
        t.existing_project_path.as_deref(),
        Some(std::path::Path::new("./my-project"))
    );
}

#[test]
fn plain_text_is_the_minimal_form() {
    let t = TaskSpec::parse("Build a todo app with React").unwrap();
    assert_eq!(t.task, "Build a todo app with React");
    assert_eq!(t.target_stack, None);
    let j = TaskSpec::parse(r#"  {"task": "Build a todo app with React"}"#).unwrap();
    assert_eq!(t, j);
}

#[test]
fn nulls_count_as_absent() {
    let t = TaskSpec::from_json(
        r#"{"task": "x", "target_stack": null, "project_type": null, "output_mode": null,
            "strict_requirements": null, "constraints": null, "existing_project_path": null}"#,
    )
    .unwrap();
    assert_eq!(t, TaskSpec::from_text("x").unwrap());
}

#[test]
fn each_kind_of_bad_input_is_a_typed_error_that_names_the_field() {
    let check = |json: &str, code: &str, needle: &str| {
        let err = TaskSpec::from_json(json).unwrap_err();
        assert_eq!(err.code(), code, "{json}: {err}");
        assert!(err.to_string().contains(needle), "{json}: {err}");
        assert!(err.is_task_error() || code == "unknown_stack");
    };
    check(r#"{"task": "   "}"#, "empty_task", "`task`");
    check(r#"{"task": ""}"#, "empty_task", "must not be empty");
    check(r#"{}"#, "missing_field", "`task`");
    check(
        r#"{"task": "x", "target_stack": "fastapy"}"#,
        "unknown_stack",
        "did you mean `fastapi`",
    );
    check(
        r#"{"task": "x", "stack": "fastapi"}"#,
        "unknown_field",
        "`stack`",
    );
    check(
        r#"{"task": "x", "stack": "fastapi"}"#,
        "unknown_field",
        "`target_stack`",
    );
    check(
        r#"{"task": "x", "project_type": "cli"}"#,
        "invalid_value",
        "`api`, `webapp`, `fullstack`, `devops`",
    );
    check(
        r#"{"task": "x", "output_mode": "overwrite"}"#,
        "invalid_value",
        "`generate_new`, `patch_existing`",
    );
    check(
        r#"{"task": "x", "output_mode": "patch_existing"}"#,
        "missing_project_path",
        "`existing_project_path`",
    );
    check(
        r#"{"task": "x", "output_mode": "patch_existing", "existing_project_path": " "}"#,
        "missing_project_path",
        "required",
    );
    check(
        r#"{"task": 42}"#,
        "wrong_type",
        "`task` must be a string, found a number",
    );
    check(
        r#"{"task": "x", "strict_requirements": "yes"}"#,
        "wrong_type",
        "a boolean",
    );
    check(
        r#"{"task": "x", "constraints": "Use pnpm"}"#,
        "wrong_type",
        "an array of strings",
    );
    check(
        r#"{"task": "x", "constraints": ["ok", 3]}"#,
        "wrong_type",
        "`constraints[1]`",
    );
    check(
        r#"{"task": "x", "constraints": ["ok", ""]}"#,
        "wrong_type",
        "non-empty",
    );
    check(r#"["task"]"#, "wrong_type", "a JSON object");
    check(r#"{"task": "x",}"#, "invalid_json", "line 1");
    assert!(matches!(
        TaskSpec::from_text(" \n\t"),
        Err(Error::EmptyTask)
    ));
}

#[test]
fn target_stack_is_checked_against_the_given_registry() {
    let mut registry = StackRegistry::with_builtins();
    let json = r#"{"task": "x", "target_stack": "phoenix"}"#;
    assert!(TaskSpec::from_json_in(json, &registry).is_err());
    registry
        .register_json(r#"{"id": "phoenix", "name": "Phoenix", "category": "backend", "language": "elixir", "file_extensions": [".ex"]}"#)
        .unwrap();
    let t = TaskSpec::from_json_in(json, &registry).unwrap();
    assert!(
        matches!(t.resolve_stack(&registry).unwrap(), ResolvedStack::Explicit(spec) if spec.id == "phoenix")
    );
}

#[test]
fn resolve_stack_reports_inference_and_its_doubt() {
    let registry = StackRegistry::builtin();
    let t = TaskSpec::from_text("Build an Angular dashboard").unwrap();
    match t.resolve_stack(registry).unwrap() {
        ResolvedStack::Inferred { spec, inference } => {
            assert!(spec.is_none());
            assert!(inference.note.is_some());
        }
        other => panic!("{other:?}"),
    }
    let t = TaskSpec::from_json(
        r#"{"task": "Build an Angular dashboard", "target_stack": "react-vite"}"#,
    )
    .unwrap();
    let resolved = t.resolve_stack(registry).unwrap();
    assert_eq!(resolved.confidence(), 1.0);
    assert_eq!(resolved.spec().unwrap().id, "react-vite");
}

#[test]
fn deserialize_goes_through_the_same_checks() {
    let err = serde_json::from_str::<TaskSpec>(r#"{"task": "x", "mode": 1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `mode`"), "{err}");
}
