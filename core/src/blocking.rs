//! The blocking client: the same operations as [`crate::Client`], each call driven to
//! completion on the calling thread. Used directly by Rust programs without async, and by the
//! Python `Client` and the C ABI.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use thread_local::ThreadLocal;

use crate::config::{ClientBuilder, Config};
use crate::error::{Error, Result};
use crate::models::{LendingTreeResponse, ListenerResult, VisitorPayload};
use crate::ops;
use crate::runtime::{self, ThreadDriver};
use crate::transport::Http;

/// The Botsplash client (blocking). Share it freely between threads (`Clone` or `&`): each
/// thread that calls it gets its own small runtime and connection pool, created on first use
/// and reused for every later call on that thread.
#[derive(Clone)]
pub struct Client {
    config: Arc<Config>,
    drivers: Arc<ThreadLocal<RefCell<Option<ThreadDriver>>>>,
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured entirely from `BOTSPLASH_*` environment variables.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::new().build_blocking()
    }

    pub fn new(config: Config) -> Client {
        Client { config: Arc::new(config), drivers: Arc::new(ThreadLocal::new()) }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn listeners(&self) -> Listeners<'_> {
        Listeners { client: self }
    }

    pub fn messages(&self) -> Messages<'_> {
        Messages { client: self }
    }

    /// Drives `op` on this thread's runtime. The HTTP client is handed over by value (an Arc
    /// clone) so the operation's future can own it.
    fn run<'a, T, F>(&'a self, op: impl FnOnce(&'a Config, Http) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>>,
    {
        if runtime::inside_async_context() {
            return Err(Error::config(
                "the blocking client cannot run inside an async runtime; use botsplash::Client there",
            ));
        }
        let cell = self.drivers.get_or(|| RefCell::new(None));
        let stale = cell.borrow().as_ref().is_none_or(|d| !d.is_current_process());
        if stale {
            let fresh = ThreadDriver::new(&self.config)?;
            // The replaced driver, if it came from a parent process, leaks itself on drop.
            drop(cell.borrow_mut().replace(fresh));
        }
        let driver = cell.borrow();
        let config = &*self.config;
        driver
            .as_ref()
            .and_then(|d| d.block_on(|http| op(config, http)))
            .unwrap_or_else(|| Err(Error::config("the client's runtime is unavailable")))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client").field("config", &*self.config).finish()
    }
}

/// `client.listeners()`; see [`crate::Listeners`] for what each call does.
pub struct Listeners<'a> {
    client: &'a Client,
}

impl Listeners<'_> {
    pub fn submit_visitor(&self, listener_id: &str, visitor: impl Into<VisitorPayload>, message: Option<&str>) -> Result<ListenerResult> {
        let visitor = visitor.into();
        self.client.run(|cfg, http| async move { ops::submit_visitor(cfg, &http, listener_id, visitor, message).await })
    }

    pub fn submit_salesforce_visitors<V: Into<VisitorPayload>>(
        &self,
        listener_id: &str,
        visitors: impl IntoIterator<Item = V>,
        message: Option<&str>,
    ) -> Result<Vec<ListenerResult>> {
        let prepared = ops::prepare_bulk(listener_id, visitors.into_iter().map(Into::into), message)?;
        self.client.run(|cfg, http| async move { ops::submit_salesforce_visitors(cfg, &http, prepared).await })
    }

    /// Sends a bulk submission validated beforehand with [`PreparedBulk::new`](crate::PreparedBulk::new).
    pub fn submit_prepared_salesforce_visitors(&self, bulk: crate::PreparedBulk) -> Result<Vec<ListenerResult>> {
        self.client.run(|cfg, http| async move { ops::submit_salesforce_visitors(cfg, &http, bulk).await })
    }

    pub fn submit_lendingtree_lead(&self, listener_id: &str, xml: &str) -> Result<LendingTreeResponse> {
        self.client.run(|cfg, http| async move { ops::submit_lendingtree_lead(cfg, &http, listener_id, xml).await })
    }
}

/// `client.messages()`; see [`crate::Messages`].
pub struct Messages<'a> {
    client: &'a Client,
}

impl Messages<'_> {
    pub fn send(&self, text: &str, visitor: Option<Value>) -> Result<()> {
        self.client.run(|cfg, http| async move { ops::send_message(cfg, &http, text, visitor).await })
    }
}
