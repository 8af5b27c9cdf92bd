//! The native module `botsplash._native` of the Python package `botsplash`: conversions between
//! Python values and the Rust core (`botsplash` crate), which holds all behaviour. The public
//! Python API is assembled in `python/botsplash/__init__.py`.

mod aio;
mod client;
mod convert;
mod errors;
mod logging;
mod options;
mod results;

// The asyncio client wakes its event loop through a Unix socket pair (see aio.rs).
#[cfg(not(unix))]
compile_error!("the botsplash Python package supports Unix-like systems (Linux, macOS)");

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add_class::<client::Client>()?;
    m.add_class::<client::Listeners>()?;
    m.add_class::<client::Messages>()?;
    m.add_class::<aio::AsyncClient>()?;
    m.add_class::<aio::Completer>()?;
    m.add_class::<options::Config>()?;
    m.add_class::<results::ListenerResult>()?;
    m.add_class::<results::LendingTreeResponse>()?;
    m.add_function(wrap_pyfunction!(aio::_panic_for_testing, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "VISITOR_FIELDS",
        botsplash::VISITOR_FIELDS
            .iter()
            .map(|(snake, _)| *snake)
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
