//! The one error type of `mgx-guardrails`.

/// What can go wrong before validation can even start. Validation findings are not errors:
/// they are the result ([`crate::ValidationResult`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid UTF-8. Models produce text; re-encode the output as UTF-8.
    #[error("the output is not valid UTF-8 at byte {offset} (line {line})")]
    InvalidUtf8 {
        /// The byte offset of the first invalid sequence.
        offset: usize,
        /// Its 1-based line.
        line: usize,
    },
}

impl Error {
    /// A short, stable, machine-readable name of the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidUtf8 { .. } => "invalid_utf8",
        }
    }
}

/// Bytes as text: model output must be UTF-8, and a bad byte is [`Error::InvalidUtf8`] with its
/// position — never a panic, never a silent replacement.
///
/// ```
/// assert_eq!(mgx_guardrails::text(b"FILE: a\n").unwrap(), "FILE: a\n");
/// assert!(mgx_guardrails::text(b"\xff").is_err());
/// ```
pub fn text(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count();
        Error::InvalidUtf8 { offset, line }
    })
}
