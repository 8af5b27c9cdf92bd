//! The four API endpoints. One handler serves them all: they differ only in how the body
//! is checked and what a success looks like.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::auth::{Credentials, decode_path_segment};
use crate::body::{BodyError, read_limited};
use crate::config::MockConfig;
use crate::faults::{Fault, FaultAction, FaultQueue};
use crate::json::{self, Members};
use crate::ledger::{AuthKind, Ledger, LedgerEntry, Operation, StoredBody};
use crate::respond::{self, Answer};
use crate::validate;

/// Everything the handlers share.
pub(crate) struct App {
    pub config: MockConfig,
    pub credentials: Credentials,
    pub ledger: Ledger,
    pub faults: FaultQueue,
}

impl App {
    pub(crate) fn new(config: MockConfig) -> Self {
        Self {
            credentials: Credentials::new(&config),
            ledger: Ledger::new(config.ledger_cap),
            faults: FaultQueue::default(),
            config,
        }
    }
}

pub(crate) type Shared = Arc<App>;

/// Lets a handler close its own connection without answering: the connection task
/// watches it and drops the connection, which hyper cannot be asked to do from inside.
#[derive(Clone, Default)]
pub(crate) struct ConnKill(pub Arc<Notify>);

/// The ledger's view of a request, apart from what is known on arrival.
struct Record {
    auth: AuthKind,
    body: StoredBody,
    request_ids: Vec<Uuid>,
    accepted: bool,
}

impl Record {
    fn rejected(auth: AuthKind, body: StoredBody) -> Self {
        Self {
            auth,
            body,
            request_ids: Vec::new(),
            accepted: false,
        }
    }
}

/// The parts of a ledger entry known as soon as the request arrives.
struct Arrival {
    operation: Operation,
    app_id: String,
    listener_id: Option<String>,
    content_type: Option<String>,
}

impl Arrival {
    fn new(operation: Operation, parts: &Parts) -> Self {
        let (app_id, listener_id) = path_params(operation, parts.uri.path());
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Self {
            operation,
            app_id,
            listener_id,
            content_type,
        }
    }

    fn into_entry(
        self,
        record: Record,
        status: Option<u16>,
        fault: Option<FaultAction>,
    ) -> (LedgerEntry, StoredBody) {
        let entry = LedgerEntry {
            seq: 0,
            operation: self.operation,
            app_id: self.app_id,
            listener_id: self.listener_id,
            auth: record.auth,
            content_type: self.content_type,
            body: serde_json::Value::Null,
            request_ids: record.request_ids,
            accepted: record.accepted,
            status,
            fault,
        };
        (entry, record.body)
    }
}

pub(crate) async fn api(
    operation: Operation,
    State(app): State<Shared>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let fault = app.faults.take(operation);
    let arrival = Arrival::new(operation, &parts);

    if let Some(fault) = fault
        .as_ref()
        .filter(|f| f.action == FaultAction::DropBeforeRead)
    {
        let auth = app
            .credentials
            .classify(&parts.headers, parts.uri.query(), None);
        let record = Record::rejected(auth, StoredBody::None);
        let (entry, body) = arrival.into_entry(record, None, Some(fault.action));
        app.ledger.record(entry, body);
        pause(fault).await;
        return close_connection(&parts).await;
    }

    let read = read_limited(&parts.headers, body, app.config.max_body_bytes).await;
    let (record, mut answer) = evaluate(&app, &arrival, &parts, &read, fault.as_ref());

    let action = fault.as_ref().map(|f| f.action);
    let dropping = action == Some(FaultAction::DropAfterRead);
    let status = (!dropping).then(|| answer.status.as_u16());
    // Recorded before any delay, so a client that gives up still leaves its trace.
    let (entry, body) = arrival.into_entry(record, status, action);
    app.ledger.record(entry, body);

    if let Some(fault) = &fault {
        pause(fault).await;
        if dropping {
            return close_connection(&parts).await;
        }
        if fault.action.processes() {
            answer = respond::mangle(answer, fault, operation.is_xml());
        }
    }
    answer.into_response()
}

async fn pause(fault: &Fault) {
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
}

/// Never answers: the connection task drops the connection, so the client sees it close
/// with no response bytes at all.
async fn close_connection(parts: &Parts) -> Response {
    match parts.extensions.get::<ConnKill>() {
        Some(kill) => {
            kill.0.notify_one();
            std::future::pending().await
        }
        // Only reachable when the router is driven without the server's connection loop.
        None => Answer::error(
            false,
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot drop this connection",
        )
        .into_response(),
    }
}

/// A JSON request body, parsed just enough and borrowed from the request bytes.
enum JsonBody<'a> {
    Invalid(serde_json::Error),
    NotObject(&'a RawValue),
    Object(&'a RawValue, Members<'a>),
}

impl<'a> JsonBody<'a> {
    fn parse(bytes: &'a [u8]) -> Self {
        match json::parse(bytes) {
            Err(e) => JsonBody::Invalid(e),
            Ok(raw) => match Members::of(raw) {
                Some(members) => JsonBody::Object(raw, members),
                None => JsonBody::NotObject(raw),
            },
        }
    }

    fn members(&self) -> Option<&Members<'a>> {
        match self {
            JsonBody::Object(_, members) => Some(members),
            _ => None,
        }
    }
}

