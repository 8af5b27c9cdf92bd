//! The `/__mock/` control API and the answers for unknown routes and methods. None of it
//! needs auth or reaches the ledger.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::body::read_limited;
use crate::faults::parse_faults;
use crate::handlers::Shared;
use crate::respond::{Answer, JSON};

/// Fault lists are small; this only stops a runaway upload.
const MAX_CONTROL_BODY: usize = 1024 * 1024;

fn json_answer(status: StatusCode, value: &serde_json::Value) -> Response {
    Answer::new(status, JSON, serde_json::to_vec(value).unwrap_or_default()).into_response()
}

fn faults_answer(app: &Shared) -> Response {
    json_answer(StatusCode::OK, &json!({ "faults": app.faults.list() }))
}

pub(crate) async fn get_requests(State(app): State<Shared>) -> Response {
    Answer::new(StatusCode::OK, JSON, app.ledger.to_json()).into_response()
}

pub(crate) async fn clear_requests(State(app): State<Shared>) -> Response {
    app.ledger.clear();
    json_answer(StatusCode::OK, &json!({ "message": "ledger cleared" }))
}

pub(crate) async fn get_faults(State(app): State<Shared>) -> Response {
    faults_answer(&app)
}

pub(crate) async fn push_faults(State(app): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // Any content type: `curl -d` sends form encoding by default.
    let Ok(bytes) = read_limited(&parts.headers, body, MAX_CONTROL_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "fault list too large or unreadable",
        );
    };
    match parse_faults(&bytes) {
        Ok(faults) => {
            app.faults.push(faults);
            faults_answer(&app)
        }
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

pub(crate) async fn clear_faults(State(app): State<Shared>) -> Response {
    app.faults.clear();
    faults_answer(&app)
}

pub(crate) async fn health(State(app): State<Shared>) -> Response {
    json_answer(
        StatusCode::OK,
        &json!({ "status": "ok", "app_id": app.config.app_id }),
    )
}

pub(crate) async fn not_found(request: Request) -> Response {
    let message = format!(
        "no route for {} {}",
        request.method(),
        shorten(request.uri().path())
    );
    error(StatusCode::NOT_FOUND, &message)
}

pub(crate) async fn method_not_allowed(request: Request) -> Response {
    let message = format!(
        "method {} not allowed on {}",
        request.method(),
        shorten(request.uri().path())
    );
    // The LendingTree endpoint answers every error in its XML form.
    let segments: Vec<&str> = request.uri().path().split('/').collect();
    let xml = matches!(segments.as_slice(), ["", _, "listener", "lendingtree", _]);
    Answer::error(xml, StatusCode::METHOD_NOT_ALLOWED, &message).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    Answer::error(false, status, message).into_response()
}

fn shorten(path: &str) -> &str {
    const MAX: usize = 200;
    if path.len() <= MAX {
        return path;
    }
    // Paths are ASCII (percent-encoded), but stay safe on any char boundary.
    let mut cut = MAX;
    while !path.is_char_boundary(cut) {
        cut -= 1;
    }
    &path[..cut]
}
