//! `botsplash-mock`: a local Botsplash Open API server for tests, demos and benchmarks.
//!
//! It answers the four documented endpoints the way the vendor docs describe them (auth,
//! schema validation, result shapes), records every API request in a bounded ledger, and
//! injects faults on demand (status + Retry-After, delays, dropped connections, broken
//! bodies). Tests use it in-process through [`MockServer`]; everyone else runs the
//! `botsplash-mock` binary and drives it over HTTP under `/__mock/`.
//!
//! ```no_run
//! use botsplash_mock::{Fault, FaultAction, MockConfig, MockServer};
//!
//! let server = MockServer::start_background(MockConfig::default()).unwrap();
//! server.push_fault(Fault::status(503).retry_after("2"));
//! // point the client at server.url() ... then:
//! assert!(server.requests().iter().all(|entry| entry.app_id == "demo-app"));
//! ```

mod auth;
mod body;
mod config;
mod control;
mod faults;
mod handlers;
mod json;
mod ledger;
mod respond;
mod server;
mod validate;

pub use config::MockConfig;
pub use faults::{Fault, FaultAction, FaultOperation};
pub use ledger::{AuthKind, LedgerEntry, LedgerSnapshot, Operation, OperationCounts};
pub use server::MockServer;
