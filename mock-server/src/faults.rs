//! Fault injection: a FIFO queue of faults that the next matching API requests suffer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ledger::Operation;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultOperation {
    #[default]
    Any,
    SubmitVisitor,
    SubmitSalesforceVisitors,
    SubmitLendingtreeLead,
    SendMessage,
}

impl FaultOperation {
    fn matches(self, operation: Operation) -> bool {
        match self {
            FaultOperation::Any => true,
            FaultOperation::SubmitVisitor => operation == Operation::SubmitVisitor,
            FaultOperation::SubmitSalesforceVisitors => {
                operation == Operation::SubmitSalesforceVisitors
            }
            FaultOperation::SubmitLendingtreeLead => operation == Operation::SubmitLendingtreeLead,
            FaultOperation::SendMessage => operation == Operation::SendMessage,
        }
    }
}

impl From<Operation> for FaultOperation {
    fn from(operation: Operation) -> Self {
        match operation {
            Operation::SubmitVisitor => FaultOperation::SubmitVisitor,
            Operation::SubmitSalesforceVisitors => FaultOperation::SubmitSalesforceVisitors,
            Operation::SubmitLendingtreeLead => FaultOperation::SubmitLendingtreeLead,
            Operation::SendMessage => FaultOperation::SendMessage,
        }
    }
}

/// What a fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer `status` (+ `Retry-After`) without processing the request.
    Status,
    /// Wait `delay_ms`, then behave normally.
    Delay,
    /// Close the connection without reading the body or answering.
    DropBeforeRead,
    /// Process the request, then close the connection without answering.
    DropAfterRead,
    /// Process, then answer with a body that does not parse.
    MalformedJson,
    /// Process, then answer with the first half of the real body.
    TruncatedBody,
    /// Process, then answer with an HTML page.
    WrongContentType,
    /// Process, then answer with the real body padded to `size_bytes`.
    OversizedBody,
}

impl FaultAction {
    /// Whether the request is processed (and so counts as accepted when valid).
    pub(crate) fn processes(self) -> bool {
        !matches!(self, FaultAction::Status | FaultAction::DropBeforeRead)
    }
}

pub const DEFAULT_OVERSIZED_BYTES: usize = 8 * 1024 * 1024;
/// Guards the server's memory against a typo in `size_bytes`.
pub const MAX_OVERSIZED_BYTES: usize = 512 * 1024 * 1024;

/// One queued fault; the JSON form is what `POST /__mock/faults` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub operation: FaultOperation,
    /// How many matching requests it still applies to.
    #[serde(default = "one")]
    pub times: u32,
    pub action: FaultAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    /// Body for `status` faults; default `{"message": "injected <status>"}` (XML for LendingTree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Content type for `status` faults; default that of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Wait this long before acting, whatever the action.
    #[serde(default)]
    pub delay_ms: u64,
    /// For `oversized_body`; default 8 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<usize>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// A fault with the defaults: any operation, once, no delay.
    pub fn new(action: FaultAction) -> Self {
        Self {
            operation: FaultOperation::Any,
            times: 1,
            action,
            status: None,
            retry_after: None,
            body: None,
            content_type: None,
            delay_ms: 0,
            size_bytes: None,
        }
    }

    /// Answer `status` instead of processing.
    pub fn status(status: u16) -> Self {
        Self {
            status: Some(status),
            ..Self::new(FaultAction::Status)
        }
    }

    /// Wait, then answer normally.
    pub fn delay(delay_ms: u64) -> Self {
        Self {
            delay_ms,
            ..Self::new(FaultAction::Delay)
        }
    }

    pub fn on(mut self, operation: impl Into<FaultOperation>) -> Self {
        self.operation = operation.into();
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    pub fn delay_ms(mut self, delay_ms: u64) -> Self {
        self.delay_ms = delay_ms;
        self
    }

    pub fn size_bytes(mut self, size_bytes: usize) -> Self {
        self.size_bytes = Some(size_bytes);
        self
    }

    /// Rejects faults the server could not act out, so mistakes surface when queuing.
    pub fn check(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("times must be at least 1".into());
        }
        match (self.action, self.status) {
            (FaultAction::Status, None) => {
                return Err("status is required when action is \"status\"".into());
            }
            (_, Some(status)) if !(200..=599).contains(&status) => {
                return Err(format!("status must be between 200 and 599, got {status}"));
            }
            _ => {}
        }
        for (name, value) in [
            ("retry_after", &self.retry_after),
            ("content_type", &self.content_type),
        ] {
            if value
                .as_deref()
                .is_some_and(|v| HeaderValue::from_str(v).is_err())
            {
                return Err(format!("{name} is not a valid header value"));
            }
        }
        if self
            .size_bytes
            .is_some_and(|size| size > MAX_OVERSIZED_BYTES)
        {
            return Err(format!("size_bytes must be at most {MAX_OVERSIZED_BYTES}"));
        }
        Ok(())
    }

    pub(crate) fn status_code(&self) -> StatusCode {
        self.status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Parses the body of `POST /__mock/faults`: one fault object or `{"faults": [...]}`.
pub(crate) fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("request body is not valid JSON: {e}"))?;
    let (items, indexed) = match value {
        Value::Object(mut map) if map.contains_key("faults") => match map.remove("faults") {
            Some(Value::Array(items)) => (items, true),
            _ => return Err("faults must be an array".into()),
        },
        single @ Value::Object(_) => (vec![single], false),
        _ => return Err("expected a fault object or {\"faults\": [...]}".into()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = if indexed {
                format!("faults[{i}]: ")
            } else {
                String::new()
            };
            let fault: Fault = serde_json::from_value(item).map_err(|e| format!("{at}{e}"))?;
            fault.check().map_err(|e| format!("{at}{e}"))?;
            Ok(fault)
        })
        .collect()
}

