//! HTTP: one POST with its retries. Every answer and transport failure is classified here
//! once, by whether the request could have reached processing (DESIGN.md "Retries").

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};

use crate::config::{Config, Credentials};
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
    pub url: Url,
    pub body: Bytes,
}

/// A 2xx answer, fully read.
pub(crate) struct Response {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Bytes,
    /// Retries made before this answer.
    pub retries: u32,
}

/// Builds the pooled HTTP client for one configuration.
pub(crate) fn http_client(cfg: &Config) -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    let ua = HeaderValue::from_str(&cfg.user_agent).map_err(|_| Error::config("invalid user agent"))?;
    headers.insert(USER_AGENT, ua);
    if let Credentials::Basic { header, .. } = &cfg.credentials {
        headers.insert(AUTHORIZATION, header.clone());
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(cfg.connect_timeout)
        .timeout(cfg.timeout)
        // Credentials must never follow a redirect to another host; the API does not redirect.
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::config(format!("could not build the HTTP client: {}", source_text(&e))))
}

/// Sends `req`, retrying as the policy allows; returns the 2xx answer or the final error.
pub(crate) async fn execute(cfg: &Config, http: &reqwest::Client, req: &Request) -> Result<Response> {
    let mut attempt: u32 = 0;
    loop {
        log::debug!(target: "botsplash", "{} attempt {}", req.op.as_str(), attempt + 1);
        let failure = match send_once(cfg, http, req).await {
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

async fn send_once(cfg: &Config, http: &reqwest::Client, req: &Request) -> std::result::Result<Response, Failure> {
    let (content_type, accept) = if req.op.is_xml() {
        ("application/xml", "application/xml, text/xml")
    } else {
        ("application/json", "application/json")
    };
    let sent = http
        .post(req.url.clone())
        .header(CONTENT_TYPE, content_type)
        .header(ACCEPT, accept)
        .body(req.body.clone())
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => return Err(transport_failure(cfg, &e)),
    };
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry::parse_retry_after);
    let body = read_capped(response).await.map_err(|mut f| {
        f.error = f.error.with_status(status.as_u16()).with_request_id(request_id.clone());
        f
    })?;
    if status.is_success() {
        return Ok(Response { status: status.as_u16(), request_id, body, retries: 0 });
    }
    Err(status_failure(req.op, status, request_id, retry_after, &body))
}

async fn read_capped(mut response: reqwest::Response) -> std::result::Result<Bytes, Failure> {
    let too_big = || Failure {
        error: Error::new(
            ErrorKind::Decode,
            format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes; refused"),
        )
        .with_outcome_unknown(true),
        retry: Retry::Never,
    };
    if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        return Err(too_big());
    }
    let mut buf = Vec::with_capacity(response.content_length().unwrap_or(256) as usize);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(too_big());
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Err(e) => {
                let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Connection };
                return Err(Failure {
                    error: Error::new(kind, format!("the connection failed while reading the answer: {}", source_text(&e)))
                        .with_outcome_unknown(true),
                    retry: Retry::UnknownOutcome,
                });
            }
        }
    }
}

fn transport_failure(cfg: &Config, e: &reqwest::Error) -> Failure {
    let reason = source_text(e);
    if e.is_connect() {
        // Nothing reached the server: always safe to retry.
        let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Connection };
        let message = if e.is_timeout() {
            format!("could not connect within {:?}: {reason}", cfg.connect_timeout)
        } else {
            format!("could not connect: {reason}")
        };
        return Failure { error: Error::new(kind, message), retry: Retry::NotSent };
    }
    let error = if e.is_timeout() {
        Error::new(ErrorKind::Timeout, format!("no answer within {:?}; the request may have been processed", cfg.timeout))
    } else {
        Error::new(ErrorKind::Connection, format!("the connection was lost; the request may have been processed: {reason}"))
    };
    Failure { error: error.with_outcome_unknown(true), retry: Retry::UnknownOutcome }
}

fn status_failure(
    op: Operation,
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Failure {
    let code = status.as_u16();
    let server_says = server_message(op, body);
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

/// The causes of a reqwest error, without the URL (which can hold `api_key=`).
fn source_text(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(
            if e.is_timeout() { "timed out" } else if e.is_connect() { "connect error" } else { "transport error" }
                .to_owned(),
        );
    }
    parts.join(": ")
}
