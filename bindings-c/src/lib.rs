//! The C ABI of the Botsplash SDK: `libbotsplash.so` / `libbotsplash.a` and
//! `include/botsplash.h` (generated from this file by cbindgen, see build.rs).
//!
//! Every export converts C values, calls the Rust core's blocking client and maps its errors:
//! no behaviour lives here. Every export runs inside [`error::guard`] or
//! [`error::guard_value`], so no panic unwinds into C.
#![allow(non_camel_case_types)]
// Every export shares one safety contract (pointers NULL or from this library, strings
// NUL-terminated, handles freed once), stated once at the top of the generated header and in
// README.md rather than repeated in each function's doc comment (which becomes the header).
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

mod args;
mod error;

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::time::Duration;

use sdk::{ApiKeyPlacement, ClientBuilder};
use serde_json::{Map, Value};

pub use error::{bs_error, bs_status};
use error::{Failure, FfiResult, guard, guard_value};

/// Where `bs_config_set_api_key` puts the key: one of the `BS_API_KEY_IN_*` values.
pub type bs_api_key_placement = u32;
/// `?api_key=...` in the query string (the API's documented default).
pub const BS_API_KEY_IN_QUERY: bs_api_key_placement = 0;
/// A top-level `api_key` field of the JSON body (LendingTree posts still use the query string,
/// their body being XML).
pub const BS_API_KEY_IN_BODY: bs_api_key_placement = 1;

/// Client options, built with the `bs_config_set_*` functions. Options left unset fall back to
/// the `BOTSPLASH_*` environment variables, then to the documented defaults, when
/// `bs_client_new` reads the config. A config is not thread-safe; the client built from it is.
pub struct bs_config {
    builder: ClientBuilder,
    language_set: bool,
    /// The first bad setter argument, reported again by `bs_client_new` so that a program that
    /// does not check every setter still cannot build a client from a half-applied config.
    invalid: Option<String>,
}

/// A Botsplash client. Safe to use from many threads at once: each calling thread gets its
/// own small runtime and connection pool on first use, reused for its later calls.
pub struct bs_client {
    inner: sdk::blocking::Client,
}

/// A bulk submission filled one visitor at a time (`bs_bulk_new`, `bs_bulk_add_visitor`), then
/// sent by `bs_submit_bulk`: a large import never has to exist as one JSON array string. Each
/// visitor is validated as it is added and kept only as its compact JSON text. Not thread-safe
/// (fill it from one thread at a time); free it with `bs_bulk_free`, also after submitting.
pub struct bs_bulk {
    /// `None` once `bs_submit_bulk` has taken it: a bulk is sent at most once.
    builder: Option<sdk::BulkBuilder>,
    /// Every `bs_bulk_add_visitor` call that got as far as the visitor (whatever became of
    /// it), so the indices in error messages and paths are the caller's own.
    added: usize,
    /// The first visitor argument that was not usable JSON text, reported again by
    /// `bs_submit_bulk` (as `bs_config` does for setters): a program that does not check
    /// every add still cannot send a bulk with a visitor missing and the indices shifted.
    invalid: Option<String>,
    /// Set while the core takes a visitor: should it panic halfway (`BS_ERR_INTERNAL`), the
    /// bulk may be missing that visitor, and `bs_submit_bulk` must refuse it.
    adding: bool,
}

/// One visitor for `bs_submit_visitor_simple`. NULL fields are not sent; `phone_number` is
/// required by the API. Strings are UTF-8 and are only read during the call.
#[repr(C)]
pub struct bs_visitor {
    /// `phoneNumber`: 10 to 15 digits, with optional `+ - . ( )` and spaces.
    pub phone_number: *const c_char,
    /// `firstName`.
    pub first_name: *const c_char,
    /// `lastName`.
    pub last_name: *const c_char,
    /// `email`.
    pub email: *const c_char,
    /// `state`: a US state, DC or territory code such as `NC`.
    pub state: *const c_char,
    /// `tzName`: an IANA time zone such as `America/New_York`.
    pub tz_name: *const c_char,
    /// `clientVisitorId`: your CRM's id for the person.
    pub client_visitor_id: *const c_char,
    /// `agentClientUserId`: the assigned employee's id.
    pub agent_client_user_id: *const c_char,
    /// `teamCode`.
    pub team_code: *const c_char,
}

