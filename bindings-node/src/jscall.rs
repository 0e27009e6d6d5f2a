//! Calls into JS functions whose answer may be a Promise, answered through one native function
//! instead of two `then` callbacks made for every call.
//!
//! napi-rs reads a returned Promise by making two functions (`then`, `catch`) per call, each
//! one more Promise and microtask: with thousands of runs calling a JS provider, that is a
//! good part of the JS thread's work (see "bindings-node" in `benches/README.md`). Here the JS
//! function is wrapped once, when it is given, in
//! `async (id, ...args) => { try { settle(id, true, await f.apply(self, args)) } catch (e) { settle(id, false, e) } }`:
//! a call is one call of the wrapper, one `await`, and one call of `settle`, which hands the
//! answer (or what was thrown, kept as itself for the `cause` of the error it becomes) to the
//! Rust future waiting for it.

use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::providers::Loose;

/// The wrapper's maker: `(f, self, settle) => wrapper`.
const WRAP: &str = r"(function (f, self, settle) {
  return async function (id, ...args) {
    try {
      settle(id, true, await f.apply(self, args));
    } catch (e) {
      settle(id, false, e);
    }
  };
})";

/// What a call settled with: the answer as JSON, or what the function threw or rejected with.
type Outcome = napi::Result<Value>;

/// `settle(id, ok, value)`, as a JS function.
type SettleFn<'env> = Function<'env, FnArgs<(f64, bool, Unknown<'env>)>, ()>;

/// Calls waiting for their answers: by id, with the environment (JS thread) they were made on,
/// so that an environment that tears down fails its own calls at once.
type Waiters = HashMap<u64, (usize, oneshot::Sender<Outcome>)>;
static WAITING: Mutex<Option<Waiters>> = Mutex::new(None);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn waiting<R>(f: impl FnOnce(&mut Waiters) -> R) -> R {
    let mut guard = WAITING.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(HashMap::new))
}

thread_local! {
    /// Whether this JS thread's environment has its teardown hook.
    static HOOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A JS function callable from any thread (its answer, or a Promise's, read as JSON; weak: it
/// does not keep Node alive). `T` is the wrapper's arguments: the call's id, then the
/// function's own (`FnArgs<(f64, Json, Json)>` for `complete(messages, params)`).
pub(crate) struct JsCaller<T: JsValuesTupleIntoVec + 'static> {
    tsfn: ThreadsafeFunction<T, (), T, Status, false, true>,
    env: usize,
}

/// A call's place in [`WAITING`], taken back when the call is given up (dropped) first.
struct Waiting(u64);

impl Drop for Waiting {
    fn drop(&mut self) {
        waiting(|w| w.remove(&self.0));
    }
}

impl<T: JsValuesTupleIntoVec + 'static> JsCaller<T> {
    /// `f` called with `this` bound to `this`.
    pub(crate) fn new(env: &Env, f: Unknown, this: Object) -> napi::Result<Self> {
        hook(env)?;
        let settle: SettleFn<'_> = env.create_function_from_closure("mgxSettle", settle)?;
        let wrap: Function<FnArgs<(Unknown, Object, SettleFn<'_>)>, Unknown> =
            env.run_script(WRAP)?;
        let wrapper = wrap.call(FnArgs::from((f, this, settle)))?;
        // SAFETY: `wrapper` is the function `WRAP` returns, on this env.
        let wrapper: Function<T, ()> =
            unsafe { Function::from_napi_value(env.raw(), wrapper.raw()) }?;
        let tsfn = wrapper
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsCaller {
            tsfn,
            env: env.raw() as usize,
        })
    }

    /// Call the function with the arguments `args` makes of the call's id, and wait for its
    /// answer (a Promise's, once it settles).
    pub(crate) fn call(
        &self,
        args: impl FnOnce(f64) -> T,
    ) -> impl Future<Output = Outcome> + Send + 'static
    where
        T: Send,
    {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        waiting(|w| w.insert(id, (self.env, tx)));
        let place = Waiting(id);
        // Ids stay far below 2^53: exact as a JS number.
        let status = self
            .tsfn
            .call(args(id as f64), ThreadsafeFunctionCallMode::NonBlocking);
        async move {
            let _place = place;
            if status != Status::Ok {
                return Err(napi::Error::from_reason(format!(
                    "the JS function cannot be called ({status}): its environment is closing"
                )));
            }
            rx.await.unwrap_or_else(|_| {
                Err(napi::Error::from_reason(
                    "the JS environment tore down before the call settled",
                ))
            })
        }
    }
}

/// `settle(id, ok, value)`: a call's answer, or what it threw.
fn settle(ctx: FunctionCallContext) -> napi::Result<()> {
    let (id, ok, value) = ctx.args::<(f64, bool, Unknown)>()?;
    let Some((_, tx)) = waiting(|w| w.remove(&(id as u64))) else {
        // Given up on (cancelled, timed out): nobody waits.
        return Ok(());
    };
    let outcome = if ok {
        // SAFETY: the value comes from napi for this call.
        unsafe { Loose::from_napi_value(ctx.env.raw(), value.raw()) }.map(|l| l.0)
    } else {
        Err(napi::Error::from_unknown_without_coercion(value))
    };
    let _ = tx.send(outcome);
    Ok(())
}

/// Once per environment: when it tears down, the calls made on it fail at once.
fn hook(env: &Env) -> napi::Result<()> {
    if HOOKED.get() {
        return Ok(());
    }
    let key = Box::into_raw(Box::new(env.raw() as usize));
    // SAFETY: `torn_down` takes back the box it is given, once.
    let status =
        unsafe { napi::sys::napi_add_env_cleanup_hook(env.raw(), Some(torn_down), key.cast()) };
    if status != napi::sys::Status::napi_ok {
        // SAFETY: the hook was not registered: the box is still ours.
        drop(unsafe { Box::from_raw(key) });
        return Err(napi::Error::from_reason(format!(
            "napi_add_env_cleanup_hook failed (status {status})"
        )));
    }
    HOOKED.set(true);
    Ok(())
}

/// The environment tears down: its calls' waiters get an error.
unsafe extern "C" fn torn_down(arg: *mut c_void) {
    // SAFETY: the box `hook` registered, given back once.
    let env = *unsafe { Box::from_raw(arg.cast::<usize>()) };
    let dropped: Vec<_> = waiting(|w| {
        let ids: Vec<u64> = w
            .iter()
            .filter(|(_, (e, _))| *e == env)
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter().filter_map(|id| w.remove(&id)).collect()
    });
    drop(dropped);
    HOOKED.set(false);
}
