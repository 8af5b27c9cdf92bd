//! The native half of the `botsplash` npm package.
//!
//! It only converts values: options and arguments in, results out, and every
//! [`botsplash::Error`] out as a JS `Error` whose message is the marker [`ERROR_MARK`] followed
//! by the error's JSON (`botsplash::Error::to_json`). `index.js` turns that into the matching
//! `BotsplashError` subclass; nothing here is public API.
//!
//! Visitors arrive as JSON text that `index.js` made with `JSON.stringify`, and are parsed
//! here inside async calls, on napi's tokio runtime: the JS thread never parses or validates
//! a visitor, JS values get the JSON semantics JS developers expect (`undefined` fields and
//! functions dropped, `Date`s as ISO strings, `toJSON` honoured), and there is no cap on the
//! number of values in a bulk submission, which arrives in chunks ([`NativeBulk`]). Wrong
//! types (a number for `phoneNumber`) survive `JSON.stringify` unchanged and reach the core's
//! validation, which names the field.
//!
//! No panic may cross into Node: synchronous exports use napi's `catch_unwind`, and every
//! future is wrapped in [`guard`], so a panic rejects its Promise instead of aborting the
//! process or leaving the Promise pending.
//!
//! Every operation takes an optional [`NativeCancel`], which `index.js` aborts when the
//! caller's `AbortSignal` fires: the operation's future is then dropped where it stands, which
//! abandons an in-flight request and closes its connection (see [`cancellable`]).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use botsplash::{ApiKeyPlacement, ClientBuilder};
use futures_util::FutureExt;
use futures_util::future::{self, Either};
use napi::bindgen_prelude::{ClassInstance, Object, PromiseRaw, Status, Unknown};
use napi::{Env, ValueType};
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::Notify;

/// Prefix of the message of every SDK error handed to JS; `index.js` looks for it.
const ERROR_MARK: &str = "botsplash-error:";

/// The constructor's options, in `index.d.ts`'s spelling. Anything else is a ConfigError, so
/// a typo (`timeout: 5` meant as seconds, `apikey`) fails loudly instead of being ignored.
const OPTION_NAMES: [&str; 12] = [
    "appId",
    "apiKey",
    "username",
    "password",
    "apiKeyIn",
    "baseUrl",
    "timeoutMs",
    "connectTimeoutMs",
    "maxRetries",
    "retryUnknownOutcome",
    "batchSize",
    "bulkConcurrency",
];

fn sdk_error(err: &botsplash::Error) -> napi::Error {
    marked(err.to_json())
}

fn marked(payload: Value) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{ERROR_MARK}{payload}"))
}

fn config_error(message: String) -> napi::Error {
    sdk_error(&botsplash::Error::config(message))
}

/// JSON the core never saw because it does not parse (nested too deep, lone surrogates).
fn invalid_json(path: &str, err: &serde_json::Error) -> napi::Error {
    let detail = format!("cannot be read as JSON ({err})");
    sdk_error(&botsplash::Error::validation(vec![
        botsplash::FieldError::new(path, detail),
    ]))
}

/// Runs `fut`, turning a panic into a rejected Promise. napi also catches panics in spawned
/// tasks, but only reports `&str` payloads by text; this keeps the message and does not depend
/// on napi's internals to settle the Promise.
///
/// Combinators rather than an `async fn`: an `async fn` keeps its argument and the future it
/// awaits in separate slots, doubling the future's size.
fn guard<T>(fut: impl Future<Output = napi::Result<T>>) -> impl Future<Output = napi::Result<T>> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .map(|caught| match caught {
            Ok(result) => result,
            Err(payload) => Err(napi::bindgen_prelude::panic_to_error(payload)),
        })
}

/// The cancellation of every call made with one `AbortSignal`: `index.js` makes one per
/// signal and calls [`abort`](NativeCancel::abort) when the signal fires. One per signal
/// rather than per call, so that a signal reused for thousands of calls costs no object per
/// call; an abort is final, as a signal's is.
#[napi]
pub struct NativeCancel {
    state: Arc<CancelState>,
}

struct CancelState {
    aborted: AtomicBool,
    notify: Notify,
}