#[derive(Default)]
pub(crate) struct FaultQueue {
    /// Mirrors the queue length so the common no-fault case skips the lock.
    pending: AtomicUsize,
    queue: Mutex<VecDeque<Fault>>,
}

impl FaultQueue {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        let mut queue = self.lock();
        queue.extend(faults);
        self.pending.store(queue.len(), Ordering::SeqCst);
    }

    pub(crate) fn clear(&self) {
        let mut queue = self.lock();
        queue.clear();
        self.pending.store(0, Ordering::SeqCst);
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        self.lock().iter().cloned().collect()
    }

    /// The fault the next request of `operation` suffers, if any (first match wins).
    pub(crate) fn take(&self, operation: Operation) -> Option<Fault> {
        if self.pending.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut queue = self.lock();
        let index = queue.iter().position(|f| f.operation.matches(operation))?;
        let fault = &mut queue[index];
        fault.times -= 1;
        let applied = if fault.times == 0 {
            queue.remove(index)?
        } else {
            fault.clone()
        };
        self.pending.store(queue.len(), Ordering::SeqCst);
        Some(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_per_operation_with_times() {
        let queue = FaultQueue::default();
        queue.push([
            Fault::status(503).on(Operation::SendMessage).times(2),
            Fault::new(FaultAction::DropAfterRead),
        ]);
        let take = |op| queue.take(op).map(|f| f.action);
        assert_eq!(
            take(Operation::SubmitVisitor),
            Some(FaultAction::DropAfterRead)
        );
        assert_eq!(take(Operation::SubmitVisitor), None);
        assert_eq!(take(Operation::SendMessage), Some(FaultAction::Status));
        assert_eq!(queue.list()[0].times, 1);
        assert_eq!(take(Operation::SendMessage), Some(FaultAction::Status));
        assert_eq!(take(Operation::SendMessage), None);
        assert!(queue.list().is_empty());
    }

    #[test]
    fn parsing_and_checks() {
        let one = parse_faults(br#"{"action":"status","status":429,"retry_after":"2"}"#).unwrap();
        assert_eq!(one, vec![Fault::status(429).retry_after("2")]);
        let many =
            parse_faults(br#"{"faults":[{"action":"delay","delay_ms":5},{"action":"drop_before_read","operation":"send_message"}]}"#)
                .unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].operation, FaultOperation::SendMessage);

        let err = |body: &[u8]| parse_faults(body).unwrap_err();
        assert!(err(br#"{"action":"status"}"#).contains("status is required"));
        assert!(
            err(br#"{"faults":[{"action":"delay"},{"action":"explode"}]}"#)
                .starts_with("faults[1]: ")
        );
        assert!(err(br#"{"action":"delay","tiems":2}"#).contains("unknown field"));
        assert!(err(br#"{"action":"delay","times":0}"#).contains("times"));
        assert!(err(br#"[1]"#).contains("expected a fault object"));
        assert!(err(b"nope").contains("not valid JSON"));
    }
}
