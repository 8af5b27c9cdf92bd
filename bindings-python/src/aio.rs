//! The native half of `botsplash.AsyncClient` (the public class is `botsplash/_async.py`,
//! which gives every operation a real coroutine). Each call spawns the core's async operation
//! on the process-wide runtime (`botsplash::runtime::shared()`, fork-safe) and returns an
//! asyncio future of the running loop; cancelling the future aborts the task, which drops the
//! HTTP request in flight.
//!
//! The I/O threads never touch Python: a finished task queues its Rust result in the loop's
//! [`Completer`] and writes one byte to a socket the loop watches (`loop.add_reader`); the
//! loop thread then builds the Python result and resolves the future. An I/O thread that took
//! the GIL could be ended by CPython's `pthread_exit` during interpreter shutdown, which
//! aborts the process when it unwinds through Rust frames; and the I/O threads never wait
//! for the GIL either.

use std::collections::HashMap;
use std::future::Future;
use std::io::{ErrorKind, Read as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use futures_util::FutureExt as _;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use tokio::task::AbortHandle;

use crate::convert;
use crate::errors::{binding_error, guard, panic_error, to_pyerr};
use crate::logging::{self, Captured, LogLine};
use crate::options::{Config, Options, RawOptions, client_repr};
use crate::results::{LendingTreeResponse, ListenerResult};

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static COMPLETER_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Turns a task's output into the future's result, with the GIL held.
type Convert<T> = fn(Python<'_>, T) -> PyResult<Py<PyAny>>;

/// A finished task's result, still in Rust; turned into Python on the loop thread.
type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Completion {
    id: u64,
    logs: Vec<LogLine>,
    deliver: Deliver,
}

/// What the I/O threads share with a loop's completer: no Python objects in here.
struct Mailbox {
    queue: Mutex<Vec<Completion>>,
    /// Set while a wake-up byte is unread, so a burst of completions writes one byte.
    armed: AtomicBool,
    wake: UnixStream,
}

impl Mailbox {
    fn post(&self, completion: Completion) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(completion);
        if !self.armed.swap(true, Ordering::SeqCst) {
            // Full (impossible with one unread byte) or closed (the loop is gone): either
            // way there is nobody else to tell.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// One per event loop (see `_completer` in `botsplash/_async.py`): the futures waiting for
/// tasks, and the socket pair that wakes the loop when tasks finish.
#[pyclass(frozen, module = "botsplash._native", name = "_Completer")]
pub(crate) struct Completer {
    mailbox: Arc<Mailbox>,
    readable: UnixStream,
    pending: Mutex<HashMap<u64, Py<PyAny>>>,
    next_id: AtomicU64,
}

#[pymethods]
impl Completer {
    #[new]
    fn new() -> PyResult<Self> {
        let (readable, wake) = UnixStream::pair()?;
        readable.set_nonblocking(true)?;
        wake.set_nonblocking(true)?;
        Ok(Completer {
            mailbox: Arc::new(Mailbox {
                queue: Mutex::new(Vec::new()),
                armed: AtomicBool::new(false),
                wake,
            }),
            readable,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        })
    }

    /// The descriptor the loop watches (`loop.add_reader(c.fileno(), c.drain)`).
    fn fileno(&self) -> i32 {
        self.readable.as_raw_fd()
    }

    /// Resolves the futures of every finished task (the loop's reader callback). Never
    /// raises: the loop would only log it, and other completions must still be delivered.
    fn drain(&self, py: Python<'_>) {
        let drained = guard(py, || {
            self.drain_all(py);
            Ok(())
        });
        if let Err(e) = drained {
            e.write_unraisable(py, None);
        }
    }
}

impl Completer {
    fn drain_all(&self, py: Python<'_>) {
        let mut buf = [0u8; 64];
        loop {
            match (&self.readable).read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        self.mailbox.armed.store(false, Ordering::SeqCst);
        let batch = std::mem::take(
            &mut *self
                .mailbox
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for completion in batch {
            logging::emit(py, completion.logs);
            let future = self
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&completion.id);
            // Gone: the future was cancelled (and the task aborted) meanwhile.
            let Some(future) = future else { continue };
            if let Err(e) = resolve(py, future.bind(py), completion.deliver) {
                e.write_unraisable(py, Some(future.bind(py)));
            }
        }
    }
}

fn resolve(py: Python<'_>, future: &Bound<'_, PyAny>, deliver: Deliver) -> PyResult<()> {
    if future.call_method0(intern!(py, "done"))?.is_truthy()? {
        return Ok(());
    }
    match deliver(py) {
        Ok(value) => future.call_method1(intern!(py, "set_result"), (value,))?,
        Err(e) => future.call_method1(intern!(py, "set_exception"), (e.into_value(py),))?,
    };
    Ok(())
}

/// Runs `work` on the shared runtime; returns the asyncio future that receives its result.
pub(crate) fn spawn<'py, T, F>(
    py: Python<'py>,
    work: F,
    convert: Convert<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    F: Future<Output = botsplash::Result<T>> + Send + 'static,
{
    let event_loop = GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()?;
    let completer = COMPLETER_FOR
        .import(py, "botsplash._async", "_completer")?
        .call1((&event_loop,))?
        .cast_into::<Completer>()?;
    let runtime = botsplash::runtime::shared().map_err(|e| to_pyerr(py, e))?;
    let future = event_loop.call_method0(intern!(py, "create_future"))?;

    let c = completer.get();
    let id = c.next_id.fetch_add(1, Ordering::Relaxed);
    c.pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, future.clone().unbind());
    let mailbox = c.mailbox.clone();
    let task = runtime.spawn(async move {
        let (outcome, logs) = Captured::new(AssertUnwindSafe(work).catch_unwind()).await;
        let deliver: Deliver = match outcome {
            Ok(Ok(output)) => Box::new(move |py| convert(py, output)),
            Ok(Err(e)) => Box::new(move |py| Err(to_pyerr(py, e))),
            Err(payload) => Box::new(move |py| Err(panic_error(py, payload.as_ref()))),
        };
        mailbox.post(Completion { id, logs, deliver });
    });
    let on_done = Py::new(
        py,
        OnDone {
            task: task.abort_handle(),
            id,
            completer: completer.clone().unbind(),
        },
    )?;
    if let Err(e) = future.call_method1(intern!(py, "add_done_callback"), (on_done,)) {
        task.abort();
        c.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        return Err(e);
    }
    Ok(future)
}

/// The future's done-callback. After a normal completion the task has already finished and
/// this is a no-op; after a cancellation it aborts the task, which stops the request.
#[pyclass(frozen, module = "botsplash._native")]
struct OnDone {
    task: AbortHandle,
    id: u64,
    completer: Py<Completer>,
}

#[pymethods]
impl OnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.task.abort();
        // Runs on the loop thread, so the future is released with the GIL held.
        drop(
            self.completer
                .get()
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.id),
        );
    }
}

fn listener_result(py: Python<'_>, r: botsplash::ListenerResult) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, ListenerResult::from(r))?.into_any())
}

fn listener_results(py: Python<'_>, rs: Vec<botsplash::ListenerResult>) -> PyResult<Py<PyAny>> {
    Ok(PyList::new(py, rs.into_iter().map(ListenerResult::from))?
        .into_any()
        .unbind())
}

fn lendingtree(py: Python<'_>, r: botsplash::LendingTreeResponse) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, LendingTreeResponse::from(r))?.into_any())
}

fn none(py: Python<'_>, (): ()) -> PyResult<Py<PyAny>> {
    Ok(py.None())
}

#[pyclass(frozen, module = "botsplash._native", name = "AsyncClient")]
pub struct AsyncClient {
    /// `None` once closed; each call clones the client (one `Arc`) into its task.
    client: RwLock<Option<botsplash::Client>>,
    config: botsplash::Config,
}

impl AsyncClient {
    fn client(&self, py: Python<'_>) -> PyResult<botsplash::Client> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| binding_error(py, "BotsplashError", "the client is closed"))
    }
}

#[pymethods]
impl AsyncClient {
    #[new]
    #[pyo3(signature = (
        *, app_id=None, api_key=None, username=None, password=None, api_key_in=None, base_url=None,
        timeout=None, connect_timeout=None, max_retries=None, retry_unknown_outcome=None,
        batch_size=None, bulk_concurrency=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app_id: Option<&Bound<'_, PyAny>>,
        api_key: Option<&Bound<'_, PyAny>>,
        username: Option<&Bound<'_, PyAny>>,
        password: Option<&Bound<'_, PyAny>>,
        api_key_in: Option<&Bound<'_, PyAny>>,
        base_url: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        retry_unknown_outcome: Option<&Bound<'_, PyAny>>,
        batch_size: Option<&Bound<'_, PyAny>>,
        bulk_concurrency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let options = Options::convert(RawOptions {
                app_id,
                api_key,
                username,
                password,
                api_key_in,
                base_url,
                timeout,
                connect_timeout,
                max_retries,
                retry_unknown_outcome,
                batch_size,
                bulk_concurrency,
            })?;
            let config = options.build(py)?;
            let client = botsplash::Client::new(config.clone()).map_err(|e| to_pyerr(py, e))?;
            Ok(AsyncClient {
                client: RwLock::new(Some(client)),
                config,
            })
        })
    }

    #[pyo3(signature = (listener_id, visitor, message, visitor_fields))]
    fn submit_visitor<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        visitor: Option<&Bound<'py, PyAny>>,
        message: Option<&Bound<'py, PyAny>>,
        visitor_fields: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let message = convert::opt_str_arg(message, "message")?;
            let visitor = convert::visitor(visitor, visitor_fields, "visitor")?;
            let client = self.client(py)?;
            logging::sync_level(py);
            let work = async move {
                client
                    .listeners()
                    .submit_visitor(&listener_id, visitor, message.as_deref())
                    .await
            };
            spawn(py, work, listener_result)
        })
    }

    #[pyo3(signature = (listener_id, visitors, message))]
    fn submit_salesforce_visitors<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        visitors: &Bound<'py, PyAny>,
        message: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let message = convert::opt_str_arg(message, "message")?;
            let prepared = convert::prepare_bulk(visitors, &listener_id, message.as_deref())?;
            let client = self.client(py)?;
            logging::sync_level(py);
            let work = async move {
                client.listeners().submit_prepared_salesforce_visitors(prepared?).await
            };
            spawn(py, work, listener_results)
        })
    }

    #[pyo3(signature = (listener_id, xml))]
    fn submit_lendingtree_lead<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        xml: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let xml = convert::str_arg(xml, "xml")?;
            let client = self.client(py)?;
            logging::sync_level(py);
            let work = async move {
                client
                    .listeners()
                    .submit_lendingtree_lead(&listener_id, &xml)
                    .await
            };
            spawn(py, work, lendingtree)
        })
    }

    #[pyo3(signature = (text, visitor))]
    fn send_message<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        visitor: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let text = convert::str_arg(text, "text")?;
            let visitor = match visitor {
                Some(v) if !v.is_none() => Some(convert::visitor(Some(v), None, "visitor")?),
                _ => None,
            };
            let client = self.client(py)?;
            logging::sync_level(py);
            let work = async move { client.messages().send(&text, visitor).await };
            spawn(py, work, none)
        })
    }

    #[getter]
    fn config(&self) -> Config {
        Config {
            inner: self.config.clone(),
        }
    }

    #[getter]
    fn closed(&self) -> bool {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    fn close(&self) {
        drop(
            self.client
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        client_repr(py, "AsyncClient", &self.config)
    }
}

/// Test seam: proves that a panic reaches Python as `BotsplashError`, never `PanicException`,
/// on both paths (`"sync"`: the guard around every method; `"async"`: a panicking task).
#[pyfunction]
pub(crate) fn _panic_for_testing<'py>(
    py: Python<'py>,
    path: String,
) -> PyResult<Bound<'py, PyAny>> {
    let panics = true;
    match path.as_str() {
        "sync" => guard(py, || -> PyResult<Bound<'py, PyAny>> {
            panic!("deliberate test panic (sync)")
        }),
        "async" => spawn(
            py,
            async move {
                if panics {
                    panic!("deliberate test panic (async)")
                }
                Ok(())
            },
            none,
        ),
        _ => Err(pyo3::exceptions::PyValueError::new_err(
            "path must be 'sync' or 'async'",
        )),
    }
}