// ---------------------------------------------------------------------------------------------
// Library

/// The library's version, such as `"0.1.0"`. A static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn bs_version() -> *const c_char {
    guard_value(std::ptr::null(), || concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}

/// The name of a status constant, such as `"BS_ERR_TIMEOUT"`, or `"BS_UNKNOWN_STATUS"` for a
/// value that is not a `bs_status`. A static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn bs_status_name(status: c_int) -> *const c_char {
    guard_value(std::ptr::null(), || {
        let name = usize::try_from(status)
            .ok()
            .and_then(|i| bs_status::ALL.get(i))
            .map_or("BS_UNKNOWN_STATUS\0", |s| s.name_nul());
        name.as_ptr().cast()
    })
}

/// Frees a string the library returned through a `char**` out-parameter. NULL is ignored.
/// Never pass a string from anywhere else, and never free one twice.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: the caller passes a string from CString::into_raw in this library (documented).
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// A new, empty config: every option falls back to the environment, then to its default.
/// Free it with `bs_config_free` (it may be freed as soon as the client is built). Returns
/// NULL only if the library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn bs_config_new() -> *mut bs_config {
    guard_value(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(bs_config { builder: ClientBuilder::new(), language_set: false, invalid: None }))
    })
}

/// A config taken entirely from the `BOTSPLASH_*` environment variables (`BOTSPLASH_APP_ID`,
/// `BOTSPLASH_API_KEY` or `BOTSPLASH_USERNAME` + `BOTSPLASH_PASSWORD`, `BOTSPLASH_BASE_URL`, ...),
/// checked now: a missing or bad variable gives `BS_ERR_CONFIG` here and `*out` stays NULL.
/// Setters may still override options afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_from_env(out: *mut *mut bs_config, err: *mut *mut bs_error) -> bs_status {
    guard(err, || {
        if out.is_null() {
            return Err(Failure::invalid("out must not be NULL"));
        }
        // SAFETY: checked above; writable per the documented contract.
        unsafe { out.write(std::ptr::null_mut()) };
        let builder = ClientBuilder::new().language("c");
        builder.build_config()?;
        let config = bs_config { builder: ClientBuilder::new(), language_set: false, invalid: None };
        // SAFETY: as above.
        unsafe { out.write(Box::into_raw(Box::new(config))) };
        Ok(())
    })
}

/// Frees a config. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_free(cfg: *mut bs_config) {
    guard_value((), || {
        if !cfg.is_null() {
            // SAFETY: the caller passes a config from this library, once (documented).
            drop(unsafe { Box::from_raw(cfg) });
        }
    })
}

/// Applies one setter. A NULL config is reported at once; any other bad argument is reported
/// at once *and* remembered, so `bs_client_new` refuses the config.
unsafe fn set(
    cfg: *mut bs_config,
    setter: &str,
    apply: impl FnOnce(&mut bs_config) -> FfiResult<()>,
) -> bs_status {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live config from bs_config_new, not used by another thread (documented).
        let cfg = unsafe { cfg.as_mut() }.ok_or_else(|| Failure::invalid("cfg must not be NULL"))?;
        // Each setter reads and checks all its arguments before it changes anything.
        apply(cfg).inspect_err(|failure| {
            if cfg.invalid.is_none() {
                cfg.invalid = Some(format!("{setter}: {}", failure.message()));
            }
        })
    })
}

/// Replaces the builder with `change(builder)`.
fn update(cfg: &mut bs_config, change: impl FnOnce(ClientBuilder) -> ClientBuilder) {
    cfg.builder = change(std::mem::take(&mut cfg.builder));
}

/// The app id (required; else `BOTSPLASH_APP_ID`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_app_id(cfg: *mut bs_config, app_id: *const c_char) -> bs_status {
    // SAFETY (for every setter): pointers as documented in the header.
    unsafe {
        set(cfg, "bs_config_set_app_id", |cfg| {
            let app_id = args::required(app_id, "app_id")?;
            update(cfg, |b| b.app_id(app_id));
            Ok(())
        })
    }
}

