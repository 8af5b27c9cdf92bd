//! Status codes, the `bs_error` object and the panic guard every export runs inside.

use std::any::Any;
use std::ffi::CString;
use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

use sdk::ErrorKind;
use serde_json::{Value, json};

/// What a call returned. `BS_OK` is 0; every other value is an error whose details are in the
/// `bs_error` the call filled in (when the caller passed a place for one).
///
/// The values up to `BS_ERR_PARTIAL` are the SDK's error kinds, the same in every language
/// (Python and C# raise them as exception classes, Node reports them as `error.code`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bs_status {
    /// Success.
    BS_OK = 0,
    /// Bad client options (ConfigError), reported by `bs_client_new` / `bs_config_from_env`.
    BS_ERR_CONFIG = 1,
    /// Bad input found before anything was sent (ValidationError); see
    /// `bs_error_field_errors_json` for every invalid field with its path.
    BS_ERR_VALIDATION = 2,
    /// HTTP 401 or 403 (AuthenticationError).
    BS_ERR_AUTHENTICATION = 3,
    /// HTTP 404: unknown app or listener (NotFoundError).
    BS_ERR_NOT_FOUND = 4,
    /// HTTP 429 that retries did not get past (RateLimitError); see `bs_error_retry_after_ms`.
    BS_ERR_RATE_LIMITED = 5,
    /// Any other non-2xx answer (APIError).
    BS_ERR_API = 6,
    /// No answer in time (APITimeoutError).
    BS_ERR_TIMEOUT = 7,
    /// Could not connect, or the connection was lost (APIConnectionError).
    BS_ERR_CONNECTION = 8,
    /// The answer is not what the API documents (DecodeError).
    BS_ERR_DECODE = 9,
    /// A bulk submission of which only some batches were accepted (PartialBulkError); see
    /// `bs_error_partial_json`.
    BS_ERR_PARTIAL = 10,
    /// The C call itself is malformed: a required pointer is NULL, a string is not UTF-8, a JSON
    /// argument does not parse or is not the JSON type the parameter takes. Nothing was sent.
    BS_ERR_INVALID_ARGUMENT = 11,
    /// A bug in the library (a caught Rust panic). Nothing crossed the boundary; the handles
    /// stay usable, but please report the message.
    BS_ERR_INTERNAL = 12,
}

impl bs_status {
    /// Every status, in value order (used by `bs_status_name` and the tests).
    pub(crate) const ALL: [bs_status; 13] = [
        bs_status::BS_OK,
        bs_status::BS_ERR_CONFIG,
        bs_status::BS_ERR_VALIDATION,
        bs_status::BS_ERR_AUTHENTICATION,
        bs_status::BS_ERR_NOT_FOUND,
        bs_status::BS_ERR_RATE_LIMITED,
        bs_status::BS_ERR_API,
        bs_status::BS_ERR_TIMEOUT,
        bs_status::BS_ERR_CONNECTION,
        bs_status::BS_ERR_DECODE,
        bs_status::BS_ERR_PARTIAL,
        bs_status::BS_ERR_INVALID_ARGUMENT,
        bs_status::BS_ERR_INTERNAL,
    ];

    pub(crate) fn from_kind(kind: ErrorKind) -> bs_status {
        match kind {
            ErrorKind::Config => bs_status::BS_ERR_CONFIG,
            ErrorKind::Validation => bs_status::BS_ERR_VALIDATION,
            ErrorKind::Authentication => bs_status::BS_ERR_AUTHENTICATION,
            ErrorKind::NotFound => bs_status::BS_ERR_NOT_FOUND,
            ErrorKind::RateLimited => bs_status::BS_ERR_RATE_LIMITED,
            ErrorKind::Api => bs_status::BS_ERR_API,
            ErrorKind::Timeout => bs_status::BS_ERR_TIMEOUT,
            ErrorKind::Connection => bs_status::BS_ERR_CONNECTION,
            ErrorKind::Decode => bs_status::BS_ERR_DECODE,
            ErrorKind::PartialBulk => bs_status::BS_ERR_PARTIAL,
        }
    }

