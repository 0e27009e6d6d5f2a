//! End-to-end benchmark: what the `mgx` command does today for a task, from text to a resolved
//! stack with its prompt brief. Run with `cargo bench -p mgx-benches --bench end_to_end`.

use criterion::{Criterion, criterion_group, criterion_main};
use mgx_core::stacks::{StackRegistry, TaskSpec};
use std::hint::black_box;

fn resolve_task(c: &mut Criterion) {
    let registry = StackRegistry::builtin();
    c.bench_function("task_to_resolved_stack_and_brief", |b| {
        b.iter(|| {
            let task =
                TaskSpec::parse(black_box("Create a FastAPI /health endpoint with tests")).ok();
            let brief = task
                .as_ref()
                .and_then(|t| t.resolve_stack(registry).ok())
                .and_then(|r| r.spec())
                .map(|s| s.prompt_brief());
            black_box(brief)
        })
    });
}

criterion_group!(benches, resolve_task);
criterion_main!(benches);
