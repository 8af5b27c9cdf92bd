//! Listening, connection handling and the in-process handle.
//!
//! Connections are served by hand (not `axum::serve`) so that a handler can make its
//! connection vanish without a response: each connection future races a per-connection
//! kill signal, and dropping the future closes the socket before hyper writes anything.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::config::MockConfig;
use crate::control;
use crate::faults::Fault;
use crate::handlers::{self, App, ConnKill, Shared};
use crate::ledger::{LedgerEntry, LedgerSnapshot, Operation};

/// A running mock server. Dropping it (or [`MockServer::shutdown`]) stops it.
pub struct MockServer {
    addr: SocketAddr,
    app: Shared,
    stop: watch::Sender<bool>,
    /// The thread that owns the runtime, for [`MockServer::start_background`].
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Binds `config.host:config.port` and serves on the current tokio runtime.
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let (addr, app, stop) = launch(listener, config)?;
        Ok(MockServer {
            addr,
            app,
            stop,
            thread: None,
        })
    }

    /// Starts the server on its own runtime in a background thread, for synchronous tests
    /// (or async ones that must not share their runtime with the server).
    pub fn start_background(config: MockConfig) -> io::Result<MockServer> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("botsplash-mock".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("botsplash-mock-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let launched =
                        match TcpListener::bind((config.host.as_str(), config.port)).await {
                            Ok(listener) => launch(listener, config),
                            Err(e) => Err(e),
                        };
                    match launched {
                        Ok((addr, app, stop)) => {
                            let mut stopped = stop.subscribe();
                            if ready_tx.send(Ok((addr, app, stop))).is_ok() {
                                // Ends on `true` or when the handle (the sender) is gone.
                                let _ = stopped.wait_for(|stop| *stop).await;
                            }
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                // Dropping the runtime cancels every connection task.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        let (addr, app, stop) = ready_rx
            .recv()
            .map_err(|_| io::Error::other("mock server thread died while starting"))??;
        Ok(MockServer {
            addr,
            app,
            stop,
            thread: Some(thread),
        })
    }

    /// Base URL of the API, e.g. `http://127.0.0.1:38211`; endpoints are
    /// `{url}/{appId}/listener/...` and `{url}/{appId}/message`.
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &MockConfig {
        &self.app.config
    }

    /// Queues a fault for the next matching request(s).
    ///
    /// # Panics
    /// If the fault is inconsistent (see [`Fault::check`]): a test asked for something
    /// the server cannot do.
    pub fn push_fault(&self, fault: Fault) {
        if let Err(e) = fault.check() {
            panic!("invalid fault {fault:?}: {e}");
        }
        self.app.faults.push([fault]);
    }

    /// The faults still queued, with their remaining `times`.
    pub fn faults(&self) -> Vec<Fault> {
        self.app.faults.list()
    }

    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// The ledger entries, oldest first.
    pub fn requests(&self) -> Vec<LedgerEntry> {
        self.app.ledger.entries()
    }

    /// Entries plus the counters, as `GET /__mock/requests` shows them.
    pub fn ledger(&self) -> LedgerSnapshot {
        self.app.ledger.snapshot()
    }

    /// Requests of one operation received since start or the last clear (evicted ones
    /// included).
    pub fn count(&self, operation: Operation) -> u64 {
        self.app.ledger.snapshot().counts.get(operation)
    }

    /// Empties the ledger and resets its counters (`seq` keeps increasing).
    pub fn clear_requests(&self) {
        self.app.ledger.clear();
    }

    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn launch(
    listener: TcpListener,
    config: MockConfig,
) -> io::Result<(SocketAddr, Shared, watch::Sender<bool>)> {
    let addr = listener.local_addr()?;
    let app: Shared = Arc::new(App::new(config));
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(accept_loop(listener, router(app.clone()), stopped));
    Ok((addr, app, stop))
}

pub(crate) fn router(app: Shared) -> Router {
    let api = |operation: Operation| {
        post(move |state, request: Request| handlers::api(operation, state, request))
    };
    Router::new()
        .route(
            "/{app_id}/listener/botsplash/{id}",
            api(Operation::SubmitVisitor),
        )
        .route(
            "/{app_id}/listener/salesforce/{id}",
            api(Operation::SubmitSalesforceVisitors),
        )
        .route(
            "/{app_id}/listener/lendingtree/{id}",
            api(Operation::SubmitLendingtreeLead),
        )
        .route("/{app_id}/message", api(Operation::SendMessage))
        .route(
            "/__mock/requests",
            get(control::get_requests).delete(control::clear_requests),
        )
        .route(
            "/__mock/faults",
            get(control::get_faults)
                .post(control::push_faults)
                .delete(control::clear_faults),
        )
        .route("/__mock/health", get(control::health))
        .fallback(control::not_found)
        .method_not_allowed_fallback(control::method_not_allowed)
        .with_state(app)
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, router.clone(), stopped.clone()));
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, mut stopped: watch::Receiver<bool>) {
    // Small request/response exchanges: Nagle would add latency to every one.
    let _ = stream.set_nodelay(true);
    let kill = ConnKill::default();
    let handle = kill.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(handle.clone());
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = kill.0.notified() => {}
        _ = stopped.wait_for(|stop| *stop) => {}
    }
}
