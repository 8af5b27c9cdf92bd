//! Reading C arguments and writing C results: every pointer check, UTF-8 check and JSON parse
//! of the ABI happens here, so each failure names the parameter and never echoes its content
//! (which may be a phone number or a key).

use std::ffi::{CStr, CString};
use std::fmt::Display;
use std::os::raw::c_char;

use sdk::VisitorPayload;
use serde_json::Value;

use crate::error::{Failure, FfiResult};

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn required<'a>(ptr: *const c_char, name: impl Display) -> FfiResult<&'a str> {
    // SAFETY: forwarded to the caller.
    unsafe { optional(ptr, &name) }?.ok_or_else(|| Failure::invalid(format!("{name} must not be NULL")))
}

/// An optional string argument: NULL means "not given".
///
/// # Safety
/// As [`required`].
pub(crate) unsafe fn optional<'a>(ptr: *const c_char, name: impl Display) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map(Some).map_err(|e| {
        Failure::invalid(format!("{name} is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })
}

/// Parses a JSON argument once; the value then goes to the core as it is.
pub(crate) fn json(text: &str, name: impl Display) -> FfiResult<Value> {
    serde_json::from_str(text).map_err(|e| not_json(name, &e))
}

/// A visitor's JSON text for the core, which checks it and sends it as written (no JSON tree
/// per call); refused exactly where [`json`] would refuse it.
pub(crate) fn visitor_json(text: &str, name: impl Display) -> FfiResult<VisitorPayload> {
    VisitorPayload::from_json(text).map_err(|e| not_json(name, &e))
}

fn not_json(name: impl Display, e: &serde_json::Error) -> Failure {
    // serde_json's message says what and where (line, column), never the input itself.
    Failure::invalid(format!("{name} is not valid JSON: {e}"))
}

/// Stores `value` through an optional out-pointer.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: per the caller's contract.
        unsafe { out.write(value) };
    }
}

/// Clears an optional `char**` out-parameter, so it is NULL whenever the call fails.
///
/// # Safety
/// As [`put`].
pub(crate) unsafe fn clear(out: *mut *mut c_char) {
    // SAFETY: forwarded.
    unsafe { put(out, std::ptr::null_mut()) };
}

/// Hands a string to the caller, who frees it with `bs_string_free`. Text from the server
/// could hold a NUL byte, which a C string cannot carry: that answer is undecodable.
pub(crate) fn owned_string(text: String, what: &str) -> FfiResult<*mut c_char> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure::decode(format!("the answer's {what} contains a NUL byte, which a C string cannot hold")))
}

/// Stores an owned string through an optional `char**`; nothing is allocated when the caller
/// passed NULL (it does not want the value).
///
/// # Safety
/// As [`put`].
pub(crate) unsafe fn put_string(out: *mut *mut c_char, text: impl FnOnce() -> String, what: &str) -> FfiResult<()> {
    if out.is_null() {
        return Ok(());
    }
    let ptr = owned_string(text(), what)?;
    // SAFETY: not NULL; writable per the caller's contract.
    unsafe { out.write(ptr) };
    Ok(())
}