/// API-key auth: the key and where it goes (`BS_API_KEY_IN_QUERY` or `BS_API_KEY_IN_BODY`).
/// Setting any credential here ignores the environment's credentials entirely.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_api_key(
    cfg: *mut bs_config,
    api_key: *const c_char,
    placement: bs_api_key_placement,
) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_api_key", |cfg| {
            let key = args::required(api_key, "api_key")?;
            let placement = placement_from_c(placement)?;
            update(cfg, |b| b.api_key(key).api_key_placement(placement));
            Ok(())
        })
    }
}

/// Only where the API key goes, for a key that comes from `BOTSPLASH_API_KEY`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_api_key_placement(
    cfg: *mut bs_config,
    placement: bs_api_key_placement,
) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_api_key_placement", |cfg| {
            let placement = placement_from_c(placement)?;
            update(cfg, |b| b.api_key_placement(placement));
            Ok(())
        })
    }
}

fn placement_from_c(placement: bs_api_key_placement) -> Result<ApiKeyPlacement, Failure> {
    match placement {
        BS_API_KEY_IN_QUERY => Ok(ApiKeyPlacement::Query),
        BS_API_KEY_IN_BODY => Ok(ApiKeyPlacement::Body),
        other => Err(Failure::invalid(format!(
            "placement must be BS_API_KEY_IN_QUERY or BS_API_KEY_IN_BODY, not {other}"
        ))),
    }
}

/// HTTP Basic auth (instead of an API key).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_basic_auth(
    cfg: *mut bs_config,
    username: *const c_char,
    password: *const c_char,
) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_basic_auth", |cfg| {
            let user = args::required(username, "username")?;
            let password = args::required(password, "password")?;
            update(cfg, |b| b.basic_auth(user, password));
            Ok(())
        })
    }
}

/// The API base URL (default `https://api.botsplash.com/open/v1`; plain `http://` only to a
/// loopback host such as the mock server).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_base_url(cfg: *mut bs_config, base_url: *const c_char) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_base_url", |cfg| {
            let base_url = args::required(base_url, "base_url")?;
            update(cfg, |b| b.base_url(base_url));
            Ok(())
        })
    }
}

/// Time allowed for one attempt, connecting included (default 30000 ms; 0 is refused: a
/// request is never unlimited).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_timeout_ms(cfg: *mut bs_config, timeout_ms: u64) -> bs_status {
    unsafe { set(cfg, "bs_config_set_timeout_ms", |cfg| {
            update(cfg, |b| b.timeout(Duration::from_millis(timeout_ms)));
            Ok(())
        }) }
}

/// Time allowed to establish a connection (default 5000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_connect_timeout_ms(cfg: *mut bs_config, timeout_ms: u64) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_connect_timeout_ms", |cfg| {
            update(cfg, |b| b.connect_timeout(Duration::from_millis(timeout_ms)));
            Ok(())
        })
    }
}

/// Retries after a failure that is safe to retry (default 2, at most 10).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_max_retries(cfg: *mut bs_config, max_retries: u32) -> bs_status {
    unsafe { set(cfg, "bs_config_set_max_retries", |cfg| {
            update(cfg, |b| b.max_retries(max_retries));
            Ok(())
        }) }
}

/// Also retry failures after which the server may have processed the request (timeouts after
/// sending, lost connections, 5xx). Default false: a resent lead can text a person twice.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_retry_unknown_outcome(cfg: *mut bs_config, retry: bool) -> bs_status {
    unsafe { set(cfg, "bs_config_set_retry_unknown_outcome", |cfg| {
            update(cfg, |b| b.retry_unknown_outcome(retry));
            Ok(())
        }) }
}

/// Visitors per request of a bulk submission (default 100).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_batch_size(cfg: *mut bs_config, batch_size: usize) -> bs_status {
    unsafe { set(cfg, "bs_config_set_batch_size", |cfg| {
            update(cfg, |b| b.batch_size(batch_size));
            Ok(())
        }) }
}

/// Batches of a bulk submission in flight at once (default 4).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_bulk_concurrency(cfg: *mut bs_config, concurrency: usize) -> bs_status {
    unsafe { set(cfg, "bs_config_set_bulk_concurrency", |cfg| {
            update(cfg, |b| b.bulk_concurrency(concurrency));
            Ok(())
        }) }
}