    /// The C constant's name, NUL-terminated for returning as a static C string.
    pub(crate) fn name_nul(self) -> &'static str {
        match self {
            bs_status::BS_OK => "BS_OK\0",
            bs_status::BS_ERR_CONFIG => "BS_ERR_CONFIG\0",
            bs_status::BS_ERR_VALIDATION => "BS_ERR_VALIDATION\0",
            bs_status::BS_ERR_AUTHENTICATION => "BS_ERR_AUTHENTICATION\0",
            bs_status::BS_ERR_NOT_FOUND => "BS_ERR_NOT_FOUND\0",
            bs_status::BS_ERR_RATE_LIMITED => "BS_ERR_RATE_LIMITED\0",
            bs_status::BS_ERR_API => "BS_ERR_API\0",
            bs_status::BS_ERR_TIMEOUT => "BS_ERR_TIMEOUT\0",
            bs_status::BS_ERR_CONNECTION => "BS_ERR_CONNECTION\0",
            bs_status::BS_ERR_DECODE => "BS_ERR_DECODE\0",
            bs_status::BS_ERR_PARTIAL => "BS_ERR_PARTIAL\0",
            bs_status::BS_ERR_INVALID_ARGUMENT => "BS_ERR_INVALID_ARGUMENT\0",
            bs_status::BS_ERR_INTERNAL => "BS_ERR_INTERNAL\0",
        }
    }

    /// The kind name and code for `bs_error_json`: the core's for its kinds, and names in the
    /// same style for the two statuses only the C layer has.
    fn kind_and_code(self) -> (&'static str, &'static str) {
        match ErrorKind::ALL.iter().find(|k| bs_status::from_kind(**k) == self) {
            Some(kind) => (kind.as_str(), kind.code()),
            None if self == bs_status::BS_ERR_INVALID_ARGUMENT => ("invalid_argument", "INVALID_ARGUMENT"),
            None => ("internal", "INTERNAL"),
        }
    }
}

/// Why a call failed, before it becomes a `bs_error`.
pub(crate) enum Failure {
    /// An error of the SDK core, carried whole.
    Core(sdk::Error),
    /// An error found by the C layer itself (bad pointer or string, a caught panic).
    Local { status: bs_status, message: String },
}

impl Failure {
    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::Local { status: bs_status::BS_ERR_INVALID_ARGUMENT, message: message.into() }
    }

    pub(crate) fn config(message: impl Into<String>) -> Failure {
        Failure::Local { status: bs_status::BS_ERR_CONFIG, message: message.into() }
    }

    pub(crate) fn decode(message: impl Into<String>) -> Failure {
        Failure::Local { status: bs_status::BS_ERR_DECODE, message: message.into() }
    }

    pub(crate) fn status(&self) -> bs_status {
        match self {
            Failure::Core(e) => bs_status::from_kind(e.kind()),
            Failure::Local { status, .. } => *status,
        }
    }

    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::Core(e) => e.message(),
            Failure::Local { message, .. } => message,
        }
    }
}

impl From<sdk::Error> for Failure {
    fn from(e: sdk::Error) -> Failure {
        Failure::Core(e)
    }
}

pub(crate) type FfiResult<T> = Result<T, Failure>;

/// The details of a failed call. Opaque: read it with the `bs_error_*` accessors and release
/// it with `bs_error_free`. The strings the accessors return belong to the error and stay
/// valid until it is freed.
pub struct bs_error {
    pub(crate) status: bs_status,
    pub(crate) message: CString,
    pub(crate) http_status: c_int,
    pub(crate) request_id: Option<CString>,
    pub(crate) retries: u32,
    pub(crate) outcome_unknown: bool,
    pub(crate) retry_after_ms: i64,
    pub(crate) field_errors_json: CString,
    pub(crate) partial_json: Option<CString>,
    pub(crate) json: CString,
}

/// A C string from text that may hold NUL bytes (a server message can): each NUL becomes
/// U+FFFD so the message is never cut short.
pub(crate) fn lossy_cstring(text: &str) -> CString {
    match CString::new(text) {
        Ok(s) => s,
        Err(_) => CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default(),
    }
}

fn json_cstring(value: &Value) -> CString {
    // Serialized JSON escapes control characters, so it never holds a raw NUL.
    lossy_cstring(&value.to_string())
}