impl CancelState {
    /// Completes once [`NativeCancel::abort`] has been called, at once if it already was.
    async fn aborted(&self) {
        loop {
            let mut notified = std::pin::pin!(self.notify.notified());
            // Registered before the flag is read, so an abort in between still wakes it.
            notified.as_mut().enable();
            if self.aborted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

#[napi]
impl NativeCancel {
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeCancel {
            state: Arc::new(CancelState {
                aborted: AtomicBool::new(false),
                notify: Notify::new(),
            }),
        }
    }

    /// Drops every operation started with this token at its next poll, and any started later
    /// before its first (then nothing is sent). Idempotent.
    #[napi(catch_unwind)]
    pub fn abort(&self) {
        self.state.aborted.store(true, Ordering::Release);
        self.state.notify.notify_waiters();
    }
}

/// The rejection of an aborted operation. `index.js` rejects the caller's Promise with the
/// signal's reason instead; this only settles the native Promise.
fn aborted() -> napi::Error {
    napi::Error::new(Status::Cancelled, "the operation was aborted")
}

/// Runs `fut` until it completes or `cancel` is aborted, whichever comes first. Aborting drops
/// `fut` at once: an HTTP request in flight is abandoned with its connection (the core never
/// returns a connection to its pool mid-exchange), and retries or bulk batches not yet sent
/// are never sent. Without a token `fut` runs as it always did.
///
/// `fut` is boxed first: an operation's future is about 5 KB, and every layer around it
/// (these, napi's, tokio's task) would otherwise copy it whole when the call is spawned.
fn cancellable<T, F>(
    fut: F,
    cancel: Option<ClassInstance<NativeCancel>>,
) -> impl Future<Output = napi::Result<T>> + use<T, F>
where
    F: Future<Output = napi::Result<T>>,
{
    let fut = Box::pin(fut);
    // Read here, on the JS thread, while the token's JS object is certainly alive.
    match cancel.map(|c| Arc::clone(&c.state)) {
        None => Either::Left(fut),
        Some(state) => Either::Right(async move {
            let abort = std::pin::pin!(state.aborted());
            // The abort is polled first: an operation aborted before it starts sends nothing.
            match future::select(abort, fut).await {
                // `fut` comes back unfinished and is dropped here.
                Either::Left(((), _unfinished)) => Err(aborted()),
                Either::Right((result, _)) => result,
            }
        }),
    }
}

fn parse_json(text: &str, path: &str) -> napi::Result<Value> {
    serde_json::from_str(text).map_err(|e| invalid_json(path, &e))
}

fn type_name(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external",
        _ => "an unknown value",
    }
}

/// One option's value: `None` when absent, `undefined` or `null` (all mean "not given", so the
/// environment fallback applies), else the value if it has the expected JS type.
fn option<'a>(
    options: &Object<'a>,
    name: &str,
    want: ValueType,
    what: &str,
) -> napi::Result<Option<Unknown<'a>>> {
    let Some(value) = options.get::<Unknown>(name)? else {
        return Ok(None);
    };
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(None),
        ty if ty == want => Ok(Some(value)),
        ty => Err(config_error(format!(
            "{name} must be {what}, not {}",
            type_name(ty)
        ))),
    }
}

fn string_option(options: &Object, name: &str) -> napi::Result<Option<String>> {
    // SAFETY: `option` checked that the value is a string.
    option(options, name, ValueType::String, "a string")?
        .map(|v| unsafe { v.cast::<String>() })
        .transpose()
}

fn bool_option(options: &Object, name: &str) -> napi::Result<Option<bool>> {
    // SAFETY: `option` checked that the value is a boolean.
    option(options, name, ValueType::Boolean, "a boolean")?
        .map(|v| unsafe { v.cast::<bool>() })
        .transpose()
}

fn number_option(options: &Object, name: &str, what: &str) -> napi::Result<Option<f64>> {
    // SAFETY: `option` checked that the value is a number.
    option(options, name, ValueType::Number, what)?
        .map(|v| unsafe { v.cast::<f64>() })
        .transpose()
}

/// A non-negative whole number option (`maxRetries`, `batchSize`); ranges are the core's call.
fn count_option(options: &Object, name: &str) -> napi::Result<Option<u64>> {
    const WHAT: &str = "a non-negative integer";
    match number_option(options, name, WHAT)? {
        None => Ok(None),
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => {
            Ok(Some(n as u64))
        }
        Some(n) => Err(config_error(format!("{name} must be {WHAT}, not {n}"))),
    }
}