/// Decides the answer and the ledger record; nothing here waits.
fn evaluate(
    app: &App,
    arrival: &Arrival,
    parts: &Parts,
    read: &Result<Bytes, BodyError>,
    fault: Option<&Fault>,
) -> (Record, Answer) {
    let operation = arrival.operation;
    let xml = operation.is_xml();
    let bytes = read.as_ref().ok();
    let json = bytes.filter(|_| !xml).map(|b| JsonBody::parse(b));
    let (auth, body) = inspect(app, operation, parts, bytes, json.as_ref());
    let reject = |body, status, message: &str| {
        (
            Record::rejected(auth, body),
            Answer::error(xml, status, message),
        )
    };

    if let Some(fault) = fault.filter(|f| f.action == FaultAction::Status) {
        // Not processed: only what the ledger needs has been worked out.
        return (
            Record::rejected(auth, body),
            respond::status_fault(fault, xml),
        );
    }
    if arrival.app_id != app.config.app_id {
        let message = format!("app {} not found", quoted(&arrival.app_id));
        return reject(body, StatusCode::NOT_FOUND, &message);
    }
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            let message = format!(
                "request body exceeds the limit of {} bytes",
                app.config.max_body_bytes
            );
            return reject(body, StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
        Err(BodyError::Read) => {
            return reject(
                body,
                StatusCode::BAD_REQUEST,
                "could not read the request body",
            );
        }
    };
    if !app.credentials.admits(auth) {
        let message = match auth {
            AuthKind::Invalid => "invalid credentials",
            _ => "authentication required: use HTTP Basic auth or an api_key",
        };
        return reject(body, StatusCode::UNAUTHORIZED, message);
    }
    if let Some(listener) = arrival
        .listener_id
        .as_deref()
        .filter(|l| !app.config.knows_listener(l))
    {
        let message = format!("listener {} not found", quoted(listener));
        return reject(body, StatusCode::NOT_FOUND, &message);
    }
    if !content_type_fits(operation, parts) {
        let message = if xml {
            "Content-Type must be application/xml or text/xml"
        } else {
            "Content-Type must be application/json"
        };
        return reject(body, StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    }

    let checked = match (operation, json) {
        (Operation::SubmitLendingtreeLead, _) | (_, None) => {
            validate::xml_well_formed(bytes).map(|()| 1)
        }
        (_, Some(JsonBody::Invalid(e))) => Err(format!("request body is not valid JSON: {e}")),
        (_, Some(JsonBody::NotObject(_))) => Err("request body must be a JSON object".to_owned()),
        (Operation::SubmitVisitor, Some(JsonBody::Object(_, members))) => {
            validate::listener_request(&members).map(|()| 1)
        }
        (Operation::SubmitSalesforceVisitors, Some(JsonBody::Object(_, members))) => {
            validate::bulk_request(&members)
        }
        (Operation::SendMessage, Some(JsonBody::Object(_, members))) => {
            validate::message_request(&members).map(|()| 1)
        }
    };
    let count = match checked {
        Ok(count) => count,
        Err(message) => return reject(body, StatusCode::BAD_REQUEST, &message),
    };

    let request_ids: Vec<Uuid> = (0..count).map(|_| respond::new_request_id()).collect();
    let first = request_ids[0];
    let (content_type, payload) = match operation {
        Operation::SubmitVisitor => (respond::JSON, respond::visitor_result(&first)),
        Operation::SubmitSalesforceVisitors => (respond::JSON, respond::bulk_results(&request_ids)),
        Operation::SubmitLendingtreeLead => (respond::XML, respond::lead_result(&first)),
        Operation::SendMessage => (respond::JSON, "{}".to_owned()),
    };
    let mut answer = Answer::new(StatusCode::OK, content_type, payload);
    answer.request_id = first;
    (
        Record {
            auth,
            body,
            request_ids,
            accepted: true,
        },
        answer,
    )
}

/// Classifies the credentials and prepares the body for the ledger: JSON without the
/// top-level `api_key`, the XML text, or nothing.
fn inspect(
    app: &App,
    operation: Operation,
    parts: &Parts,
    bytes: Option<&Bytes>,
    json: Option<&JsonBody<'_>>,
) -> (AuthKind, StoredBody) {
    let query = parts.uri.query();
    let declared = content_type_fits(operation, parts);
    if operation.is_xml() {
        let auth = app.credentials.classify(&parts.headers, query, None);
        // Text is kept only when it claims to be XML: anything else might carry secrets
        // in a shape the ledger cannot scrub.
        let text = bytes
            .filter(|_| declared)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map_or(StoredBody::None, |text| StoredBody::Text(text.into()));
        return (auth, text);
    }
    // Only a declared JSON body is a credential channel, as with any JSON body parser.
    let body_key = json
        .and_then(JsonBody::members)
        .filter(|_| declared)
        .and_then(|m| m.get("api_key"));
    let auth = app.credentials.classify(&parts.headers, query, body_key);
    let stored = match json {
        Some(JsonBody::Object(_, members)) if members.contains("api_key") => {
            StoredBody::Json(members.to_json_without("api_key").into())
        }
        Some(JsonBody::Object(raw, _) | JsonBody::NotObject(raw)) => {
            StoredBody::Json(raw.get().into())
        }
        Some(JsonBody::Invalid(_)) | None => StoredBody::None,
    };
    (auth, stored)
}

fn content_type_fits(operation: Operation, parts: &Parts) -> bool {
    let Some(value) = parts.headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    if operation.is_xml() {
        essence.eq_ignore_ascii_case("application/xml") || essence.eq_ignore_ascii_case("text/xml")
    } else {
        essence.eq_ignore_ascii_case("application/json")
    }
}

/// `(appId, listener id)` from a path the router already matched.
fn path_params(operation: Operation, path: &str) -> (String, Option<String>) {
    let mut segments = path.split('/').skip(1);
    let app_id = decode_path_segment(segments.next().unwrap_or(""));
    let listener_id = match operation {
        Operation::SendMessage => None,
        _ => segments.nth(2).map(decode_path_segment),
    };
    (app_id, listener_id)
}

/// Quotes client-supplied text for an error message, cut to a readable length.
fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}
