//! The addon's Promises, settled in batches on the JS thread; and values handed to JS as
//! JSON text (`Json`), which `JSON.parse` makes JS values of faster than Node-API sets their
//! properties one by one.
//!
//! napi-rs gives every Promise it returns a threadsafe function of its own, and each is a libuv
//! async handle: on every wake-up libuv looks at all of them, so with thousands of runs awaited
//! at once each settlement cost the JS thread time in proportion to the number still pending
//! (see "bindings-node" in `benches/README.md`). Here each JS thread has one threadsafe function
//! for all of the addon's Promises: a finished future queues its outcome there, and the JS
//! thread settles everything queued when it wakes.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::{Arc, PoisonError, RwLock};

use futures::FutureExt;
use napi::JsValue;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::sys;

use crate::error::{Code, Failure, Result, Settled, js_error};

/// This JS thread's queue: the threadsafe function, open until the environment tears down.
struct Queue {
    tsfn: sys::napi_threadsafe_function,
    /// Taken for reading by every thread that queues, for writing by the teardown hook: once
    /// closed, nothing queues on the (soon freed) function.
    open: RwLock<bool>,
}

// SAFETY: `napi_call_threadsafe_function` is made to be called from any thread; the handle is
// used elsewhere only on its JS thread (ref, unref, in `settle_queued`), and never after the
// teardown hook closed the queue (every call holds `open` for reading and checks it).
unsafe impl Send for Queue {}
// SAFETY: as above; `open` is the only state, behind its lock.
unsafe impl Sync for Queue {}

/// What the JS thread keeps: its queue, and how many Promises wait on it (the queue keeps the
/// event loop alive only while some do).
struct Local {
    queue: Arc<Queue>,
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// A deferred of a Promise, handed to the thread that settles it.
struct Deferred(sys::napi_deferred);

// SAFETY: a deferred is an opaque handle; it is passed to napi only on the JS thread that made
// it (by `settle_queued`, which the queue calls there).
unsafe impl Send for Deferred {}

/// A finished future and the Promise it settles: the value as JSON text, written off the JS
/// thread (see [`Json`]), or why it failed.
struct Completion {
    deferred: Deferred,
    settled: Settled,
}

fn napi_error(what: &str, status: sys::napi_status) -> napi::Error<Code> {
    napi::Error::new(Code("napi"), format!("{what} failed (status {status})"))
}

/// This thread's queue, made on first use.
fn queue(env: sys::napi_env) -> Result<Arc<Queue>> {
    if let Some(queue) = LOCAL.with_borrow(|l| l.as_ref().map(|l| Arc::clone(&l.queue))) {
        return Ok(queue);
    }
    let name = c"mgx.settle";
    let mut name_value = ptr::null_mut();
    let mut tsfn = ptr::null_mut();
    // SAFETY: called on the JS thread with its live `env`; the out-pointers are valid locals.
    // No JS function: `settle_queued` does the work. One thread (the JS one) holds the function
    // and never releases it: Node finalises it when the environment tears down.
    let status = unsafe {
        let s = sys::napi_create_string_utf8(env, name.as_ptr(), -1, &mut name_value);
        if s != sys::Status::napi_ok {
            return Err(napi_error("napi_create_string_utf8", s));
        }
        sys::napi_create_threadsafe_function(
            env,
            ptr::null_mut(),
            ptr::null_mut(),
            name_value,
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            Some(settle_queued),
            &mut tsfn,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi_error("napi_create_threadsafe_function", status));
    }
    // SAFETY: the function was just made on this thread; unref'd, it keeps the loop alive only
    // while Promises wait (see `promise`).
    unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
    let queue = Arc::new(Queue {
        tsfn,
        open: RwLock::new(true),
    });
    // Registered after the function (hooks run in reverse order): the queue closes before Node
    // finalises the function.
    let hook = Box::into_raw(Box::new(Arc::clone(&queue)));
    // SAFETY: `close` takes back the box it is given, once.
    let status = unsafe { sys::napi_add_env_cleanup_hook(env, Some(close), hook.cast()) };
    if status != sys::Status::napi_ok {
        // SAFETY: the hook was not registered: the box is still ours.
        drop(unsafe { Box::from_raw(hook) });
        return Err(napi_error("napi_add_env_cleanup_hook", status));
    }
    LOCAL.with_borrow_mut(|l| {
        *l = Some(Local {
            queue: Arc::clone(&queue),
            pending: 0,
        })
    });
    Ok(queue)
}

/// The environment tears down: nothing queues any more.
unsafe extern "C" fn close(arg: *mut c_void) {
    // SAFETY: `arg` is the box `queue` registered with this hook, given back once.
    let queue = unsafe { Box::from_raw(arg.cast::<Arc<Queue>>()) };
    *queue.open.write().unwrap_or_else(PoisonError::into_inner) = false;
    LOCAL.with_borrow_mut(|l| *l = None);
}

/// A Promise settled with what `work` gives, on this JS thread: rejections are `Error`s with
/// `code`, `report` (for runs) and, when a JS provider threw, that very error as `cause`. A
/// panic in `work` rejects it (code `task`).
pub(crate) fn promise<'env, F>(
    env: &'env napi::Env,
    work: F,
) -> Result<PromiseRaw<'env, serde_json::Value>>
where
    F: Future<Output = Settled> + Send + 'static,
{
    let raw_env = env.raw();
    let queue = queue(raw_env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: on the JS thread with its live env; valid out-pointers.
    let status = unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) };
    if status != sys::Status::napi_ok {
        return Err(napi_error("napi_create_promise", status));
    }
    LOCAL.with_borrow_mut(|l| {
        if let Some(l) = l {
            l.pending += 1;
            if l.pending == 1 {
                // SAFETY: the JS thread's own function, open (the hook has not run: we are
                // in a call from JS).
                unsafe { sys::napi_ref_threadsafe_function(raw_env, l.queue.tsfn) };
            }
        }
    });
    let deferred = Deferred(deferred);
    napi::bindgen_prelude::spawn(async move {
        let settled = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(settled) => settled,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("(no message)");
                Err(Box::<Failure>::from(mgx_core::Error::Task {
                    message: format!("a task of the addon panicked: {message}"),
                }))
            }
        };
        let open = queue.open.read().unwrap_or_else(PoisonError::into_inner);
        if *open {
            let item = Box::into_raw(Box::new(Completion { deferred, settled }));
            // SAFETY: the queue is open (checked under the read lock the teardown hook needs
            // to close it), so the function is alive; on success `settle_queued` takes the box.
            let status = unsafe {
                sys::napi_call_threadsafe_function(
                    queue.tsfn,
                    item.cast(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
            if status != sys::Status::napi_ok {
                // SAFETY: not queued: the box is still ours.
                drop(unsafe { Box::from_raw(item) });
            }
        }
    });
    Ok(PromiseRaw::new(raw_env, promise))
}