/// A duration given in milliseconds. Zero and the upper bound are the core's call; a value
/// that no `Duration` can hold (negative, NaN, infinite) is refused here, never clamped.
fn millis_option(options: &Object, name: &str) -> napi::Result<Option<Duration>> {
    const WHAT: &str = "a positive number of milliseconds";
    match number_option(options, name, WHAT)? {
        None => Ok(None),
        Some(ms) => Duration::try_from_secs_f64(ms / 1000.0)
            .map(Some)
            .map_err(|_| config_error(format!("{name} must be {WHAT}, not {ms}"))),
    }
}

fn builder_from_options(options: Option<&Object>) -> napi::Result<ClientBuilder> {
    let mut builder = ClientBuilder::new().language("node");
    let Some(options) = options else {
        return Ok(builder);
    };
    for key in Object::keys(options)? {
        if !OPTION_NAMES.contains(&key.as_str()) {
            return Err(config_error(format!(
                "unknown option {key:?}; the options are {}",
                OPTION_NAMES.join(", ")
            )));
        }
    }
    if let Some(v) = string_option(options, "appId")? {
        builder = builder.app_id(v);
    }
    if let Some(v) = string_option(options, "apiKey")? {
        builder = builder.api_key(v);
    }
    if let Some(v) = string_option(options, "username")? {
        builder = builder.username(v);
    }
    if let Some(v) = string_option(options, "password")? {
        builder = builder.password(v);
    }
    if let Some(v) = string_option(options, "apiKeyIn")? {
        let placement = ApiKeyPlacement::parse(&v).ok_or_else(|| {
            config_error(format!("apiKeyIn must be 'query' or 'body', not {v:?}"))
        })?;
        builder = builder.api_key_placement(placement);
    }
    if let Some(v) = string_option(options, "baseUrl")? {
        builder = builder.base_url(v);
    }
    if let Some(v) = millis_option(options, "timeoutMs")? {
        builder = builder.timeout(v);
    }
    if let Some(v) = millis_option(options, "connectTimeoutMs")? {
        builder = builder.connect_timeout(v);
    }
    if let Some(v) = count_option(options, "maxRetries")? {
        builder = builder.max_retries(v as u32);
    }
    if let Some(v) = bool_option(options, "retryUnknownOutcome")? {
        builder = builder.retry_unknown_outcome(v);
    }
    if let Some(v) = count_option(options, "batchSize")? {
        builder = builder.batch_size(v as usize);
    }
    if let Some(v) = count_option(options, "bulkConcurrency")? {
        builder = builder.bulk_concurrency(v as usize);
    }
    Ok(builder)
}

/// ListenerRequestResult: `{ success, requestId }`.
#[napi(object)]
pub struct ListenerResult {
    pub success: bool,
    pub request_id: String,
}

impl From<botsplash::ListenerResult> for ListenerResult {
    fn from(r: botsplash::ListenerResult) -> Self {
        ListenerResult {
            success: r.success,
            request_id: r.request_id,
        }
    }
}

/// The LendingTree answer: its HTTP status and XML.
#[napi(object)]
pub struct LendingTreeResponse {
    pub status: u32,
    pub xml: String,
}

/// What a client is configured with, without any secret (for `inspect`, `toJSON`, `config`).
#[napi(object)]
pub struct ClientInfo {
    pub app_id: String,
    /// `basic`, `api_key_query` or `api_key_body`.
    pub auth: String,
    pub username: Option<String>,
    pub base_url: String,
    pub timeout_ms: f64,
    pub connect_timeout_ms: f64,
    pub max_retries: u32,
    pub retry_unknown_outcome: bool,
    pub batch_size: u32,
    pub bulk_concurrency: u32,
    pub user_agent: String,
}

/// The native client behind `index.js`'s `Client`. Holds the async core client, whose
/// connection pool lives on napi's tokio runtime and is shared by every call.
#[napi]
pub struct NativeClient {
    inner: botsplash::Client,
}

