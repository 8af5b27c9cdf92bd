//! The async client. Use it from any tokio runtime; its connection pool is shared by every
//! task and rebuilt transparently in a forked child.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::config::{ClientBuilder, Config};
use crate::error::Result;
use crate::models::{LendingTreeResponse, ListenerResult, VisitorPayload};
use crate::runtime::ForkLocal;
use crate::ops;
use crate::transport::Http;

/// The Botsplash client (async). Cheap to clone; clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> botsplash::Result<()> {
/// let client = botsplash::Client::builder().app_id("my-app").api_key("...").build()?;
/// let visitor = botsplash::Visitor { first_name: Some("Ann".into()), ..botsplash::Visitor::new("+1 704 555 0100") };
/// let result = client.listeners().submit_visitor("new-leads", visitor, Some("Hi Ann!")).await?;
/// println!("accepted as {}", result.request_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: ForkLocal<Http>,
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured entirely from `BOTSPLASH_*` environment variables.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::new().build()
    }

    pub fn new(config: Config) -> Result<Client> {
        let http = Http::new(&config)?;
        Ok(Client { inner: Arc::new(Inner { config, http: ForkLocal::with_value(http) }) })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The listener endpoints (lead and visitor submission).
    pub fn listeners(&self) -> Listeners<'_> {
        Listeners { client: self }
    }

    /// The message endpoint.
    pub fn messages(&self) -> Messages<'_> {
        Messages { client: self }
    }

    fn http(&self) -> Result<Http> {
        self.inner.http.get_or_try_init(|| Http::new(&self.inner.config))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.config).finish()
    }
}

impl ClientBuilder {
    /// Builds the async client; fails with a config error on bad options.
    pub fn build(&self) -> Result<Client> {
        Client::new(self.build_config()?)
    }

    /// Builds the blocking client; fails with a config error on bad options.
    pub fn build_blocking(&self) -> Result<crate::blocking::Client> {
        Ok(crate::blocking::Client::new(self.build_config()?))
    }
}

/// `client.listeners()`: New Visitor Post, New SalesForce Lead Post, New LendingTree Lead Post.
pub struct Listeners<'a> {
    client: &'a Client,
}

impl<'a> Listeners<'a> {
    /// Submits one visitor to a listener (`POST /{appId}/listener/botsplash/{id}`).
    /// `visitor` is a [`Visitor`](crate::Visitor) or JSON with the API's field names.
    pub async fn submit_visitor(
        &self,
        listener_id: &str,
        visitor: impl Into<VisitorPayload>,
        message: Option<&str>,
    ) -> Result<ListenerResult> {
        let c = self.client;
        ops::submit_visitor(c.config(), &c.http()?, listener_id, visitor.into(), message).await
    }

    /// Submits visitors in batches of `batch_size`, `bulk_concurrency` batches at a time
    /// (`POST /{appId}/listener/salesforce/{id}`). Results come back in input order. When some
    /// batches were accepted and another failed, the error is of kind `PartialBulk` and says
    /// exactly which visitors were not confirmed.
    ///
    /// The visitors are validated and encoded when this is called, one at a time (pass a lazy
    /// iterator to keep a large import out of memory); the returned future only sends.
    pub fn submit_salesforce_visitors<V: Into<VisitorPayload>>(
        &self,
        listener_id: &str,
        visitors: impl IntoIterator<Item = V>,
        message: Option<&str>,
    ) -> impl Future<Output = Result<Vec<ListenerResult>>> + Send + 'a {
        let c = self.client;
        let prepared = ops::prepare_bulk(listener_id, visitors.into_iter().map(Into::into), message);
        async move { ops::submit_salesforce_visitors(c.config(), &c.http()?, prepared?).await }
    }

    /// Sends a bulk submission validated beforehand with [`PreparedBulk::new`](crate::PreparedBulk::new).
    pub async fn submit_prepared_salesforce_visitors(&self, bulk: crate::PreparedBulk) -> Result<Vec<ListenerResult>> {
        let c = self.client;
        ops::submit_salesforce_visitors(c.config(), &c.http()?, bulk).await
    }

    /// Submits a LendingTree lead as XML (`POST /{appId}/listener/lendingtree/{id}`) and returns
    /// the XML answer. The XML is checked for well-formedness before it is sent.
    pub async fn submit_lendingtree_lead(&self, listener_id: &str, xml: &str) -> Result<LendingTreeResponse> {
        let c = self.client;
        ops::submit_lendingtree_lead(c.config(), &c.http()?, listener_id, xml).await
    }
}

/// `client.messages()`: Send Message.
pub struct Messages<'a> {
    client: &'a Client,
}

impl Messages<'_> {
    /// Sends a direct message (`POST /{appId}/message`) to a visitor identified by
    /// `clientVisitorId` or `phoneNumber`.
    pub async fn send(&self, text: &str, visitor: Option<Value>) -> Result<()> {
        let c = self.client;
        ops::send_message(c.config(), &c.http()?, text, visitor).await
    }
}
