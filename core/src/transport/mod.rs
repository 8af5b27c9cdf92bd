//! HTTP: one POST with its retries. Every answer and transport failure is classified here
//! once, by whether the request could have reached processing (DESIGN.md "Retries").
//!
//! Two ways to reach the server, chosen once per client:
//! * [`direct`]: hyper's HTTP/1.1 connections driven by the SDK itself, with its own small
//!   pool and rustls. The normal case, and the fast one: a call costs about half the client
//!   CPU of going through reqwest (BENCHMARKS.md), which is what lets the blocking client beat
//!   libcurl.
//! * [`proxied`]: reqwest, when the environment names a proxy (`HTTPS_PROXY`, `ALL_PROXY`...),
//!   so that corporate proxies and `NO_PROXY` keep working exactly as reqwest handles them.

mod direct;
mod proxied;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::retry::{self, Retry};

/// Answers larger than this are refused as a decode error rather than buffered: a bulk batch
/// of the maximum size answers in well under 1 MiB.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The API operations, named as in DESIGN.md (and in the mock server's ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    SubmitVisitor,
    SubmitSalesforceVisitors,
    SubmitLendingTreeLead,
    SendMessage,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SubmitVisitor => "submit_visitor",
            Operation::SubmitSalesforceVisitors => "submit_salesforce_visitors",
            Operation::SubmitLendingTreeLead => "submit_lendingtree_lead",
            Operation::SendMessage => "send_message",
        }
    }

    fn is_xml(self) -> bool {
        self == Operation::SubmitLendingTreeLead
    }
}

/// A request ready to send (validated, encoded, URL built): retries resend it unchanged.
pub(crate) struct Request {
    pub op: Operation,
    pub target: Arc<Target>,
    pub body: Bytes,
}

/// Where a request goes: its full URL (for the proxied transport) and the same as the
/// origin-form URI an HTTP/1.1 request line carries (for the direct one).
pub(crate) struct Target {
    pub url: Url,
    uri: Option<hyper::Uri>,
}

/// The targets a client has posted to, built once each: building a URL (percent-encoding
/// every segment) and parsing it again as a URI cost more than the rest of the SDK's own
/// work on a call. Keyed by operation and listener id; a program uses a handful.
#[derive(Default)]
struct Targets(Mutex<Vec<(Operation, String, Arc<Target>)>>);

/// More distinct listeners than this and the cache starts over (it never grows unbounded).
const MAX_TARGETS: usize = 64;

impl Targets {
    fn get(&self, op: Operation, listener_id: &str, build: impl FnOnce() -> Url) -> Arc<Target> {
        let mut targets = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, target)) = targets.iter().find(|(o, id, _)| *o == op && id == listener_id) {
            return target.clone();
        }
        let url = build();
        // Every segment was percent-encoded by `Url`: the path and query always parse.
        let uri = url[url::Position::BeforePath..].parse().ok();
        let target = Arc::new(Target { url, uri });
        if targets.len() >= MAX_TARGETS {
            targets.clear();
        }
        targets.push((op, listener_id.to_owned(), target.clone()));
        target
    }
}

/// A 2xx answer, fully read.
pub(crate) struct Response {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Bytes,
    /// Retries made before this answer.
    pub retries: u32,
}

/// What one attempt got back before its status is judged.
pub(crate) struct Answer {
    pub status: u16,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

/// The connection pool of one client (or of one thread's driver), over one of the two
/// transports. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Http(Arc<(Transport, Targets)>);

// One per client, behind an `Arc`: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Transport {
    Direct(direct::Pool),
    Proxied(reqwest::Client),
}

impl Http {
    pub(crate) fn new(cfg: &Config) -> Result<Http> {
        let transport = if proxied::proxy_configured(&cfg.base_url) {
            Transport::Proxied(proxied::client(cfg)?)
        } else {
            Transport::Direct(direct::Pool::new(cfg)?)
        };
        Ok(Http(Arc::new((transport, Targets::default()))))
    }

    /// The target of `op` for `listener_id` (empty for the message endpoint), built with
    /// `build` the first time.
    pub(crate) fn target(&self, op: Operation, listener_id: &str, build: impl FnOnce() -> Url) -> Arc<Target> {
        self.0.1.get(op, listener_id, build)
    }

    async fn send_once(&self, cfg: &Config, req: &Request) -> std::result::Result<Response, Failure> {
        let answer = match &self.0.0 {
            Transport::Direct(pool) => pool.send(cfg, req).await?,
            Transport::Proxied(client) => proxied::send(cfg, client, req).await?,
        };
        if (200..300).contains(&answer.status) {
            return Ok(Response { status: answer.status, request_id: answer.request_id, body: answer.body, retries: 0 });
        }
        Err(status_failure(req.op, answer))
    }
}

/// The `Content-Type` and `Accept` of an operation's requests.
fn content_types(op: Operation) -> (&'static str, &'static str) {
    if op.is_xml() {
        ("application/xml", "application/xml, text/xml")
    } else {
        ("application/json", "application/json")
    }
}

