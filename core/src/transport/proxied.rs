//! Requests through a proxy named by the environment, sent by reqwest (which reads
//! `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` itself, in either case).

use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};

use super::{Answer, Failure, MAX_RESPONSE_BYTES, Request, cause_text, content_types, too_big};
use crate::config::{Config, Credentials};
use crate::error::{Error, ErrorKind};
use crate::retry::{self, Retry};

/// Whether a proxy variable that applies to `base_url`'s scheme is set. `NO_PROXY` is left to
/// reqwest: a client that takes this path may still connect directly, only more slowly.
pub(super) fn proxy_configured(base_url: &Url) -> bool {
    let scheme_var = if base_url.scheme() == "https" { "https_proxy" } else { "http_proxy" };
    [scheme_var, "all_proxy"].iter().any(|name| {
        [name.to_string(), name.to_ascii_uppercase()]
            .iter()
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
    })
}

pub(super) fn client(cfg: &Config) -> crate::Result<reqwest::Client> {
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

pub(super) async fn send(cfg: &Config, http: &reqwest::Client, req: &Request) -> Result<Answer, Failure> {
    let (content_type, accept) = content_types(req.op);
    let sent = http
        .post(req.target.url.clone())
        .header(CONTENT_TYPE, content_type)
        .header(ACCEPT, accept)
        .body(req.body.clone())
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => return Err(transport_failure(cfg, &e)),
    };
    let status = response.status().as_u16();
    let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from);
    let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry::parse_retry_after);
    let body = read_capped(response).await.map_err(|mut f| {
        f.error = f.error.with_status(status).with_request_id(request_id.clone());
        f
    })?;
    Ok(Answer { status, request_id, retry_after, body })
}

async fn read_capped(mut response: reqwest::Response) -> Result<Bytes, Failure> {
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

/// The causes of a reqwest error, without the error itself (its text holds the URL, which
/// can hold `api_key=`).
fn source_text(e: &reqwest::Error) -> String {
    let fallback = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connect error"
    } else {
        "transport error"
    };
    match std::error::Error::source(e) {
        Some(source) => cause_text(source, fallback),
        None => fallback.to_owned(),
    }
}