#[napi]
impl NativeClient {
    /// `env` is `process.env` of the calling thread: reading the fallbacks from JS's view of
    /// the environment keeps a worker thread's own `env` working as Node users expect.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: Option<Object>, env: Option<Object>) -> napi::Result<Self> {
        let builder = builder_from_options(options.as_ref())?;
        let config = builder
            .build_config_with_env(|name| {
                env.as_ref()
                    .and_then(|e| e.get::<String>(name).ok().flatten())
            })
            .map_err(|e| sdk_error(&e))?;
        let inner = botsplash::Client::new(config).map_err(|e| sdk_error(&e))?;
        Ok(NativeClient { inner })
    }

    #[napi(catch_unwind)]
    pub fn info(&self) -> ClientInfo {
        let c = self.inner.config();
        ClientInfo {
            app_id: c.app_id().to_owned(),
            auth: c.auth_kind().as_str().to_owned(),
            username: c.username().map(str::to_owned),
            base_url: c.base_url().to_owned(),
            timeout_ms: c.timeout().as_secs_f64() * 1000.0,
            connect_timeout_ms: c.connect_timeout().as_secs_f64() * 1000.0,
            max_retries: c.max_retries(),
            retry_unknown_outcome: c.retry_unknown_outcome(),
            batch_size: u32::try_from(c.batch_size()).unwrap_or(u32::MAX),
            bulk_concurrency: u32::try_from(c.bulk_concurrency()).unwrap_or(u32::MAX),
            user_agent: c.user_agent().to_owned(),
        }
    }

    // The operations are synchronous functions that spawn their future (rather than
    // `async fn`s) so that the cancellation token is read here, on the JS thread, while its
    // JS object is certainly alive.

    /// `visitor` is JSON text (see the module docs).
    #[napi(catch_unwind, ts_return_type = "Promise<ListenerResult>")]
    pub fn submit_visitor<'env>(
        &self,
        env: &'env Env,
        listener_id: String,
        visitor: String,
        message: Option<String>,
        cancel: Option<ClassInstance<NativeCancel>>,
    ) -> napi::Result<PromiseRaw<'env, ListenerResult>> {
        let client = self.inner.clone();
        env.spawn_future(guard(cancellable(
            async move {
                let visitor = botsplash::VisitorPayload::from_json(&visitor)
                    .map_err(|e| invalid_json("visitor", &e))?;
                client
                    .listeners()
                    .submit_visitor(&listener_id, visitor, message.as_deref())
                    .await
                    .map(ListenerResult::from)
                    .map_err(|e| sdk_error(&e))
            },
            cancel,
        )))
    }

    /// Starts a bulk submission; `index.js` fills it chunk by chunk (see [`NativeBulk`]).
    #[napi(catch_unwind)]
    pub fn bulk(&self, listener_id: String, message: Option<String>) -> NativeBulk {
        NativeBulk {
            client: self.inner.clone(),
            state: Arc::new(Mutex::new(Some(Pending {
                builder: botsplash::PreparedBulk::builder(&listener_id, message.as_deref()),
                unreadable: None,
            }))),
        }
    }

    #[napi(catch_unwind, ts_return_type = "Promise<LendingTreeResponse>")]
    pub fn submit_lending_tree_lead<'env>(
        &self,
        env: &'env Env,
        listener_id: String,
        xml: String,
        cancel: Option<ClassInstance<NativeCancel>>,
    ) -> napi::Result<PromiseRaw<'env, LendingTreeResponse>> {
        let client = self.inner.clone();
        env.spawn_future(guard(cancellable(
            async move {
                client
                    .listeners()
                    .submit_lendingtree_lead(&listener_id, &xml)
                    .await
                    .map(|r| LendingTreeResponse {
                        status: u32::from(r.status),
                        xml: r.xml,
                    })
                    .map_err(|e| sdk_error(&e))
            },
            cancel,
        )))
    }

    /// `visitor` is JSON text, or absent.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn send_message<'env>(
        &self,
        env: &'env Env,
        text: String,
        visitor: Option<String>,
        cancel: Option<ClassInstance<NativeCancel>>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let client = self.inner.clone();
        env.spawn_future(guard(cancellable(
            async move {
                let visitor = visitor.map(|v| parse_json(&v, "visitor")).transpose()?;
                client
                    .messages()
                    .send(&text, visitor)
                    .await
                    .map_err(|e| sdk_error(&e))
            },
            cancel,
        )))
    }
}