/// The language named in the User-Agent (default `"c"`); wrappers such as the C# one set their
/// own.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_config_set_language(cfg: *mut bs_config, language: *const c_char) -> bs_status {
    unsafe {
        set(cfg, "bs_config_set_language", |cfg| {
            let language = args::required(language, "language")?;
            update(cfg, |b| b.language(language));
            cfg.language_set = true;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Client

/// Builds a client from `cfg` (which is only read: free it whenever you like afterwards).
/// A bad configuration fails here with `BS_ERR_CONFIG`, not at the first call. On success
/// `*out` is a client to free with `bs_client_free`; on failure it is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_client_new(
    cfg: *const bs_config,
    out: *mut *mut bs_client,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || {
        if out.is_null() {
            return Err(Failure::invalid("out must not be NULL"));
        }
        // SAFETY: checked; writable per the documented contract.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: NULL or a live config.
        let cfg = unsafe { cfg.as_ref() }.ok_or_else(|| Failure::invalid("cfg must not be NULL"))?;
        if let Some(message) = &cfg.invalid {
            return Err(Failure::config(message.clone()));
        }
        let builder = if cfg.language_set { cfg.builder.clone() } else { cfg.builder.clone().language("c") };
        let client = builder.build_blocking()?;
        // SAFETY: as above.
        unsafe { out.write(Box::into_raw(Box::new(bs_client { inner: client }))) };
        Ok(())
    })
}

/// Frees a client and its connections. NULL is ignored. No call may be running on it (from
/// any thread) and none may start afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_client_free(client: *mut bs_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: a client from bs_client_new, freed once, no call in flight (documented).
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// # Safety
/// `client` is NULL or a live client.
unsafe fn client_ref<'a>(client: *const bs_client) -> FfiResult<&'a sdk::blocking::Client> {
    // SAFETY: per the caller's contract.
    unsafe { client.as_ref() }.map(|c| &c.inner).ok_or_else(|| Failure::invalid("client must not be NULL"))
}

fn to_json_string<T: serde::Serialize>(value: &T) -> String {
    // The SDK's result types are plain strings and booleans: serialization cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Operations. All are blocking; all take UTF-8 strings and the API's wire (camelCase) names.

/// New Visitor Post: submits one visitor (a JSON object such as
/// `{"phoneNumber": "+1 704 555 0100", "firstName": "Ann", "tzName": "America/New_York"}`) to a
/// listener, with an optional first message (NULL: none).
///
/// On success `*result_json` (if `result_json` is not NULL) is `{"success":true,"requestId":"..."}`,
/// to free with `bs_string_free`. Invalid fields give `BS_ERR_VALIDATION` and nothing is sent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_submit_visitor(
    client: *const bs_client,
    listener_id: *const c_char,
    visitor_json: *const c_char,
    message: *const c_char,
    result_json: *mut *mut c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        args::clear(result_json);
        let client = client_ref(client)?;
        let listener_id = args::required(listener_id, "listener_id")?;
        let visitor = args::visitor_json(args::required(visitor_json, "visitor_json")?, "visitor_json")?;
        let message = args::optional(message, "message")?;
        let result = client.listeners().submit_visitor(listener_id, visitor, message)?;
        args::put_string(result_json, || to_json_string(&result), "result")
    })
}

/// New SalesForce Lead Post: submits a JSON array of visitors, in batches of the configured
/// size, with an optional message for all (NULL: none).
///
/// On success `*results_json` is a JSON array of `{"success":true,"requestId":"..."}`, one per
/// visitor in input order. If some batches were accepted and another failed, the status is
/// `BS_ERR_PARTIAL` and `bs_error_partial_json` says which visitors were confirmed.
/// A `visitors_json` that is not a JSON array gives `BS_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_submit_salesforce_visitors(
    client: *const bs_client,
    listener_id: *const c_char,
    visitors_json: *const c_char,
    message: *const c_char,
    results_json: *mut *mut c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        args::clear(results_json);
        let client = client_ref(client)?;
        let listener_id = args::required(listener_id, "listener_id")?;
        let text = args::required(visitors_json, "visitors_json")?;
        let message = args::optional(message, "message")?;
        let mut bulk = sdk::PreparedBulk::builder(listener_id, message);
        bulk.push_json_array(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Failure::invalid("visitors_json must be a JSON array of visitor objects"),
            _ => Failure::invalid(format!("visitors_json is not valid JSON: {e}")),
        })?;
        let submitted = client.listeners().submit_prepared_salesforce_visitors(bulk.finish()?);
        let results = submitted?;
        args::put_string(results_json, || to_json_string(&results), "results")
    })
}

