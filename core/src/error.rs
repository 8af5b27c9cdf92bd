//! The one error type of the SDK. Every binding maps [`ErrorKind`] onto its own idiom
//! (Python exception classes, Node `.code`, C `bs_status`), so the kinds, their codes and the
//! fields every error carries are fixed here and nowhere else.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::models::ListenerResult;

/// What went wrong, in the terms of DESIGN.md's error table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad client options, found when the client is built.
    Config,
    /// Bad input, found before anything was sent.
    Validation,
    /// HTTP 401 or 403.
    Authentication,
    /// HTTP 404: unknown app or listener.
    NotFound,
    /// HTTP 429 that the retry budget (or a Retry-After over 60 s) did not get past.
    RateLimited,
    /// Any other non-2xx answer.
    Api,
    /// No answer in time.
    Timeout,
    /// Could not connect, or the connection was lost.
    Connection,
    /// The answer is not what the API documentation promises.
    Decode,
    /// A bulk submission where some batches were accepted and others were not.
    PartialBulk,
}

impl ErrorKind {
    /// Every kind, in DESIGN.md's order (bindings and tests iterate over it).
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Config,
        ErrorKind::Validation,
        ErrorKind::Authentication,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Api,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Decode,
        ErrorKind::PartialBulk,
    ];

    /// The snake_case name used in conformance cases and JSON (`rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Validation => "validation",
            ErrorKind::Authentication => "authentication",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Api => "api",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Decode => "decode",
            ErrorKind::PartialBulk => "partial_bulk",
        }
    }

    /// The upper-case code Node exposes as `error.code` (`RATE_LIMITED`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "CONFIG",
            ErrorKind::Validation => "VALIDATION",
            ErrorKind::Authentication => "AUTHENTICATION",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Api => "API",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Connection => "CONNECTION",
            ErrorKind::Decode => "DECODE",
            ErrorKind::PartialBulk => "PARTIAL",
        }
    }

    /// The exception class name Python and C# use (`RateLimitError`).
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Config => "ConfigError",
            ErrorKind::Validation => "ValidationError",
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::RateLimited => "RateLimitError",
            ErrorKind::Api => "APIError",
            ErrorKind::Timeout => "APITimeoutError",
            ErrorKind::Connection => "APIConnectionError",
            ErrorKind::Decode => "DecodeError",
            ErrorKind::PartialBulk => "PartialBulkError",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid input field: where it is (`visitors[3].tzName`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What a bulk submission achieved before one of its batches failed.
///
/// `results` has one slot per input visitor, in input order: `Some` where the server confirmed
/// the visitor, `None` where it did not. `unconfirmed` lists the `None` indices: visitors in the
/// failed batch and in batches never started. Resend only those (and only after checking
/// `outcome_unknown` on the error: the failed batch may have arrived).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartialBulk {
    pub results: Vec<Option<ListenerResult>>,
    pub unconfirmed: Vec<usize>,
    /// The kind of the batch failure that stopped the submission.
    pub cause: ErrorKind,
}

/// The SDK's error. Carries no credential: messages are built by the SDK itself, never copied
/// from a transport error that could hold a URL with `api_key=` in it.
#[derive(Clone, PartialEq, Serialize)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
    retries: u32,
    outcome_unknown: bool,
    #[serde(serialize_with = "serialize_secs")]
    retry_after: Option<Duration>,
    field_errors: Vec<FieldError>,
    partial: Option<Box<PartialBulk>>,
}

fn serialize_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
            request_id: None,
            retries: 0,
            outcome_unknown: false,
            retry_after: None,
            field_errors: Vec::new(),
            partial: None,
        }
    }

    /// A configuration error; bindings use it for options of the wrong type in their language.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// A validation error listing `field_errors`; bindings use it for input their language
    /// could not even hand over (JSON that does not parse, a type that has no JSON form).
    pub fn validation(field_errors: Vec<FieldError>) -> Self {
        let listed: Vec<String> = field_errors.iter().map(ToString::to_string).collect();
        let mut err = Error::new(
            ErrorKind::Validation,
            format!("invalid input, nothing was sent: {}", listed.join("; ")),
        );
        err.field_errors = field_errors;
        err
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    pub(crate) fn with_outcome_unknown(mut self, unknown: bool) -> Self {
        self.outcome_unknown = unknown;
        self
    }

    pub(crate) fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    pub(crate) fn into_partial(self, partial: PartialBulk, message: String) -> Self {
        Error {
            kind: ErrorKind::PartialBulk,
            message,
            partial: Some(Box::new(partial)),
            ..self
        }
    }

    /// Removes every occurrence of the given secrets from the message: a last line of defence
    /// for text that came from the server (an error body could echo a key back).
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        self.message = crate::config::scrub(&self.message, secrets);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    /// The `x-request-id` of the failing answer, if the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// How many retries were made before giving up (0 = the first attempt failed for good).
    pub fn retries(&self) -> u32 {
        self.retries
    }
    /// True when the request may have reached the server and been processed: do not blindly
    /// resend a lead when this is set, the person may already have been texted.
    pub fn outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }
    /// For rate limiting: how long the server asked us to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// For validation errors: every invalid field with its path.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.field_errors
    }
    /// For partial bulk errors: what was accepted and which indices were not confirmed.
    pub fn partial(&self) -> Option<&PartialBulk> {
        self.partial.as_deref()
    }

    /// The error as JSON, for bindings that hand structured errors across a boundary.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = value.as_object_mut() {
            obj.insert("code".into(), self.kind.code().into());
        }
        value
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(status) = self.status {
            d.field("status", &status);
        }
        if let Some(id) = &self.request_id {
            d.field("request_id", id);
        }
        d.field("retries", &self.retries).field("outcome_unknown", &self.outcome_unknown);
        if let Some(ra) = self.retry_after {
            d.field("retry_after", &ra);
        }
        if !self.field_errors.is_empty() {
            d.field("field_errors", &self.field_errors);
        }
        if let Some(p) = &self.partial {
            d.field("unconfirmed", &p.unconfirmed.len());
        }
        d.finish()
    }
}

impl std::error::Error for Error {}
