//! End-to-end benchmarks of mgx live in this package's `benches/` directory; each crate keeps
//! the benchmarks of its own hot paths. Figures and the commands that produced them are recorded
//! in `benches/README.md`.
//!
//! The package has no library code of its own.
