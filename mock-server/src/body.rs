//! Bounded request body reading.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

/// After answering 413 we still swallow this much of the upload, so that a client that is
/// busy sending does not get a connection reset instead of our answer.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    /// The client vanished or sent a broken chunked body.
    Read,
}

pub(crate) async fn read_limited(
    headers: &HeaderMap,
    mut body: Body,
    max: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        // A client waiting for `100 Continue` has sent nothing yet: answering at once saves
        // it the upload. Anyone else is already sending.
        if !expects_continue(headers) {
            drain(body, 0).await;
        }
        return Err(BodyError::TooLarge);
    }

    // Most bodies arrive as one frame: keep that `Bytes` as is instead of copying it.
    let mut single: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Read)?.into_data() else {
            continue; // trailers
        };
        total += data.len();
        if total > max {
            drain(body, total).await;
            return Err(BodyError::TooLarge);
        }
        if let Some(first) = single.take() {
            joined.extend_from_slice(&first);
        }
        if joined.is_empty() {
            single = Some(data);
        } else {
            joined.extend_from_slice(&data);
        }
    }
    Ok(single.unwrap_or_else(|| joined.freeze()))
}

async fn drain(mut body: Body, mut seen: usize) {
    while seen <= DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, Bytes::len),
            _ => return,
        }
    }
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}
