//! The typed results the operations return.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyType};

/// One accepted visitor: `success` and the server's `request_id`.
#[pyclass(frozen, eq, hash, module = "botsplash", name = "ListenerResult")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ListenerResult {
    #[pyo3(get)]
    success: bool,
    #[pyo3(get)]
    request_id: String,
}

impl From<botsplash::ListenerResult> for ListenerResult {
    fn from(r: botsplash::ListenerResult) -> Self {
        ListenerResult {
            success: r.success,
            request_id: r.request_id,
        }
    }
}

#[pymethods]
impl ListenerResult {
    #[new]
    fn new(success: bool, request_id: String) -> Self {
        ListenerResult {
            success,
            request_id,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ListenerResult(success={}, request_id={})",
            if self.success { "True" } else { "False" },
            py_repr(py, &self.request_id)?
        ))
    }

    /// Pickles as a constructor call: results travel inside `PartialBulkError` between
    /// processes (multiprocessing).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (bool, String))> {
        let this = slf.get();
        Ok((slf.get_type(), (this.success, this.request_id.clone())))
    }
}

/// The LendingTree endpoint's answer: its HTTP `status` and its `xml`, as received.
#[pyclass(frozen, eq, hash, module = "botsplash", name = "LendingTreeResponse")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LendingTreeResponse {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    xml: String,
}

impl From<botsplash::LendingTreeResponse> for LendingTreeResponse {
    fn from(r: botsplash::LendingTreeResponse) -> Self {
        LendingTreeResponse {
            status: r.status,
            xml: r.xml,
        }
    }
}

#[pymethods]
impl LendingTreeResponse {
    #[new]
    fn new(status: u16, xml: String) -> Self {
        LendingTreeResponse { status, xml }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "LendingTreeResponse(status={}, xml={})",
            self.status,
            py_repr(py, &self.xml)?
        ))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (u16, String))> {
        let this = slf.get();
        Ok((slf.get_type(), (this.status, this.xml.clone())))
    }
}

/// Python's own `repr()` of a string, so quoting and escapes look exactly as Python prints them.
pub(crate) fn py_repr(py: Python<'_>, s: &str) -> PyResult<String> {
    PyString::new(py, s).repr()?.extract()
}
