//! The child process of mgx-patch's crash test: apply a change set (JSON on standard input)
//! under a root (the first argument). With `MGX_PATCH_CRASH_AT=<n>` it aborts at the n-th crash
//! point of the commit, as a process killed mid-apply would stop.

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: mgx-patch-crash-child ROOT < changes.json");
        return ExitCode::from(2);
    };
    let mut input = String::new();
    if std::io::stdin().read_to_string(&mut input).is_err() {
        return ExitCode::from(2);
    }
    let Ok(changes) = serde_json::from_str::<mgx_patch::ChangeSet>(&input) else {
        eprintln!("invalid change set");
        return ExitCode::from(2);
    };
    match mgx_patch::apply(
        std::path::Path::new(&root),
        &changes,
        &mgx_patch::ApplyOptions::default(),
    ) {
        Ok(report) => {
            println!("{:?}", report.status);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
