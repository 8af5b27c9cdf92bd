//! The request ledger: what the server received, so tests can prove how often a request
//! really arrived (e.g. that a client did not retry a listener post).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::faults::FaultAction;

/// The documented API operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    SubmitVisitor,
    SubmitSalesforceVisitors,
    SubmitLendingtreeLead,
    SendMessage,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::SubmitVisitor,
        Operation::SubmitSalesforceVisitors,
        Operation::SubmitLendingtreeLead,
        Operation::SendMessage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SubmitVisitor => "submit_visitor",
            Operation::SubmitSalesforceVisitors => "submit_salesforce_visitors",
            Operation::SubmitLendingtreeLead => "submit_lendingtree_lead",
            Operation::SendMessage => "send_message",
        }
    }

    /// LendingTree speaks XML, everything else JSON.
    pub(crate) fn is_xml(self) -> bool {
        self == Operation::SubmitLendingtreeLead
    }
}

/// How a request authenticated. Credentials themselves are never recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Basic,
    ApiKeyQuery,
    ApiKeyBody,
    /// No credentials were presented.
    None,
    /// Credentials were presented and none of them was valid.
    Invalid,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Increases over the server's lifetime (not reset by clearing the ledger).
    pub seq: u64,
    pub operation: Operation,
    pub app_id: String,
    pub listener_id: Option<String>,
    pub auth: AuthKind,
    pub content_type: Option<String>,
    /// Parsed JSON without the top-level `api_key`, the raw XML text for LendingTree, or
    /// null when the body was unparsable or not read.
    pub body: Value,
    /// Ids assigned when the request was accepted, else empty.
    pub request_ids: Vec<Uuid>,
    /// Whether the server processed the request (even if a fault then spoiled the answer).
    pub accepted: bool,
    /// The status the server answered with; null when it closed the connection instead.
    pub status: Option<u16>,
    pub fault: Option<FaultAction>,
}

/// Requests received per operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationCounts {
    pub submit_visitor: u64,
    pub submit_salesforce_visitors: u64,
    pub submit_lendingtree_lead: u64,
    pub send_message: u64,
}

impl OperationCounts {
    pub fn get(&self, operation: Operation) -> u64 {
        match operation {
            Operation::SubmitVisitor => self.submit_visitor,
            Operation::SubmitSalesforceVisitors => self.submit_salesforce_visitors,
            Operation::SubmitLendingtreeLead => self.submit_lendingtree_lead,
            Operation::SendMessage => self.send_message,
        }
    }

    fn bump(&mut self, operation: Operation) {
        let slot = match operation {
            Operation::SubmitVisitor => &mut self.submit_visitor,
            Operation::SubmitSalesforceVisitors => &mut self.submit_salesforce_visitors,
            Operation::SubmitLendingtreeLead => &mut self.submit_lendingtree_lead,
            Operation::SendMessage => &mut self.send_message,
        };
        *slot += 1;
    }
}

/// A request body as the ledger keeps it: compact text, turned into JSON only when read,
/// so recording costs one copy instead of a `serde_json::Value` per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredBody {
    None,
    /// Valid JSON text (already without a top-level `api_key`).
    Json(Box<str>),
    /// LendingTree XML, kept verbatim.
    Text(Box<str>),
}

impl StoredBody {
    fn to_value(&self) -> Value {
        match self {
            StoredBody::None => Value::Null,
            // Checked JSON, but serde_json can still refuse e.g. a number out of f64 range.
            StoredBody::Json(json) => serde_json::from_str(json).unwrap_or(Value::Null),
            StoredBody::Text(text) => Value::String(text.to_string()),
        }
    }
}

/// The body of `GET /__mock/requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerSnapshot {
    /// Requests recorded since start or the last clear, including dropped ones.
    pub total: u64,
    /// Entries evicted because the ledger was full.
    pub dropped: u64,
    pub counts: OperationCounts,
    /// Oldest first.
    pub requests: Vec<LedgerEntry>,
}

pub(crate) struct Ledger {
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Entries with a null `body`; the body is kept beside them.
    entries: VecDeque<(LedgerEntry, StoredBody)>,
    next_seq: u64,
    total: u64,
    dropped: u64,
    counts: OperationCounts,
}