/// A bulk submission being filled: `index.js` walks the caller's iterable, stringifies a chunk
/// of visitors at a time and hands each chunk's JSON text to [`push`](NativeBulk::push), which
/// parses, validates and encodes it on the runtime while the JS thread prepares the next one.
/// So neither the caller's whole list of objects nor one JSON text of all of them ever exists;
/// the core keeps each visitor only as its encoded JSON. Nothing is sent before
/// [`submit`](NativeBulk::submit), which reports every validation error at once.
#[napi]
pub struct NativeBulk {
    client: botsplash::Client,
    /// `None` once submitted. The lock is never held across an await: `index.js` awaits each
    /// push before starting the next, and the lock only keeps a misuse from tearing a chunk.
    state: Arc<Mutex<Option<Pending>>>,
}

struct Pending {
    builder: botsplash::BulkBuilder,
    /// The first visitor text that does not parse as a value (nested too deep, a lone
    /// surrogate). It is the whole call's error, as before: the rest is not worth validating.
    unreadable: Option<serde_json::Error>,
}

impl Pending {
    /// `chunk` is the JSON text of an array of the next visitors, in order; each is parsed from
    /// its slice of the text only while the core validates and encodes it.
    fn push_chunk(&mut self, chunk: &str) {
        if self.unreadable.is_none() {
            self.unreadable = self.builder.push_json_array(chunk).err();
        }
    }
}

/// The state of a bulk submission that was already sent or whose filling panicked: only
/// reachable by calling the internal API out of order.
fn bulk_not_open() -> napi::Error {
    napi::Error::new(
        Status::InvalidArg,
        "this bulk submission was already submitted or failed",
    )
}

#[napi]
impl NativeBulk {
    /// Adds the next visitors: `chunk` is the JSON text of an array. Resolves once they are
    /// validated and encoded; validation errors wait for [`submit`](NativeBulk::submit).
    #[napi(catch_unwind)]
    pub async fn push(&self, chunk: String) -> napi::Result<()> {
        let state = Arc::clone(&self.state);
        guard(async move {
            let mut state = state.lock().map_err(|_| bulk_not_open())?;
            state.as_mut().ok_or_else(bulk_not_open)?.push_chunk(&chunk);
            Ok(())
        })
        .await
    }

    /// Validates the whole submission (every field error at once) and sends it in batches;
    /// results in input order. Aborting `cancel` drops the batches in flight and sends no
    /// more; which of them the server accepted is then unknown to the caller.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<ListenerResult>>")]
    pub fn submit<'env>(
        &self,
        env: &'env Env,
        cancel: Option<ClassInstance<NativeCancel>>,
    ) -> napi::Result<PromiseRaw<'env, Vec<ListenerResult>>> {
        let client = self.client.clone();
        let state = Arc::clone(&self.state);
        env.spawn_future(guard(cancellable(
            async move {
                let pending = state
                    .lock()
                    .map_err(|_| bulk_not_open())?
                    .take()
                    .ok_or_else(bulk_not_open)?;
                if let Some(e) = pending.unreadable {
                    return Err(invalid_json("visitors", &e));
                }
                let prepared = pending.builder.finish().map_err(|e| sdk_error(&e))?;
                client
                    .listeners()
                    .submit_prepared_salesforce_visitors(prepared)
                    .await
                    .map(|results| results.into_iter().map(ListenerResult::from).collect())
                    .map_err(|e| sdk_error(&e))
            },
            cancel,
        )))
    }
}

/// Panics on purpose, synchronously or inside a Promise, so the test suite can prove that a
/// panic becomes a JS error and never aborts Node or strands a Promise. Not part of the API.
#[napi(js_name = "__panicProbe", catch_unwind)]
pub fn panic_probe(message: String) -> napi::Result<()> {
    panic!("{message}");
}

/// The async half of [`panic_probe`]: the panic happens on the runtime, after the Promise
/// was handed to JS.
#[napi(js_name = "__panicProbeAsync", catch_unwind)]
pub async fn panic_probe_async(message: String) -> napi::Result<()> {
    guard(async move {
        tokio_yield().await;
        panic!("{message}")
    })
    .await
}

/// Lets the runtime switch tasks once, so the panic in [`panic_probe_async`] happens after
/// the function has returned its Promise rather than on the first poll.
async fn tokio_yield() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}
