use mgx_stacks::{Error, StackRegistry, get_stack};

const ELIXIR_TOML: &str = r#"
id = "phoenix"
name = "Elixir + Phoenix"
category = "backend"
language = "elixir"
file_extensions = [".ex", ".exs"]

[rules]
required_files = ["mix.exs"]

[inference]
keywords = ["phoenix"]
tags = ["backend"]
"#;

#[test]
fn unknown_id_is_a_typed_error_with_the_closest_ids() {
    match get_stack("fast-api") {
        Err(Error::UnknownStack { id, closest }) => {
            assert_eq!(id, "fast-api");
            assert_eq!(closest.first().map(String::as_str), Some("fastapi"));
        }
        other => panic!("{other:?}"),
    }
    let message = get_stack("react").unwrap_err().to_string();
    assert!(
        message.contains("react-vite") && message.contains("react-native"),
        "{message}"
    );
}

#[test]
fn stacks_register_from_toml_and_take_part_in_inference() {
    let mut registry = StackRegistry::with_builtins();
    assert_eq!(registry.infer("Write an Elixir Phoenix API").stack, None);
    let ids = registry.register_toml(ELIXIR_TOML).unwrap();
    assert_eq!(ids, ["phoenix"]);
    assert_eq!(registry.ids().last(), Some("phoenix"));
    let got = registry.infer("Write an Elixir Phoenix API");
    assert_eq!(got.stack.as_deref(), Some("phoenix"), "{got:?}");
    assert!(
        got.unsupported.is_empty(),
        "a registered stack claims the word"
    );
    // The shared built-in registry is untouched.
    assert!(!StackRegistry::builtin().contains("phoenix"));
}

#[test]
fn stacks_register_from_json_one_or_many() {
    let mut registry = StackRegistry::new();
    let one = r#"{"id": "a-stack", "name": "A", "category": "frontend", "language": "js", "file_extensions": [".js"]}"#;
    assert_eq!(registry.register_json(one).unwrap(), ["a-stack"]);
    let many = r#"[
        {"id": "b-stack", "name": "B", "category": "backend", "language": "py", "file_extensions": [".py"]},
        {"id": "c-stack", "name": "C", "category": "devops", "language": "yaml", "file_extensions": [".yml"]}
    ]"#;
    assert_eq!(
        registry.register_json(many).unwrap(),
        ["b-stack", "c-stack"]
    );
    assert!(registry.ids().eq(["a-stack", "b-stack", "c-stack"]));
}

#[test]
fn many_toml_stacks_with_stack_tables() {
    let mut registry = StackRegistry::new();
    let text = r#"
[[stack]]
id = "one"
name = "One"
category = "backend"
language = "go"
file_extensions = [".go"]

[[stack]]
id = "two"
name = "Two"
category = "backend"
language = "go"
file_extensions = [".go"]
"#;
    assert_eq!(registry.register_toml(text).unwrap(), ["one", "two"]);
}

#[test]
fn registration_is_all_or_nothing_and_refuses_duplicates() {
    let mut registry = StackRegistry::with_builtins();
    let before = registry.len();
    let text = r#"[
        {"id": "fresh", "name": "F", "category": "backend", "language": "py", "file_extensions": [".py"]},
        {"id": "fastapi", "name": "Dup", "category": "backend", "language": "py", "file_extensions": [".py"]}
    ]"#;
    match registry.register_json(text) {
        Err(Error::DuplicateStack { id }) => assert_eq!(id, "fastapi"),
        other => panic!("{other:?}"),
    }
    assert_eq!(registry.len(), before);
    assert!(!registry.contains("fresh"));

    // Replacing on purpose keeps the position.
    let mut spec = registry.get("fastapi").unwrap().clone();
    spec.name = "FastAPI (house style)".into();
    let old = registry.register_or_replace(spec).unwrap().unwrap();
    assert_eq!(old.name, "Python + FastAPI");
    assert_eq!(registry.ids().position(|id| id == "fastapi"), Some(3));
    assert_eq!(
        registry.get("fastapi").unwrap().name,
        "FastAPI (house style)"
    );
}

#[test]
fn bad_stack_data_is_a_typed_error_naming_the_problem() {
    let mut registry = StackRegistry::new();
    let cases = [
        (
            r#"{"id": "Bad Id", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"]}"#,
            "id",
        ),
        (
            r#"{"id": "x", "name": " ", "category": "backend", "language": "py", "file_extensions": [".py"]}"#,
            "name",
        ),
        (
            r#"{"id": "x", "name": "x", "category": "backend", "language": "py", "file_extensions": ["py"]}"#,
            "file_extensions",
        ),
        (
            r#"{"id": "x", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"], "rules": {"required_files": ["../etc/passwd"]}}"#,
            "rules.required_files",
        ),
        (
            r#"{"id": "x", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"], "inference": {"prior": 3}}"#,
            "inference.prior",
        ),
        (
            r#"{"id": "x", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"], "inference": {"tags": ["cloud"]}}"#,
            "inference.tags",
        ),
    ];
    for (json, field) in cases {
        match registry.register_json(json) {
            Err(Error::InvalidSpec { field: f, .. }) => assert_eq!(f, field, "{json}"),
            other => panic!("{json}: {other:?}"),
        }
    }
    for json in [
        "{",
        r#"{"id": "x"}"#,
        r#"{"id": "x", "name": "x", "category": "cloud", "language": "py", "file_extensions": [".py"]}"#,
        r#"{"id": "x", "name": "x", "category": "backend", "language": "py", "file_extensions": [".py"], "colour": "red"}"#,
    ] {
        assert!(
            matches!(registry.register_json(json), Err(Error::ParseSpec { .. })),
            "{json}"
        );
    }
    let err = registry.register_toml("id = \"x\"\nname = ").unwrap_err();
    assert!(matches!(err, Error::ParseSpec { .. }));
    assert!(err.to_string().contains("line"), "{err}");
    assert!(registry.is_empty());
}

#[test]
fn register_file_reads_json_and_toml_and_reports_io_errors() {
    let dir = std::env::temp_dir().join(format!("mgx-stacks-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("phoenix.toml");
    std::fs::write(&path, ELIXIR_TOML).unwrap();
    let mut registry = StackRegistry::new();
    assert_eq!(registry.register_file(&path).unwrap(), ["phoenix"]);
    match registry.register_file(dir.join("missing.json")) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("missing.json")),
        other => panic!("{other:?}"),
    }
    let txt = dir.join("stack.txt");
    std::fs::write(&txt, ELIXIR_TOML).unwrap();
    assert!(matches!(
        registry.register_file(&txt),
        Err(Error::ParseSpec { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn builtin_registry_is_shared_and_cheap_to_clone() {
    let a = StackRegistry::builtin() as *const _;
    let b = StackRegistry::builtin() as *const _;
    assert_eq!(a, b);
    let clone = StackRegistry::with_builtins();
    assert_eq!(clone.len(), StackRegistry::builtin().len());
}
