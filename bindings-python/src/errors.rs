//! The language boundary for failures: `botsplash::Error` becomes one of the exception classes
//! of `botsplash/_errors.py`, and a Rust panic becomes a `BotsplashError` instead of PyO3's
//! `PanicException` (which derives from `BaseException` and slips past `except Exception`).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use crate::results::ListenerResult;

/// The hierarchy lives in pure Python (pickling, docs and `isinstance` work as for any Python
/// exception); `_from_native` builds an instance from the plain fields handed over here.
static FROM_NATIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn from_native(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    FROM_NATIVE.import(py, "botsplash._errors", "_from_native")
}

/// The Python exception for a core error.
pub(crate) fn to_pyerr(py: Python<'_>, err: botsplash::Error) -> PyErr {
    match build(py, &err) {
        Ok(exception) => PyErr::from_value(exception),
        // Only reachable when the package is broken (e.g. `_errors.py` missing); say so.
        Err(e) => e,
    }
}

fn build<'py>(py: Python<'py>, err: &botsplash::Error) -> PyResult<Bound<'py, PyAny>> {
    let field_errors: Vec<(&str, &str)> = err
        .field_errors()
        .iter()
        .map(|f| (f.path.as_str(), f.message.as_str()))
        .collect();
    let (results, unconfirmed, cause) = match err.partial() {
        Some(partial) => {
            let results = PyList::empty(py);
            for slot in &partial.results {
                match slot {
                    Some(r) => results.append(ListenerResult::from(r.clone()))?,
                    None => results.append(py.None())?,
                }
            }
            (
                Some(results),
                Some(partial.unconfirmed.clone()),
                Some(partial.cause.as_str()),
            )
        }
        None => (None, None, None),
    };
    from_native(py)?.call1((
        err.kind().class_name(),
        err.message(),
        err.status(),
        err.request_id(),
        err.retries(),
        err.outcome_unknown(),
        err.retry_after().map(|d| d.as_secs_f64()),
        field_errors,
        results,
        unconfirmed,
        cause,
    ))
}

/// A `ConfigError` for an option the binding rejects before the core sees it.
pub(crate) fn config_error(py: Python<'_>, message: &str) -> PyErr {
    binding_error(py, "ConfigError", message)
}

/// An error raised by the binding itself (no core error behind it).
pub(crate) fn binding_error(py: Python<'_>, class_name: &str, message: &str) -> PyErr {
    let built = from_native(py).and_then(|f| {
        f.call1((
            class_name,
            message,
            None::<u16>,
            None::<&str>,
            0u32,
            false,
            None::<f64>,
            Vec::<(&str, &str)>::new(),
            None::<Vec<u8>>,
            None::<Vec<usize>>,
            None::<&str>,
        ))
    });
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// Runs `f`, turning a panic into a `BotsplashError`. Every entry point from Python goes
/// through this (or, for async work, through [`panic_error`] on the task's result).
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(panic_error(py, payload.as_ref())),
    }
}

pub(crate) fn panic_error(py: Python<'_>, payload: &(dyn Any + Send)) -> PyErr {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    binding_error(
        py,
        "BotsplashError",
        &format!("internal error in the botsplash SDK (please report it): {detail}"),
    )
}