/// Starts a bulk submission (New SalesForce Lead Post) to `listener_id`, with an optional
/// message for all its visitors (NULL: none): the way to submit many visitors without building
/// one JSON array string. Add the visitors with `bs_bulk_add_visitor`, send them with
/// `bs_submit_bulk`, and free the bulk with `bs_bulk_free` in every case. On success `*out` is
/// the new bulk; on failure it is NULL. The listener id and message are validated by
/// `bs_submit_bulk` (an empty one is a `BS_ERR_VALIDATION` there, with every other field error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_bulk_new(
    listener_id: *const c_char,
    message: *const c_char,
    out: *mut *mut bs_bulk,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        if out.is_null() {
            return Err(Failure::invalid("out must not be NULL"));
        }
        // SAFETY: checked; writable per the documented contract.
        out.write(std::ptr::null_mut());
        let listener_id = args::required(listener_id, "listener_id")?;
        let message = args::optional(message, "message")?;
        let builder = sdk::PreparedBulk::builder(listener_id, message);
        out.write(Box::into_raw(Box::new(bs_bulk { builder: Some(builder), added: 0, invalid: None, adding: false })));
        Ok(())
    })
}

/// Adds the next visitor to a bulk: one JSON object with the wire (camelCase) field names, as
/// for `bs_submit_visitor`. It is validated now and kept only as compact JSON text.
///
/// - A field problem (bad phone number, a visitor that is not an object, ...) returns `BS_OK`:
///   it is recorded with its path (`visitors[INDEX].field`, INDEX counting from 0 in the order
///   of the calls) and `bs_submit_bulk` reports every such problem at once as
///   `BS_ERR_VALIDATION`, sending nothing.
/// - Text that is not JSON, not UTF-8, or NULL returns `BS_ERR_INVALID_ARGUMENT` (the message
///   names the visitor's index) *and* is remembered: `bs_submit_bulk` then refuses the bulk
///   with the same status. The failed call still takes its index.
/// - A NULL bulk, or one already given to `bs_submit_bulk`, returns `BS_ERR_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_bulk_add_visitor(
    bulk: *mut bs_bulk,
    visitor_json: *const c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        // SAFETY: NULL or a live bulk, not used by another thread (documented).
        let bulk = bulk.as_mut().ok_or_else(|| Failure::invalid("bulk must not be NULL"))?;
        let builder = bulk.builder.as_mut().ok_or_else(already_submitted)?;
        let index = bulk.added;
        bulk.added += 1;
        let visitor = args::required(visitor_json, format_args!("visitor_json (visitor {index})"))
            .and_then(|text| args::visitor_json(text, format_args!("visitor_json (visitor {index})")));
        bulk.adding = true;
        let added = match visitor {
            Ok(visitor) => {
                builder.push(visitor);
                Ok(())
            }
            Err(failure) => {
                // A placeholder keeps the later visitors' indices (and field paths) the
                // caller's; the core stops keeping visitors once one is wrong, so a bulk that
                // will never be sent does not grow any more.
                builder.push(Value::Null);
                bulk.invalid.get_or_insert_with(|| format!("bs_bulk_add_visitor: {}", failure.message()));
                Err(failure)
            }
        };
        bulk.adding = false;
        added
    })
}

/// How many visitors `bs_bulk_add_visitor` has taken (failed calls included, as they take an
/// index); unchanged by `bs_submit_bulk`. 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_bulk_len(bulk: *const bs_bulk) -> usize {
    // SAFETY: NULL or a live bulk (documented).
    guard_value(0, || unsafe { bulk.as_ref() }.map_or(0, |b| b.added))
}

/// Frees a bulk, submitted or not. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_bulk_free(bulk: *mut bs_bulk) {
    guard_value((), || {
        if !bulk.is_null() {
            // SAFETY: a bulk from bs_bulk_new, freed once (documented).
            drop(unsafe { Box::from_raw(bulk) });
        }
    })
}

