//! `botsplash.Client`: the blocking client. Each call converts its arguments while holding the
//! GIL, then releases it (`py.detach`) and drives the core's blocking client on the calling
//! thread: no thread hop, and other Python threads run meanwhile.

use std::sync::{Arc, PoisonError, RwLock};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert;
use crate::errors::{binding_error, guard, to_pyerr};
use crate::logging;
use crate::options::{Config, Options, RawOptions, client_repr};
use crate::results::{LendingTreeResponse, ListenerResult};

/// What `Client`, `client.listeners` and `client.messages` share.
struct Shared {
    /// `None` once closed. A call clones the client out (two `Arc`s) and runs without the lock,
    /// so closing never waits for a request and a request in flight finishes normally.
    client: RwLock<Option<botsplash::blocking::Client>>,
    config: botsplash::Config,
}

impl Shared {
    fn client(&self, py: Python<'_>) -> PyResult<botsplash::blocking::Client> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| binding_error(py, "BotsplashError", "the client is closed"))
    }
}

/// Runs one blocking operation with the GIL released, then hands what it logged to Python.
fn run<T: Send>(py: Python<'_>, op: impl FnOnce() -> botsplash::Result<T> + Send) -> PyResult<T> {
    let (result, logs) = py.detach(|| logging::capture(op));
    logging::emit(py, logs);
    result.map_err(|e| to_pyerr(py, e))
}

/// The Botsplash client (blocking). Safe to share between threads; a client created before
/// `os.fork()` works in the child.
#[pyclass(frozen, module = "botsplash", name = "Client")]
pub struct Client {
    shared: Arc<Shared>,
    /// Lead and visitor submission (`submit_visitor`, `submit_salesforce_visitors`,
    /// `submit_lendingtree_lead`).
    #[pyo3(get)]
    listeners: Py<Listeners>,
    /// Direct messages (`send`).
    #[pyo3(get)]
    messages: Py<Messages>,
}

#[pymethods]
impl Client {
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
            let client = botsplash::blocking::Client::new(config.clone());
            let shared = Arc::new(Shared {
                client: RwLock::new(Some(client)),
                config,
            });
            Ok(Client {
                listeners: Py::new(
                    py,
                    Listeners {
                        shared: shared.clone(),
                    },
                )?,
                messages: Py::new(
                    py,
                    Messages {
                        shared: shared.clone(),
                    },
                )?,
                shared,
            })
        })
    }

    /// The validated configuration (no credentials).
    #[getter]
    fn config(&self) -> Config {
        Config {
            inner: self.shared.config.clone(),
        }
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.shared
            .client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Releases the connection pools. Later calls raise `BotsplashError`; calls in flight
    /// finish normally. Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        let taken = self
            .shared
            .client
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Dropping shuts down the per-thread runtimes; do it without holding up other threads.
        py.detach(move || drop(taken));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        client_repr(py, "Client", &self.shared.config)
    }
}

/// `client.listeners`: the listener endpoints.
#[pyclass(frozen, module = "botsplash", name = "Listeners")]
pub struct Listeners {
    shared: Arc<Shared>,
}

#[pymethods]
impl Listeners {
    /// Submits one visitor to a listener, which starts an engagement (New Visitor Post).
    /// The visitor is a dict and/or keyword arguments with snake_case names
    /// (`phone_number="+1 704 555 0100", first_name="Ann"`).
    #[pyo3(signature = (listener_id, visitor=None, /, *, message=None, **visitor_fields))]
    fn submit_visitor<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        visitor: Option<&Bound<'py, PyAny>>,
        message: Option<&Bound<'py, PyAny>>,
        visitor_fields: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<ListenerResult> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let message = convert::opt_str_arg(message, "message")?;
            let visitor = convert::visitor(visitor, visitor_fields, "visitor")?;
            let client = self.shared.client(py)?;
            logging::sync_level(py);
            run(py, || {
                client
                    .listeners()
                    .submit_visitor(&listener_id, visitor, message.as_deref())
            })
            .map(ListenerResult::from)
        })
    }

    /// Submits many visitors (New SalesForce Lead Post) in batches; results in input order.
    #[pyo3(signature = (listener_id, visitors, *, message=None))]
    fn submit_salesforce_visitors<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        visitors: &Bound<'py, PyAny>,
        message: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let message = convert::opt_str_arg(message, "message")?;
            let prepared = convert::prepare_bulk(visitors, &listener_id, message.as_deref())?;
            let client = self.shared.client(py)?;
            logging::sync_level(py);
            let results = run(py, || {
                client.listeners().submit_prepared_salesforce_visitors(prepared?)
            })?;
            PyList::new(py, results.into_iter().map(ListenerResult::from))
        })
    }

    /// Submits a LendingTree lead as XML (New LendingTree Lead Post); returns the XML answer.
    #[pyo3(signature = (listener_id, xml))]
    fn submit_lendingtree_lead<'py>(
        &self,
        py: Python<'py>,
        listener_id: &Bound<'py, PyAny>,
        xml: &Bound<'py, PyAny>,
    ) -> PyResult<LendingTreeResponse> {
        guard(py, || {
            let listener_id = convert::str_arg(listener_id, "listener_id")?;
            let xml = convert::str_arg(xml, "xml")?;
            let client = self.shared.client(py)?;
            logging::sync_level(py);
            run(py, || {
                client
                    .listeners()
                    .submit_lendingtree_lead(&listener_id, &xml)
            })
            .map(LendingTreeResponse::from)
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<Listeners of {}>",
            client_repr(py, "Client", &self.shared.config)?
        ))
    }
}

/// `client.messages`: the message endpoint.
#[pyclass(frozen, module = "botsplash", name = "Messages")]
pub struct Messages {
    shared: Arc<Shared>,
}

#[pymethods]
impl Messages {
    /// Sends a direct message (Send Message). `visitor`, if given, needs a `client_visitor_id`
    /// or a `phone_number`.
    #[pyo3(signature = (text, visitor=None))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyAny>,
        visitor: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        guard(py, || {
            let text = convert::str_arg(text, "text")?;
            let visitor = match visitor {
                Some(v) if !v.is_none() => Some(convert::visitor(Some(v), None, "visitor")?),
                _ => None,
            };
            let client = self.shared.client(py)?;
            logging::sync_level(py);
            run(py, || client.messages().send(&text, visitor))
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<Messages of {}>",
            client_repr(py, "Client", &self.shared.config)?
        ))
    }
}
