//! `mgx-patch` is the one engine through which mgx changes files on disk: change sets of
//! create, replace, modify-by-hunks, delete and rename operations under a root, parsed from a
//! unified diff or built from a FILE manifest, applied all-or-nothing.
//!
//! **Status:** this crate is a placeholder in the workspace layout and exports nothing of its
//! own yet. It will hold, pure and synchronous:
//!
//! - a unified-diff parser for every real form (git extended headers, `diff -ruN`, missing
//!   newline markers, CRLF, headerless hunks) that delimits hunks by structure;
//! - hunk placement that checks removed lines, searches offsets and normalised matches, and
//!   refuses an ambiguous placement rather than guessing;
//! - transactions: one path policy shared with `mgx-guardrails`, atomic writes, a journal and
//!   `recover()`, collision-free backups, best-effort mode with reviewable artifacts;
//! - diff generation with `similar`.
//!
//! ```
//! // Nothing to call yet; the crate links so the workspace has its final shape.
//! assert_eq!(env!("CARGO_PKG_NAME"), "mgx-patch");
//! ```
//!
//! # Crate features
//!
//! None yet.
