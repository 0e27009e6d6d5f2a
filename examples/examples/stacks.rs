//! Run with: cargo run -p mgx-examples --example stacks
//!
//! Look stacks up, infer one from a task, read the JSON task contract, and register a stack of
//! your own from TOML.

use mgx_core::stacks::{StackRegistry, TaskSpec};

fn main() -> Result<(), mgx_core::stacks::Error> {
    let registry = StackRegistry::builtin();
    println!(
        "{} built-in stacks: {}",
        registry.len(),
        registry.ids().collect::<Vec<_>>().join(", ")
    );

    for task in [
        "Create a FastAPI /health endpoint with tests",
        "Golang microservice for payments",
        "Build an Angular dashboard",
    ] {
        let inference = registry.infer(task);
        println!(
            "{task:?} -> {} (confidence {:.2}){}",
            inference.stack.as_deref().unwrap_or("no stack"),
            inference.confidence,
            inference
                .note
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
    }

    let task = TaskSpec::from_json(
        r#"{"task": "User CRUD API", "target_stack": "nestjs", "constraints": ["Use pnpm"]}"#,
    )?;
    let spec = task.resolve_stack(registry)?.spec().map(|s| s.name.clone());
    println!(
        "contract task -> {spec:?}, constraints {:?}",
        task.constraints
    );

    match TaskSpec::from_json(r#"{"task": "x", "output_mode": "overwrite"}"#) {
        Err(e) => println!("bad input is a typed error [{}]: {e}", e.code()),
        Ok(_) => println!("unexpectedly accepted"),
    }

    let mut mine = StackRegistry::with_builtins();
    mine.register_toml(
        r#"
        id = "phoenix"
        name = "Elixir + Phoenix"
        category = "backend"
        language = "elixir"
        file_extensions = [".ex", ".exs"]
        [inference]
        keywords = ["phoenix"]
        "#,
    )?;
    println!(
        "with a stack of my own: {:?}",
        mine.infer("A Phoenix API for chat rooms").stack
    );
    Ok(())
}
