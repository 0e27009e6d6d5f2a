//! Core errors become JS `Error`s whose `code` is the core's stable error code
//! (`unknown_stack`, `invalid_value` …) and whose message is the core's message.

use mgx_core::stacks::Error as StackErr;

/// The `code` of a JS error thrown by mgx.
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The result type of every fallible export.
pub type Result<T> = napi::Result<T, Code>;

/// Map a core stack error to a JS error.
pub fn stack_err(err: StackErr) -> napi::Error<Code> {
    napi::Error::new(Code(err.code()), err.to_string())
}
