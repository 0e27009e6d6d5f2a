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

/// Map a core runtime error to a JS error with `code` (thrown at once).
pub fn core_err(err: &mgx_core::Error) -> napi::Error<Code> {
    napi::Error::new(Code(err.code()), err.to_string())
}

/// A bad argument (a wrong type or value passed from JS).
pub fn invalid(message: impl Into<String>) -> napi::Error<Code> {
    napi::Error::new(Code("invalid_argument"), message.into())
}

/// What a Promise of the runtime settles with: a value, or an error (with the report of the
/// run that failed, when there is one).
pub(crate) type Settled = std::result::Result<crate::settle::Json, Box<Failure>>;

/// Why a Promise of the runtime rejects.
pub struct Failure {
    /// The error's stable code (`provider`, `rejected`, `cancelled` …).
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The core error, for the cause a JS provider threw.
    pub error: Option<mgx_core::Error>,
    /// The report of the run, as a plain object.
    pub report: Option<serde_json::Value>,
}

impl From<mgx_core::Error> for Box<Failure> {
    fn from(e: mgx_core::Error) -> Self {
        Box::new(Failure {
            code: e.code(),
            message: e.to_string(),
            error: Some(e),
            report: None,
        })
    }
}

pub(crate) use crate::settle::promise;

/// A JS `Error` for `failure`: `code`, `message`, `report` and, when a JS provider threw, that
/// error as `cause`.
pub(crate) fn js_error(
    env: &napi::Env,
    failure: Failure,
) -> napi::Result<napi::bindgen_prelude::Unknown<'_>> {
    use napi::JsValue;
    use napi::bindgen_prelude::JsObjectValue;
    let mut error = env.create_error(napi::Error::new(
        napi::Status::GenericFailure,
        failure.message,
    ))?;
    error.set_named_property("code", failure.code)?;
    if let Some(report) = failure.report {
        error.set_named_property("report", report)?;
    }
    let cause = failure
        .error
        .as_ref()
        .and_then(|e| e.cause())
        .and_then(|c| c.downcast_ref::<crate::providers::JsCause>());
    if let Some(cause) = cause {
        let original = napi::JsError::from(cause.0.try_clone()?).into_unknown(*env);
        error.set_named_property("cause", original)?;
    }
    Ok(error.to_unknown())
}