/// Sends a bulk filled with `bs_bulk_add_visitor`: the same request, results and errors as
/// `bs_submit_salesforce_visitors` with those visitors as its array. On success
/// `*results_json` is a JSON array of `{"success":true,"requestId":"..."}`, one per visitor in
/// the order they were added; `BS_ERR_PARTIAL` and `bs_error_partial_json` report a submission
/// of which only some batches were accepted; `BS_ERR_VALIDATION` lists every field problem of
/// every visitor (and of the listener id and message), and nothing is sent.
///
/// A bulk is sent at most once. Once the client and bulk are known to be usable (not NULL,
/// bulk not yet submitted) the bulk is spent, whatever the outcome, and its visitors' memory
/// released: adding to it or submitting it again gives `BS_ERR_INVALID_ARGUMENT`. It must
/// still be freed with `bs_bulk_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_submit_bulk(
    client: *const bs_client,
    bulk: *mut bs_bulk,
    results_json: *mut *mut c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        args::clear(results_json);
        let client = client_ref(client)?;
        // SAFETY: NULL or a live bulk, not used by another thread (documented).
        let bulk = bulk.as_mut().ok_or_else(|| Failure::invalid("bulk must not be NULL"))?;
        let builder = bulk.builder.take().ok_or_else(already_submitted)?;
        if let Some(message) = &bulk.invalid {
            return Err(Failure::invalid(message.clone()));
        }
        if bulk.adding {
            return Err(Failure::Local {
                status: bs_status::BS_ERR_INTERNAL,
                message: "an earlier bs_bulk_add_visitor failed inside the library (BS_ERR_INTERNAL): this bulk may be \
                          missing a visitor and is not sent"
                    .into(),
            });
        }
        let prepared = builder.finish()?;
        let results = client.listeners().submit_prepared_salesforce_visitors(prepared)?;
        args::put_string(results_json, || to_json_string(&results), "results")
    })
}

fn already_submitted() -> Failure {
    Failure::invalid(
        "bulk was already given to bs_submit_bulk (a bulk is sent at most once: start another with bs_bulk_new)",
    )
}

/// New LendingTree Lead Post: submits a LendingTree lead (well-formed XML) and returns the
/// answer's HTTP status in `*http_status` (0 when the call fails) and its XML in
/// `*response_xml` (free it with `bs_string_free`). Either out-pointer may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_submit_lendingtree_lead(
    client: *const bs_client,
    listener_id: *const c_char,
    xml: *const c_char,
    http_status: *mut c_int,
    response_xml: *mut *mut c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        args::clear(response_xml);
        args::put(http_status, 0);
        let client = client_ref(client)?;
        let listener_id = args::required(listener_id, "listener_id")?;
        let xml = args::required(xml, "xml")?;
        let response = client.listeners().submit_lendingtree_lead(listener_id, xml)?;
        args::put_string(response_xml, || response.xml, "XML")?;
        args::put(http_status, c_int::from(response.status));
        Ok(())
    })
}

/// Send Message: sends `text` to a visitor given as a JSON object with a `clientVisitorId` or a
/// `phoneNumber` (`visitor_json` may be NULL: no visitor).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_send_message(
    client: *const bs_client,
    text: *const c_char,
    visitor_json: *const c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        let client = client_ref(client)?;
        let text = args::required(text, "text")?;
        let visitor = match args::optional(visitor_json, "visitor_json")? {
            Some(json) => Some(args::json(json, "visitor_json")?),
            None => None,
        };
        client.messages().send(text, visitor)?;
        Ok(())
    })
}