impl bs_error {
    pub(crate) fn new(failure: Failure) -> bs_error {
        let status = failure.status();
        match failure {
            Failure::Core(e) => {
                let field_errors = serde_json::to_value(e.field_errors()).unwrap_or_else(|_| json!([]));
                let partial = e.partial().and_then(|p| serde_json::to_value(p).ok());
                bs_error {
                    status,
                    message: lossy_cstring(e.message()),
                    http_status: e.status().map_or(0, c_int::from),
                    request_id: e.request_id().map(lossy_cstring),
                    retries: e.retries(),
                    outcome_unknown: e.outcome_unknown(),
                    retry_after_ms: e.retry_after().map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
                    field_errors_json: json_cstring(&field_errors),
                    partial_json: partial.as_ref().map(json_cstring),
                    json: json_cstring(&e.to_json()),
                }
            }
            Failure::Local { message, .. } => {
                let (kind, code) = status.kind_and_code();
                // The same keys, in the same order, as the core's Error::to_json.
                let json = json!({
                    "kind": kind,
                    "message": message,
                    "status": null,
                    "request_id": null,
                    "retries": 0,
                    "outcome_unknown": false,
                    "retry_after": null,
                    "field_errors": [],
                    "partial": null,
                    "code": code,
                });
                bs_error {
                    status,
                    message: lossy_cstring(&message),
                    http_status: 0,
                    request_id: None,
                    retries: 0,
                    outcome_unknown: false,
                    retry_after_ms: -1,
                    field_errors_json: CString::from(c"[]"),
                    partial_json: None,
                    json: json_cstring(&json),
                }
            }
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    format!("internal error in libbotsplash (please report it): {what}")
}

/// Runs the body of an export that reports through `bs_status` + `bs_error**`.
///
/// `*err` is set to NULL first, so a caller can always free it afterwards; on failure it gets
/// a new `bs_error` (if `err` is not NULL). A panic is caught here and becomes
/// `BS_ERR_INTERNAL`: unwinding into C is undefined behaviour.
pub(crate) fn guard(err: *mut *mut bs_error, body: impl FnOnce() -> FfiResult<()>) -> bs_status {
    if !err.is_null() {
        // SAFETY: the caller passes NULL or a writable bs_error* slot (documented).
        unsafe { err.write(std::ptr::null_mut()) };
    }
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return bs_status::BS_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Local { status: bs_status::BS_ERR_INTERNAL, message: panic_message(&*payload) },
    };
    let status = failure.status();
    if !err.is_null() {
        // Building the error allocates; should even that panic, the status still gets out.
        if let Ok(boxed) = catch_unwind(AssertUnwindSafe(|| Box::new(bs_error::new(failure)))) {
            // SAFETY: as above.
            unsafe { err.write(Box::into_raw(boxed)) };
        }
    }
    status
}

/// Runs the body of an export that returns a plain value (accessors, `_free`): a panic gives
/// `fallback` instead of unwinding into C.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(err: *mut bs_error) -> Box<bs_error> {
        assert!(!err.is_null());
        unsafe { Box::from_raw(err) }
    }

    #[test]
    fn a_panic_becomes_internal_and_never_unwinds() {
        let mut err: *mut bs_error = std::ptr::null_mut();
        let status = guard(&mut err, || panic!("boom {}", 42));
        assert_eq!(status, bs_status::BS_ERR_INTERNAL);
        let err = take(err);
        assert_eq!(err.status, bs_status::BS_ERR_INTERNAL);
        assert!(err.message.to_str().unwrap().contains("boom 42"));
        let json: Value = serde_json::from_str(err.json.to_str().unwrap()).unwrap();
        assert_eq!(json["code"], "INTERNAL");

        // A static &str payload, and no error slot at all.
        assert_eq!(guard(std::ptr::null_mut(), || panic!("static")), bs_status::BS_ERR_INTERNAL);
        assert_eq!(guard_value(7, || panic!("in an accessor")), 7);
    }

    #[test]
    fn success_clears_the_error_slot() {
        let mut err: *mut bs_error = std::ptr::NonNull::dangling().as_ptr();
        assert_eq!(guard(&mut err, || Ok(())), bs_status::BS_OK);
        assert!(err.is_null());
    }

    #[test]
    fn core_errors_keep_every_detail() {
        // A real core error: validation of a visitor without a phone number.
        let client = sdk::ClientBuilder::new()
            .app_id("a")
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build_blocking()
            .unwrap();
        let core = client.listeners().submit_visitor("l", json!({"tzName": "Mars/Base"}), None).unwrap_err();
        let mut err: *mut bs_error = std::ptr::null_mut();
        assert_eq!(guard(&mut err, || Err(core.into())), bs_status::BS_ERR_VALIDATION);
        let err = take(err);
        let fields: Value = serde_json::from_str(err.field_errors_json.to_str().unwrap()).unwrap();
        let paths: Vec<&str> = fields.as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["visitor.phoneNumber", "visitor.tzName"]);
        assert_eq!(err.http_status, 0);
        assert_eq!(err.retry_after_ms, -1);
        assert!(err.partial_json.is_none());
    }

    #[test]
    fn nul_bytes_in_messages_are_replaced() {
        let s = lossy_cstring("a\0b");
        assert_eq!(s.to_str().unwrap(), "a\u{FFFD}b");
    }

    #[test]
    fn every_kind_has_its_own_status() {
        let mut seen: Vec<bs_status> = ErrorKind::ALL.iter().map(|k| bs_status::from_kind(*k)).collect();
        seen.dedup();
        assert_eq!(seen.len(), ErrorKind::ALL.len());
        for (value, status) in bs_status::ALL.iter().enumerate() {
            assert_eq!(*status as usize, value);
            assert!(status.name_nul().ends_with('\0'));
        }
    }
}