fn too_big() -> Failure {
    Failure {
        error: Error::new(ErrorKind::Decode, format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes; refused"))
            .with_outcome_unknown(true),
        retry: Retry::Never,
    }
}

/// Sends `req`, retrying as the policy allows; returns the 2xx answer or the final error.
pub(crate) async fn execute(cfg: &Config, http: &Http, req: &Request) -> Result<Response> {
    let mut attempt: u32 = 0;
    loop {
        log::debug!(target: "botsplash", "{} attempt {}", req.op.as_str(), attempt + 1);
        let failure = match http.send_once(cfg, req).await {
            Ok(response) => return Ok(Response { retries: attempt, ..response }),
            Err(failure) => failure,
        };
        match retry::decide(cfg, &failure.retry, attempt) {
            Some(delay) => {
                // Kind and status only: server text could echo a phone number or a key.
                log::info!(
                    target: "botsplash",
                    "{} failed ({}{}), retry {} of {} in {:.2}s",
                    req.op.as_str(),
                    failure.error.kind(),
                    failure.error.status().map(|s| format!(", HTTP {s}")).unwrap_or_default(),
                    attempt + 1,
                    cfg.max_retries,
                    delay.as_secs_f64()
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            None => {
                let mut error = failure.error.with_retries(attempt).scrub(&cfg.secrets());
                if let Retry::RateLimited { retry_after: Some(ra) } = failure.retry {
                    if ra > retry::MAX_RETRY_AFTER {
                        error = Error::new(
                            ErrorKind::RateLimited,
                            format!(
                                "{} (the server asked to wait {}s, more than the {}s this SDK waits)",
                                error.message(),
                                ra.as_secs(),
                                retry::MAX_RETRY_AFTER.as_secs()
                            ),
                        )
                        .with_status(429)
                        .with_request_id(error.request_id().map(String::from))
                        .with_retry_after(Some(ra))
                        .with_retries(attempt);
                    }
                }
                log::debug!(
                    target: "botsplash",
                    "{} gave up after {} retries: {}{}",
                    req.op.as_str(),
                    attempt,
                    error.kind(),
                    error.status().map(|s| format!(", HTTP {s}")).unwrap_or_default()
                );
                return Err(error);
            }
        }
    }
}

/// A failed attempt: the error to report and what the retry policy may do about it.
pub(crate) struct Failure {
    pub error: Error,
    pub retry: Retry,
}

fn status_failure(op: Operation, answer: Answer) -> Failure {
    let Answer { status: code, request_id, retry_after, body } = answer;
    let server_says = server_message(op, &body);
    let (kind, what, retry) = match code {
        401 | 403 => (ErrorKind::Authentication, "authentication failed", Retry::Never),
        404 => (ErrorKind::NotFound, "not found (check the app id and listener id)", Retry::Never),
        429 => (ErrorKind::RateLimited, "rate limited", Retry::RateLimited { retry_after }),
        500..=599 => (ErrorKind::Api, "server error; the request may have been processed", Retry::UnknownOutcome),
        _ => (ErrorKind::Api, "request rejected", Retry::Never),
    };
    let message = match server_says {
        Some(text) => format!("{what} (HTTP {code}): {text}"),
        None => format!("{what} (HTTP {code})"),
    };
    let error = Error::new(kind, message)
        .with_status(code)
        .with_request_id(request_id)
        .with_retry_after(retry_after)
        .with_outcome_unknown(matches!(retry, Retry::UnknownOutcome));
    Failure { error, retry }
}

/// What an error body says: `{message}` JSON, or the text of an XML error body, or a short
/// plain-text body; `None` for anything else (an HTML page says nothing useful).
fn server_message(op: Operation, body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(err) = serde_json::from_str::<crate::models::ErrorResponse>(text) {
        return Some(err.message);
    }
    if text.starts_with('<') {
        if op.is_xml() || !text.to_ascii_lowercase().contains("<html") {
            return crate::xml::error_text(text).map(|t| truncate(&t, 500));
        }
        return None;
    }
    Some(truncate(text, 200))
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// An error's chain of causes as one line, each text once. Transport errors never include
/// the URL here (it can hold `api_key=`): hyper's and io's texts do not, and reqwest's URL is
/// left out by walking only its sources.
fn cause_text(e: &(dyn std::error::Error + 'static), fallback: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(fallback.to_owned());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_built_once_per_operation_and_listener() {
        let targets = Targets::default();
        let url = |path: &str| Url::parse(&format!("http://127.0.0.1:1/app/{path}?api_key=k")).unwrap();
        let a = targets.get(Operation::SubmitVisitor, "l1", || url("listener/botsplash/l1"));
        let again = targets.get(Operation::SubmitVisitor, "l1", || panic!("built twice"));
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(a.uri.as_ref().unwrap().to_string(), "/app/listener/botsplash/l1?api_key=k");
        let other_op = targets.get(Operation::SubmitSalesforceVisitors, "l1", || url("listener/salesforce/l1"));
        assert_eq!(other_op.url.path(), "/app/listener/salesforce/l1");
        // Past the bound the cache starts over and still answers right.
        for n in 0..(MAX_TARGETS * 2) {
            let id = format!("x{n}");
            let t = targets.get(Operation::SubmitVisitor, &id, || url(&format!("listener/botsplash/{id}")));
            assert_eq!(t.url.path(), format!("/app/listener/botsplash/{id}"));
        }
        assert!(targets.0.lock().unwrap().len() <= MAX_TARGETS);
    }
}
