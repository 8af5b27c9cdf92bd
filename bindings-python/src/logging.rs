//! The core logs through the `log` crate (target `botsplash`; no URLs, bodies or credentials).
//! This bridge hands those records to Python's `logging.getLogger("botsplash")`.
//!
//! Two rules shape it:
//!
//! * Records are captured in Rust while a call runs and handed to Python when the call
//!   returns to Python (sync: right after the GIL is taken back; async: on the event loop,
//!   with the result), each with the time it was made. Forwarding them as they happen would
//!   mean taking the GIL on an I/O thread or in the middle of a request; while the interpreter
//!   shuts down, CPython ends such a thread with `pthread_exit` as soon as it gives the GIL up
//!   (a handler writing to a stream does), and that unwinding through Rust frames aborts the
//!   process. A thread that never calls into Python cannot be caught that way.
//! * `log`'s global maximum level mirrors the Python logger's effective level, refreshed at
//!   every call (one `getEffectiveLevel()` while the GIL is held anyway): at the usual
//!   WARNING level the core's debug/info calls cost one atomic load and capture nothing.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// One captured record: Python level number, message, and when it was made (Unix seconds).
pub(crate) struct LogLine {
    level: u8,
    message: String,
    created: f64,
}

thread_local! {
    /// Where records made on this thread go right now; `None` outside a captured call.
    static SINK: RefCell<Option<Vec<LogLine>>> = const { RefCell::new(None) };
}

struct Bridge;

static BRIDGE: Bridge = Bridge;

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("botsplash") && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => 40,
            Level::Warn => 30,
            Level::Info => 20,
            Level::Debug => 10,
            Level::Trace => 5,
        };
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        // Outside a captured call there is no Python caller to hand the record to; the core
        // only logs inside calls, so nothing is lost in practice.
        let _ = SINK.try_with(|sink| {
            if let Some(lines) = sink.borrow_mut().as_mut() {
                lines.push(LogLine {
                    level,
                    message: record.args().to_string(),
                    created,
                });
            }
        });
    }

    fn flush(&self) {}
}

/// Installs the bridge (once per process; `log` allows one logger).
pub(crate) fn install() {
    if log::set_logger(&BRIDGE).is_ok() {
        log::set_max_level(LevelFilter::Off);
    }
}

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static EMIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Mirrors the Python logger's effective level into `log`'s global filter.
pub(crate) fn sync_level(py: Python<'_>) {
    let logger = LOGGER.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("logging")?
                .call_method1("getLogger", ("botsplash",))?
                .unbind(),
        )
    });
    let Ok(logger) = logger else { return };
    let level: i64 = match logger
        .bind(py)
        .call_method0(intern!(py, "getEffectiveLevel"))
        .and_then(|l| l.extract())
    {
        Ok(level) => level,
        Err(_) => return,
    };
    let filter = match level {
        ..=5 => LevelFilter::Trace,
        6..=10 => LevelFilter::Debug,
        11..=20 => LevelFilter::Info,
        21..=30 => LevelFilter::Warn,
        31..=40 => LevelFilter::Error,
        _ => LevelFilter::Off,
    };
    if log::max_level() != filter {
        log::set_max_level(filter);
    }
}

/// Restores the thread's previous sink when a capture ends, even by panic.
struct Restore(Option<Option<Vec<LogLine>>>);

impl Restore {
    fn start(lines: Vec<LogLine>) -> Self {
        Restore(Some(SINK.with(|s| s.borrow_mut().replace(lines))))
    }

    fn finish(mut self) -> Vec<LogLine> {
        let previous = self.0.take().unwrap_or(None);
        SINK.with(|s| std::mem::replace(&mut *s.borrow_mut(), previous))
            .unwrap_or_default()
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            SINK.with(|s| *s.borrow_mut() = previous);
        }
    }
}

/// Runs `f` (a blocking call, GIL released) and returns what it logged.
pub(crate) fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<LogLine>) {
    let restore = Restore::start(Vec::new());
    let result = f();
    (result, restore.finish())
}

/// A future that captures what it logs across every poll, on whichever thread polls it.
pub(crate) struct Captured<F> {
    inner: Pin<Box<F>>,
    lines: Vec<LogLine>,
}

impl<F: Future> Captured<F> {
    pub(crate) fn new(inner: F) -> Self {
        Captured {
            inner: Box::pin(inner),
            lines: Vec::new(),
        }
    }
}

impl<F: Future> Future for Captured<F> {
    type Output = (F::Output, Vec<LogLine>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let restore = Restore::start(std::mem::take(&mut this.lines));
        let polled = this.inner.as_mut().poll(cx);
        this.lines = restore.finish();
        match polled {
            Poll::Ready(output) => Poll::Ready((output, std::mem::take(&mut this.lines))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Hands captured records to the `botsplash` logger (see `botsplash/_log.py`).
pub(crate) fn emit(py: Python<'_>, lines: Vec<LogLine>) {
    if lines.is_empty() {
        return;
    }
    let records: Vec<(u8, String, f64)> = lines
        .into_iter()
        .map(|l| (l.level, l.message, l.created))
        .collect();
    let result = EMIT
        .import(py, "botsplash._log", "_emit")
        .and_then(|emit| emit.call1((records,)));
    if let Err(e) = result {
        // A failing handler must not fail the call that happened to log.
        e.write_unraisable(py, None);
    }
}
