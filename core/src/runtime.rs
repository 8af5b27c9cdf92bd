//! Where HTTP work runs, and how it survives `fork()`.
//!
//! A tokio runtime or a pooled connection inherited across `fork()` hangs the child (the epoll
//! instance and sockets are shared with the parent). Everything built here therefore records
//! the process that built it; a child process notices it is another one, builds its own, and
//! leaks the inherited one instead of dropping it (dropping would act on the parent's
//! resources). Python CRMs run under pre-forking servers (gunicorn, celery), so this matters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock, PoisonError};

use tokio::runtime::{Builder, Handle, Runtime};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transport::Http;

/// Which process this is, in the `fork()` sense: a number that changes in a child. Checked on
/// every blocking call, so it must cost less than `getpid()` (a system call: ~140 ns here).
/// On Unix, a `pthread_atfork` child handler counts forks; it is registered before anything
/// fork-sensitive is built, so no fork that could matter is missed.
pub(crate) fn current_process() -> Process {
    #[cfg(unix)]
    {
        static FORKS: AtomicU64 = AtomicU64::new(0);
        static REGISTER: Once = Once::new();
        extern "C" fn in_child() {
            // Async-signal-safe: one atomic add.
            FORKS.fetch_add(1, Ordering::Relaxed);
        }
        REGISTER.call_once(|| {
            // SAFETY: registers a plain function that only touches an atomic.
            let registered = unsafe { libc::pthread_atfork(None, None, Some(in_child)) } == 0;
            if !registered {
                // Without the handler the count would never change: use process ids instead.
                FORKS.store(u64::MAX, Ordering::Relaxed);
            }
        });
        match FORKS.load(Ordering::Relaxed) {
            u64::MAX => Process(u64::from(std::process::id()) | 1 << 63),
            forks => Process(forks),
        }
    }
    #[cfg(not(unix))]
    {
        // No fork() outside Unix.
        Process(0)
    }
}

/// See [`current_process`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Process(u64);

/// A value tied to the process that built it.
pub(crate) struct ForkLocal<T> {
    slot: Mutex<Option<(Process, T)>>,
}

impl<T: Clone> ForkLocal<T> {
    pub(crate) fn new() -> Self {
        ForkLocal { slot: Mutex::new(None) }
    }

    pub(crate) fn with_value(value: T) -> Self {
        ForkLocal { slot: Mutex::new(Some((current_process(), value))) }
    }

    /// The value built in this process, building it with `init` on first use here.
    pub(crate) fn get_or_try_init(&self, init: impl FnOnce() -> Result<T>) -> Result<T> {
        let process = current_process();
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_ref() {
            Some((owner, value)) if *owner == process => Ok(value.clone()),
            _ => {
                let value = init()?;
                if let Some(inherited) = slot.replace((process, value.clone())) {
                    std::mem::forget(inherited);
                }
                Ok(value)
            }
        }
    }
}

impl<T> Drop for ForkLocal<T> {
    fn drop(&mut self) {
        let slot = self.slot.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some((owner, value)) = slot.take() {
            if owner != current_process() {
                std::mem::forget(value);
            }
        }
    }
}

/// A process-wide multi-thread runtime for bindings whose callers are not tokio tasks
/// (Python's asyncio client spawns its requests here). Built on first use, rebuilt after fork.
pub fn shared() -> Result<Handle> {
    static SHARED: OnceLock<ForkLocal<Handle>> = OnceLock::new();
    SHARED.get_or_init(ForkLocal::new).get_or_try_init(|| {
        let runtime = Builder::new_multi_thread()
            .enable_all()
            .thread_name("botsplash-io")
            .build()
            .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))?;
        let handle = runtime.handle().clone();
        // Lives as long as the process (or until a fork replaces it).
        std::mem::forget(runtime);
        Ok(handle)
    })
}

/// A current-thread runtime and an HTTP client owned by one OS thread. A blocking call drives
/// the runtime on the calling thread itself: no thread hop, which is what makes the blocking
/// API as fast as the raw HTTP client (a hop to another runtime's thread halves the call rate).
/// The pool is per thread because a connection's task lives on the runtime that opened it.
pub(crate) struct ThreadDriver {
    process: Process,
    runtime: Option<Runtime>,
    http: Option<Http>,
}

impl ThreadDriver {
    pub(crate) fn new(cfg: &Config) -> Result<Self> {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("could not start a runtime: {e}")))?;
        let http = Http::new(cfg)?;
        Ok(ThreadDriver { process: current_process(), runtime: Some(runtime), http: Some(http) })
    }

    pub(crate) fn is_current_process(&self) -> bool {
        self.process == current_process()
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, f: impl FnOnce(Http) -> F) -> Option<F::Output> {
        let (runtime, http) = (self.runtime.as_ref()?, self.http.as_ref()?);
        Some(runtime.block_on(f(http.clone())))
    }
}

impl Drop for ThreadDriver {
    fn drop(&mut self) {
        let (runtime, http) = (self.runtime.take(), self.http.take());
        if self.is_current_process() {
            drop(http);
            // shutdown_background never blocks, so dropping a client inside some other async
            // context cannot panic.
            if let Some(rt) = runtime {
                rt.shutdown_background();
            }
        } else {
            std::mem::forget(http);
            std::mem::forget(runtime);
        }
    }
}

/// Whether the calling thread is inside a tokio runtime (where blocking calls must not run).
pub(crate) fn inside_async_context() -> bool {
    Handle::try_current().is_ok()
}