/// New Visitor Post without JSON: the visitor's fields come from a `bs_visitor` struct (NULL
/// fields are not sent). On success `*request_id` (if not NULL) is the request id the server
/// assigned, to free with `bs_string_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_submit_visitor_simple(
    client: *const bs_client,
    listener_id: *const c_char,
    visitor: *const bs_visitor,
    message: *const c_char,
    request_id: *mut *mut c_char,
    err: *mut *mut bs_error,
) -> bs_status {
    guard(err, || unsafe {
        args::clear(request_id);
        let client = client_ref(client)?;
        let listener_id = args::required(listener_id, "listener_id")?;
        let v = visitor.as_ref().ok_or_else(|| Failure::invalid("visitor must not be NULL"))?;
        let fields = [
            ("phoneNumber", v.phone_number, "visitor->phone_number"),
            ("firstName", v.first_name, "visitor->first_name"),
            ("lastName", v.last_name, "visitor->last_name"),
            ("email", v.email, "visitor->email"),
            ("state", v.state, "visitor->state"),
            ("tzName", v.tz_name, "visitor->tz_name"),
            ("clientVisitorId", v.client_visitor_id, "visitor->client_visitor_id"),
            ("agentClientUserId", v.agent_client_user_id, "visitor->agent_client_user_id"),
            ("teamCode", v.team_code, "visitor->team_code"),
        ];
        let mut map = Map::new();
        for (wire, ptr, name) in fields {
            if let Some(text) = args::optional(ptr, name)? {
                map.insert(wire.to_owned(), Value::String(text.to_owned()));
            }
        }
        let message = args::optional(message, "message")?;
        let result = client.listeners().submit_visitor(listener_id, Value::Object(map), message)?;
        args::put_string(request_id, || result.request_id, "request id")
    })
}

// ---------------------------------------------------------------------------------------------
// Errors. Strings returned here belong to the error: valid until bs_error_free, never freed
// by the caller. A NULL error reads as BS_OK / empty / absent.

/// # Safety
/// `err` is NULL or a live error.
unsafe fn read<'a>(err: *const bs_error) -> Option<&'a bs_error> {
    // SAFETY: per the caller's contract.
    unsafe { err.as_ref() }
}

/// The status of the failed call (`BS_OK` for NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_status(err: *const bs_error) -> bs_status {
    guard_value(bs_status::BS_ERR_INTERNAL, || unsafe { read(err) }.map_or(bs_status::BS_OK, |e| e.status))
}

/// A human-readable message (never NULL: `""` for a NULL error). Holds no credential.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_message(err: *const bs_error) -> *const c_char {
    guard_value(c"".as_ptr(), || unsafe { read(err) }.map_or(c"".as_ptr(), |e| e.message.as_ptr()))
}

/// The HTTP status of the failing answer, or 0 when there was none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_http_status(err: *const bs_error) -> c_int {
    guard_value(0, || unsafe { read(err) }.map_or(0, |e| e.http_status))
}

/// The `x-request-id` of the failing answer, or NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_request_id(err: *const bs_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        unsafe { read(err) }.and_then(|e| e.request_id.as_ref()).map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// How many retries were made before giving up.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_retries(err: *const bs_error) -> u32 {
    guard_value(0, || unsafe { read(err) }.map_or(0, |e| e.retries))
}

/// True when the request may have reached the server and been processed: do not blindly
/// resend a lead then, the person may already have been texted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_outcome_unknown(err: *const bs_error) -> bool {
    guard_value(false, || unsafe { read(err) }.is_some_and(|e| e.outcome_unknown))
}

/// For `BS_ERR_RATE_LIMITED`: how long the server asked to wait, in milliseconds; -1 when it
/// did not say.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_retry_after_ms(err: *const bs_error) -> i64 {
    guard_value(-1, || unsafe { read(err) }.map_or(-1, |e| e.retry_after_ms))
}

/// Every invalid field as a JSON array of `{"path": "visitors[3].tzName", "message": "..."}`
/// (`"[]"` for errors other than `BS_ERR_VALIDATION`, and for a NULL error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_field_errors_json(err: *const bs_error) -> *const c_char {
    guard_value(c"[]".as_ptr(), || unsafe { read(err) }.map_or(c"[]".as_ptr(), |e| e.field_errors_json.as_ptr()))
}

/// For `BS_ERR_PARTIAL`: `{"results": [...], "unconfirmed": [...], "cause": "api"}` where
/// `results` has one entry per input visitor (`{"success":true,"requestId":"..."}` if confirmed,
/// `null` if not) and `unconfirmed` lists the indices to check before resending. NULL for other
/// errors.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_partial_json(err: *const bs_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        unsafe { read(err) }.and_then(|e| e.partial_json.as_ref()).map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// The whole error as one JSON object: `kind`, `code`, `message`, `status`, `request_id`,
/// `retries`, `outcome_unknown`, `retry_after` (seconds), `field_errors`, `partial`
/// (`"{}"` for a NULL error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_json(err: *const bs_error) -> *const c_char {
    guard_value(c"{}".as_ptr(), || unsafe { read(err) }.map_or(c"{}".as_ptr(), |e| e.json.as_ptr()))
}