impl Ledger {
    pub(crate) fn new(cap: usize) -> Self {
        let inner = Inner {
            // Grows on demand: a large cap must not cost memory up front.
            entries: VecDeque::with_capacity(cap.min(1024)),
            next_seq: 1,
            ..Inner::default()
        };
        Self {
            cap,
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the ledger half-updated, so poison is harmless.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `entry` with `body` (its `seq` is assigned here) and returns the seq.
    pub(crate) fn record(&self, mut entry: LedgerEntry, body: StoredBody) -> u64 {
        let (seq, evicted) = {
            let mut inner = self.lock();
            entry.seq = inner.next_seq;
            inner.next_seq += 1;
            inner.total += 1;
            inner.counts.bump(entry.operation);
            inner.entries.push_back((entry, body));
            let evicted = if inner.entries.len() > self.cap {
                inner.dropped += 1;
                inner.entries.pop_front()
            } else {
                None
            };
            (inner.next_seq - 1, evicted)
        };
        // Freeing an old body is not the other requests' business: do it unlocked.
        drop(evicted);
        seq
    }

    pub(crate) fn snapshot(&self) -> LedgerSnapshot {
        let (total, dropped, counts, stored) = {
            let inner = self.lock();
            let stored: Vec<_> = inner.entries.iter().cloned().collect();
            (inner.total, inner.dropped, inner.counts, stored)
        };
        // Bodies are parsed outside the lock: requests keep flowing meanwhile.
        let requests = stored
            .into_iter()
            .map(|(mut entry, body)| {
                entry.body = body.to_value();
                entry
            })
            .collect();
        LedgerSnapshot {
            total,
            dropped,
            counts,
            requests,
        }
    }

    pub(crate) fn entries(&self) -> Vec<LedgerEntry> {
        self.snapshot().requests
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.snapshot()).unwrap_or_else(|_| b"{}".to_vec())
    }

    /// Forgets entries and counters; `seq` keeps increasing so no two entries ever share one.
    pub(crate) fn clear(&self) {
        let old = {
            let mut inner = self.lock();
            inner.total = 0;
            inner.dropped = 0;
            inner.counts = OperationCounts::default();
            std::mem::take(&mut inner.entries)
        };
        drop(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(operation: Operation) -> LedgerEntry {
        LedgerEntry {
            seq: 0,
            operation,
            app_id: "a".into(),
            listener_id: None,
            auth: AuthKind::None,
            content_type: None,
            body: Value::Null,
            request_ids: Vec::new(),
            accepted: false,
            status: Some(401),
            fault: None,
        }
    }

    #[test]
    fn cap_evicts_oldest_and_counts_everything() {
        let ledger = Ledger::new(2);
        for op in [
            Operation::SubmitVisitor,
            Operation::SendMessage,
            Operation::SendMessage,
        ] {
            ledger.record(entry(op), StoredBody::None);
        }
        let snap = ledger.snapshot();
        assert_eq!((snap.total, snap.dropped), (3, 1));
        assert_eq!(snap.counts.get(Operation::SendMessage), 2);
        assert_eq!(snap.counts.get(Operation::SubmitVisitor), 1);
        assert_eq!(
            snap.requests.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3]
        );

        ledger.clear();
        assert_eq!(
            ledger.record(entry(Operation::SendMessage), StoredBody::None),
            4
        );
        let snap = ledger.snapshot();
        assert_eq!((snap.total, snap.dropped, snap.requests.len()), (1, 0, 1));
    }

    #[test]
    fn zero_cap_keeps_nothing() {
        let ledger = Ledger::new(0);
        ledger.record(entry(Operation::SendMessage), StoredBody::None);
        let snap = ledger.snapshot();
        assert_eq!((snap.total, snap.dropped, snap.requests.len()), (1, 1, 0));
    }

    #[test]
    fn json_shape() {
        let ledger = Ledger::new(5);
        ledger.record(
            entry(Operation::SubmitLendingtreeLead),
            StoredBody::Text("<a/>".into()),
        );
        ledger.record(
            entry(Operation::SendMessage),
            StoredBody::Json(r#"{"text":"hi","b":1}"#.into()),
        );
        let json: Value = serde_json::from_slice(&ledger.to_json()).unwrap();
        assert_eq!(json["counts"]["submit_lendingtree_lead"], 1);
        assert_eq!(json["requests"][0]["auth"], "none");
        assert_eq!(json["requests"][0]["fault"], Value::Null);
        assert_eq!(json["requests"][0]["body"], "<a/>");
        // Key order survives the round trip.
        assert_eq!(
            json["requests"][1]["body"].to_string(),
            r#"{"text":"hi","b":1}"#
        );
        let back: LedgerSnapshot = serde_json::from_value(json).unwrap();
        assert_eq!(back, ledger.snapshot());
    }
}
