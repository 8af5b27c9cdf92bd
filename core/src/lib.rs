//! Client SDK for the Botsplash Open API: submit CRM visitors and leads to listeners (which
//! start SMS/chat engagements) and send direct messages.
//!
//! This crate is the single implementation behind the Python, Node.js, C and C# packages:
//! configuration, validation, HTTP, safe retries and error mapping all live here.
//!
//! * [`Client`]: async, for tokio programs.
//! * [`blocking::Client`]: the same calls, blocking the calling thread.
//!
//! Retries are safe by default: only failures that provably did not reach the server (could
//! not connect) and 429s are retried, because a resent lead can text a person twice. See
//! [`ClientBuilder::retry_unknown_outcome`].

pub mod blocking;
mod client;
mod config;
mod error;
mod models;
mod ops;
mod retry;
pub mod runtime;
mod transport;
mod validate;
mod xml;

pub use client::{Client, Listeners, Messages};
pub use config::{
    ApiKeyPlacement, AuthKind, ClientBuilder, Config, DEFAULT_BASE_URL, DEFAULT_BATCH_SIZE,
    DEFAULT_BULK_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, env,
};
pub use error::{Error, ErrorKind, FieldError, PartialBulk, Result};
pub use models::{
    AgentClientUserId, ErrorResponse, LendingTreeResponse, ListenerResult, VISITOR_FIELDS, Visitor, VisitorPayload,
    wire_field_name,
};
pub use ops::{BulkBuilder, PreparedBulk};
pub use retry::MAX_RETRY_AFTER;
pub use transport::{MAX_RESPONSE_BYTES, Operation};