/// Frees an error. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bs_error_free(err: *mut bs_error) {
    guard_value((), || {
        if !err.is_null() {
            // SAFETY: an error from this library, freed once (documented).
            drop(unsafe { Box::from_raw(err) });
        }
    })
}

#[cfg(test)]
mod tests {
    /// The committed header must be what cbindgen makes of the current source (build.rs writes
    /// the fresh one to OUT_DIR). Regenerate with `BOTSPLASH_UPDATE_HEADER=1 cargo build -p botsplash-c`.
    #[test]
    fn committed_header_matches_the_code() {
        let fresh = include_str!(concat!(env!("OUT_DIR"), "/botsplash.h"));
        let committed = include_str!("../include/botsplash.h");
        assert!(
            fresh == committed,
            "include/botsplash.h is out of date: run `BOTSPLASH_UPDATE_HEADER=1 cargo build -p botsplash-c`"
        );
    }

    /// A panic inside the core while a visitor is added (BS_ERR_INTERNAL) may leave the bulk
    /// without that visitor: such a bulk must never be sent, or the results would not line up
    /// with the caller's visitors. Simulated by leaving the bulk as the panic would.
    #[test]
    fn a_bulk_interrupted_while_adding_is_never_sent() {
        use super::*;
        use std::ptr::null_mut;
        let inner = ClientBuilder::new().app_id("a").api_key("k").base_url("http://127.0.0.1:9").build_blocking();
        let client = bs_client { inner: inner.unwrap() };
        let mut bulk: *mut bs_bulk = null_mut();
        let mut err: *mut bs_error = null_mut();
        unsafe {
            assert_eq!(bs_bulk_new(c"leads".as_ptr(), std::ptr::null(), &mut bulk, null_mut()), bs_status::BS_OK);
            let visitor = c"{\"phoneNumber\": \"7045550100\"}";
            assert_eq!(bs_bulk_add_visitor(bulk, visitor.as_ptr(), null_mut()), bs_status::BS_OK);
            assert!(!(*bulk).adding);
            (*bulk).adding = true;
            assert_eq!(bs_submit_bulk(&client, bulk, null_mut(), &mut err), bs_status::BS_ERR_INTERNAL);
            let message = std::ffi::CStr::from_ptr(bs_error_message(err)).to_str().unwrap();
            assert!(message.contains("missing a visitor"), "{message}");
            bs_error_free(err);
            // Spent like any submitted bulk.
            assert_eq!(bs_submit_bulk(&client, bulk, null_mut(), null_mut()), bs_status::BS_ERR_INVALID_ARGUMENT);
            assert_eq!(bs_bulk_len(bulk), 1);
            bs_bulk_free(bulk);
        }
    }

    /// The pkg-config file announces the version being built.
    #[test]
    fn pkg_config_version_matches() {
        let pc = include_str!("../botsplash.pc");
        assert!(
            pc.lines().any(|l| l == concat!("Version: ", env!("CARGO_PKG_VERSION"))),
            "botsplash.pc has the wrong Version"
        );
    }

    /// Every export must run inside the panic guard: a panic unwinding into C is undefined
    /// behaviour. Checks the source text, so a new export without a guard fails here.
    #[test]
    fn every_export_is_guarded() {
        let source = include_str!("lib.rs");
        let exports: Vec<&str> = source.split("#[unsafe(no_mangle)]").skip(1).collect();
        assert!(exports.len() >= 30, "found only {} exports", exports.len());
        for export in exports {
            let signature = export.lines().find(|l| l.contains("extern \"C\" fn")).unwrap_or("?");
            let body_start = export.find('{').unwrap_or(0);
            let body = &export[body_start..export.find("\n}\n").unwrap_or(export.len())];
            assert!(
                body.contains("guard(") || body.contains("guard_value(") || body.contains("set("),
                "export without a panic guard: {signature}"
            );
        }
    }
}