/// Settle one queued Promise (Node calls this on the JS thread, for each item, or with a null
/// `env` for what is left when the environment tears down).
unsafe extern "C" fn settle_queued(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` is a box `promise` queued, given to this function once.
    let completion = unsafe { Box::from_raw(data.cast::<Completion>()) };
    if env.is_null() {
        return;
    }
    let Completion { deferred, settled } = *completion;
    // SAFETY: on the JS thread with its live env; the deferred was made there and is settled
    // once, here.
    unsafe {
        let settle = match settled {
            Ok(json) => {
                json_parse(env, &json.0).map(|v| sys::napi_resolve_deferred(env, deferred.0, v))
            }
            Err(failure) => js_error(&napi::Env::from_raw(env), *failure)
                .map(|e| sys::napi_reject_deferred(env, deferred.0, e.raw()))
                .map_err(|_| sys::Status::napi_generic_failure),
        };
        if settle.is_err() {
            // A JS exception from the conversion (none is expected) is not left pending.
            let mut pending = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut pending);
            // The outcome could not be made into a JS value: the Promise still settles.
            let mut message = ptr::null_mut();
            let mut error = ptr::null_mut();
            let text = c"mgx: the outcome could not be converted to a JS value";
            sys::napi_create_string_utf8(env, text.as_ptr(), -1, &mut message);
            sys::napi_create_error(env, ptr::null_mut(), message, &mut error);
            sys::napi_reject_deferred(env, deferred.0, error);
        }
    }
    LOCAL.with_borrow_mut(|l| {
        if let Some(l) = l {
            l.pending = l.pending.saturating_sub(1);
            if l.pending == 0 {
                // SAFETY: the JS thread's own function, still open (we are in its callback).
                unsafe { sys::napi_unref_threadsafe_function(env, l.queue.tsfn) };
            }
        }
    });
}

/// `JSON.parse(text)` on the JS thread.
///
/// # Safety
/// `env` is the live environment of the calling (JS) thread.
unsafe fn json_parse(
    env: sys::napi_env,
    text: &str,
) -> std::result::Result<sys::napi_value, sys::napi_status> {
    let ok = |status: sys::napi_status| {
        if status == sys::Status::napi_ok {
            Ok(())
        } else {
            Err(status)
        }
    };
    let (mut global, mut json, mut parse, mut string, mut value) = (
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
        ptr::null_mut(),
    );
    // SAFETY: the caller's env, on its thread; out-pointers are valid locals, `text` is
    // valid UTF-8 of the given length.
    unsafe {
        ok(sys::napi_get_global(env, &mut global))?;
        ok(sys::napi_get_named_property(
            env,
            global,
            c"JSON".as_ptr(),
            &mut json,
        ))?;
        ok(sys::napi_get_named_property(
            env,
            json,
            c"parse".as_ptr(),
            &mut parse,
        ))?;
        ok(sys::napi_create_string_utf8(
            env,
            text.as_ptr().cast(),
            text.len() as isize,
            &mut string,
        ))?;
        ok(sys::napi_call_function(
            env, json, parse, 1, &string, &mut value,
        ))?;
    }
    Ok(value)
}

/// A value handed to JS (a provider's messages, an event, a report) as JSON text written off
/// the JS thread; made a JS value there by `JSON.parse`.
pub(crate) struct Json(String);

impl Json {
    /// `value` as JSON text (`null` for what cannot be written, which our types never are).
    pub(crate) fn of(value: &impl serde::Serialize) -> Json {
        Json(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: the caller's env, on its JS thread (the trait's contract).
        unsafe { json_parse(env, &val.0) }.map_err(|status| {
            let mut pending = ptr::null_mut();
            // SAFETY: as above; a JS exception from the parse is not left pending.
            unsafe { sys::napi_get_and_clear_last_exception(env, &mut pending) };
            napi::Error::from_reason(format!("JSON.parse failed (status {status})"))
        })
    }
}
