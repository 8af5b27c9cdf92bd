//! Answer bodies and fault mangling. Bodies are formatted by hand: they are tiny, fixed
//! shapes on the hot path.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use uuid::Uuid;

use crate::faults::{DEFAULT_OVERSIZED_BYTES, Fault, FaultAction};

pub(crate) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) const XML: HeaderValue = HeaderValue::from_static("application/xml");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// A fresh v4 uuid. fastrand instead of the OS generator: no syscall per request, and a
/// mock's ids need to be unique, not unpredictable.
pub(crate) fn new_request_id() -> Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// A complete answer before it becomes an HTTP response.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub content_type: HeaderValue,
    pub body: Bytes,
    /// Sent as `x-request-id`.
    pub request_id: Uuid,
    pub retry_after: Option<HeaderValue>,
}

impl Answer {
    pub(crate) fn new(
        status: StatusCode,
        content_type: HeaderValue,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
            request_id: new_request_id(),
            retry_after: None,
        }
    }

    /// `{"message": ...}`, or the LendingTree XML error form when `xml`.
    pub(crate) fn error(xml: bool, status: StatusCode, message: &str) -> Self {
        if xml {
            Self::new(status, XML, xml_error_body(message))
        } else {
            Self::new(status, JSON, json_error_body(message))
        }
    }

    pub(crate) fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type);
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = self.request_id.hyphenated().encode_lower(&mut id);
        headers.insert(
            X_REQUEST_ID.clone(),
            HeaderValue::from_str(id).expect("uuid is ASCII"),
        );
        if let Some(retry_after) = self.retry_after {
            headers.insert(header::RETRY_AFTER, retry_after);
        }
        response
    }
}

pub(crate) fn json_error_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default()
}

pub(crate) fn xml_error_body(message: &str) -> String {
    format!(
        "{XML_DECL}<LeadResponse><Status>Error</Status><Message>{}</Message></LeadResponse>",
        quick_xml::escape::escape(message)
    )
}

pub(crate) fn visitor_result(id: &Uuid) -> String {
    format!(r#"{{"success":true,"requestId":"{id}"}}"#)
}

pub(crate) fn bulk_results(ids: &[Uuid]) -> String {
    let mut out = String::with_capacity(2 + ids.len() * 60);
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&visitor_result(id));
    }
    out.push(']');
    out
}

pub(crate) fn lead_result(id: &Uuid) -> String {
    format!(
        "{XML_DECL}<LeadResponse><Status>Success</Status><RequestId>{id}</RequestId></LeadResponse>"
    )
}

/// The answer of a `status` fault.
pub(crate) fn status_fault(fault: &Fault, xml: bool) -> Answer {
    let status = fault.status_code();
    let message = format!("injected {}", status.as_u16());
    let mut answer = match &fault.body {
        Some(body) => Answer::new(status, if xml { XML } else { JSON }, body.clone()),
        None => Answer::error(xml, status, &message),
    };
    if let Some(content_type) = fault
        .content_type
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        answer.content_type = content_type;
    }
    answer.retry_after = fault
        .retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok());
    answer
}

/// Spoils an answer the way an answer fault says; the status stays what processing decided.
pub(crate) fn mangle(mut answer: Answer, fault: &Fault, xml: bool) -> Answer {
    match fault.action {
        FaultAction::MalformedJson => {
            answer.body = Bytes::from_static(if xml {
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><LeadResponse><Status>Success</Status><RequestId><<< not xml"
            } else {
                b"{\"success\": true, \"requestId\": <<< not json"
            });
        }
        FaultAction::TruncatedBody => {
            let half = answer.body.len() / 2;
            answer.body.truncate(half);
        }
        FaultAction::WrongContentType => {
            answer.content_type = HTML;
            answer.body = Bytes::from_static(
                b"<!DOCTYPE html>\n<html><head><title>Service</title></head>\
                  <body><h1>Welcome</h1><p>This is not the API you are looking for.</p></body></html>\n",
            );
        }
        FaultAction::OversizedBody => {
            answer.body = pad(
                &answer.body,
                fault.size_bytes.unwrap_or(DEFAULT_OVERSIZED_BYTES),
            );
        }
        FaultAction::Status
        | FaultAction::Delay
        | FaultAction::DropBeforeRead
        | FaultAction::DropAfterRead => {}
    }
    answer
}

/// Grows a body to `size` bytes while keeping it valid: a JSON object gets a `padding`
/// member, anything else (a JSON array, XML) trailing whitespace.
fn pad(body: &[u8], size: usize) -> Bytes {
    if body.len() >= size {
        return Bytes::copy_from_slice(body);
    }
    let mut out = Vec::with_capacity(size);
    match body.strip_suffix(b"}") {
        Some(head) if body.starts_with(b"{") => {
            let empty = head.len() == 1;
            out.extend_from_slice(head);
            out.extend_from_slice(if empty {
                b"\"padding\":\""
            } else {
                b",\"padding\":\""
            });
            let fill = size.saturating_sub(out.len() + 2);
            out.resize(out.len() + fill, b'x');
            out.extend_from_slice(b"\"}");
        }
        _ => {
            out.extend_from_slice(body);
            out.resize(size, b' ');
        }
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_keeps_documents_valid() {
        for body in [&br#"{"success":true}"#[..], b"{}", b"[1,2]"] {
            let padded = pad(body, 1000);
            assert_eq!(padded.len(), 1000);
            serde_json::from_slice::<serde_json::Value>(&padded).unwrap();
        }
        assert_eq!(pad(b"{}", 1).as_ref(), b"{}");
    }

    #[test]
    fn ids_are_v4() {
        let id = new_request_id();
        assert_eq!(id.get_version_num(), 4);
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn xml_error_is_escaped() {
        assert!(xml_error_body("a < b").contains("<Message>a &lt; b</Message>"));
    }
}
