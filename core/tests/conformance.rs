//! The Rust runner of the shared conformance cases (`conformance/cases/*.json`, format in
//! `conformance/README.md`), through the public async API. A case key this runner does not
//! understand fails the run.

use std::path::PathBuf;
use std::time::Duration;

use botsplash::{ApiKeyPlacement, Client, ClientBuilder, Error, ErrorKind};
use botsplash_mock::{Fault, LedgerEntry, MockConfig, MockServer};
use serde_json::{Map, Value, json};

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/cases")
}

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

fn substitute(value: &str, mock: &str) -> String {
    match value {
        "$MOCK" => mock.to_owned(),
        "$CLOSED" => closed_port_url(),
        other => other.to_owned(),
    }
}

fn check_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown key {k:?} in {what}")),
        None => Ok(()),
    }
}

fn builder(config: &Map<String, Value>, mock: &str) -> Result<ClientBuilder, String> {
    check_keys(
        config,
        &["app_id", "api_key", "username", "password", "api_key_in", "base_url", "timeout_ms", "connect_timeout_ms",
          "max_retries", "retry_unknown_outcome", "batch_size", "bulk_concurrency"],
        "config",
    )?;
    // A value of the wrong type fails the case rather than being silently ignored.
    let s = |k: &str| -> Result<Option<&str>, String> {
        config.get(k).map(|v| v.as_str().ok_or(format!("config.{k} must be a string"))).transpose()
    };
    let n = |k: &str| -> Result<Option<u64>, String> {
        config.get(k).map(|v| v.as_u64().ok_or(format!("config.{k} must be a non-negative integer"))).transpose()
    };
    let mut b = ClientBuilder::new();
    if let Some(v) = s("app_id")? { b = b.app_id(v); }
    if let Some(v) = s("api_key")? { b = b.api_key(v); }
    if let Some(v) = s("username")? { b = b.username(v); }
    if let Some(v) = s("password")? { b = b.password(v); }
    if let Some(v) = s("api_key_in")? {
        b = b.api_key_placement(ApiKeyPlacement::parse(v).ok_or("bad api_key_in")?);
    }
    // The mock is the default peer, unless the case configures the URL through the environment.
    match s("base_url")? {
        Some(v) => b = b.base_url(substitute(v, mock)),
        None if std::env::var(botsplash::env::BASE_URL).is_err() => b = b.base_url(mock),
        None => {}
    }
    if let Some(v) = n("timeout_ms")? { b = b.timeout(Duration::from_millis(v)); }
    if let Some(v) = n("connect_timeout_ms")? { b = b.connect_timeout(Duration::from_millis(v)); }
    if let Some(v) = n("max_retries")? { b = b.max_retries(v as u32); }
    if let Some(v) = config.get("retry_unknown_outcome") {
        b = b.retry_unknown_outcome(v.as_bool().ok_or("config.retry_unknown_outcome must be a boolean")?);
    }
    if let Some(v) = n("batch_size")? { b = b.batch_size(v as usize); }
    if let Some(v) = n("bulk_concurrency")? { b = b.bulk_concurrency(v as usize); }
    Ok(b)
}

/// What an operation returned, in the shape `expect.result` describes.
enum Outcome {
    Visitor(botsplash::ListenerResult),
    Bulk(Vec<botsplash::ListenerResult>),
    LendingTree(botsplash::LendingTreeResponse),
    Message,
}

async fn call(client: &Client, operation: &str, args: &Map<String, Value>) -> Result<Result<Outcome, Error>, String> {
    let allowed: &[&str] = match operation {
        "submit_visitor" => &["listener_id", "visitor", "message"],
        "submit_salesforce_visitors" => &["listener_id", "visitors", "message"],
        "submit_lendingtree_lead" => &["listener_id", "xml"],
        "send_message" => &["text", "visitor"],
        other => return Err(format!("unknown operation {other:?}")),
    };
    check_keys(args, allowed, "args")?;
    let listener = args.get("listener_id").and_then(Value::as_str).unwrap_or_default();
    let message = args.get("message").and_then(Value::as_str);
    let l = client.listeners();
    Ok(match operation {
        "submit_visitor" => l.submit_visitor(listener, args["visitor"].clone(), message).await.map(Outcome::Visitor),
        "submit_salesforce_visitors" => {
            let visitors = args["visitors"].as_array().ok_or("visitors must be a list")?.clone();
            l.submit_salesforce_visitors(listener, visitors, message).await.map(Outcome::Bulk)
        }
        "submit_lendingtree_lead" => {
            l.submit_lendingtree_lead(listener, args["xml"].as_str().ok_or("xml")?).await.map(Outcome::LendingTree)
        }
        "send_message" => {
            let text = args["text"].as_str().ok_or("text")?;
            client.messages().send(text, args.get("visitor").cloned()).await.map(|()| Outcome::Message)
        }
        other => return Err(format!("unknown operation {other:?}")),
    })
}

fn ledger_ids(entries: &[LedgerEntry]) -> Vec<String> {
    entries.iter().filter(|e| e.accepted).flat_map(|e| e.request_ids.iter().map(ToString::to_string)).collect()
}

fn check_result(expected: &Map<String, Value>, outcome: Outcome, ledger: &[LedgerEntry]) -> Result<(), String> {
    match outcome {
        Outcome::Visitor(r) => {
            check_keys(expected, &["success"], "expect.result")?;
            if Some(r.success) != expected.get("success").and_then(Value::as_bool) {
                return Err(format!("success = {}", r.success));
            }
            if ledger_ids(ledger).last() != Some(&r.request_id) {
                return Err(format!("request id {} is not the one the server recorded", r.request_id));
            }
        }
        Outcome::Bulk(results) => {
            check_keys(expected, &["count"], "expect.result")?;
            if Some(results.len() as u64) != expected.get("count").and_then(Value::as_u64) {
                return Err(format!("{} results", results.len()));
            }
            let mut got: Vec<String> = results.into_iter().map(|r| r.request_id).collect();
            let mut recorded = ledger_ids(ledger);
            got.sort();
            recorded.sort();
            if got != recorded {
                return Err("bulk request ids differ from the ledger's".into());
            }
        }
        Outcome::LendingTree(r) => {
            check_keys(expected, &["status", "xml_contains"], "expect.result")?;
            if Some(u64::from(r.status)) != expected.get("status").and_then(Value::as_u64) {
                return Err(format!("status {}", r.status));
            }
            let needle = expected.get("xml_contains").and_then(Value::as_str).unwrap_or_default();
            if !r.xml.contains(needle) {
                return Err(format!("xml {:?} lacks {needle:?}", r.xml));
            }
        }
        Outcome::Message => check_keys(expected, &[], "expect.result")?,
    }
    Ok(())
}

fn check_error(expected: &Map<String, Value>, err: &Error) -> Result<(), String> {
    check_keys(
        expected,
        &["kind", "status", "outcome_unknown", "retries", "field_paths", "message_contains", "retry_after", "unconfirmed",
          "accepted_indices", "cause"],
        "expect.error",
    )?;
    for required in ["kind", "status", "outcome_unknown", "retries"] {
        if !expected.contains_key(required) {
            return Err(format!("expect.error lacks {required:?}"));
        }
    }
    let kind = ErrorKind::ALL.iter().find(|k| Some(k.as_str()) == expected["kind"].as_str()).ok_or("unknown kind")?;
    let mismatch = |what: &str| Err(format!("{what} differs: {err:?}"));
    if err.kind() != *kind {
        return mismatch("kind");
    }
    if json!(err.status()) != expected["status"] {
        return mismatch("status");
    }
    if json!(err.outcome_unknown()) != expected["outcome_unknown"] || json!(err.retries()) != expected["retries"] {
        return mismatch("outcome_unknown/retries");
    }
    if let Some(paths) = expected.get("field_paths") {
        let got: Vec<&str> = err.field_errors().iter().map(|f| f.path.as_str()).collect();
        if json!(got) != *paths {
            return Err(format!("field paths {got:?}"));
        }
    }
    if let Some(needle) = expected.get("message_contains").and_then(Value::as_str) {
        if !err.message().contains(needle) {
            return mismatch("message");
        }
    }
    if let Some(ra) = expected.get("retry_after") {
        let want = match ra {
            Value::Null => None,
            v => Some(Duration::from_secs_f64(v.as_f64().ok_or("retry_after must be a number or null")?)),
        };
        if err.retry_after() != want {
            return mismatch("retry_after");
        }
    }
    if expected.contains_key("unconfirmed") || expected.contains_key("accepted_indices") || expected.contains_key("cause") {
        let partial = err.partial().ok_or("no partial details")?;
        let accepted: Vec<usize> = partial.results.iter().enumerate().filter(|(_, r)| r.is_some()).map(|(i, _)| i).collect();
        if json!(partial.unconfirmed) != expected["unconfirmed"]
            || json!(accepted) != expected["accepted_indices"]
            || json!(partial.cause.as_str()) != expected["cause"]
        {
            return mismatch("partial details");
        }
    }
    Ok(())
}

fn check_ledger(expected: &Map<String, Value>, snapshot: &botsplash_mock::LedgerSnapshot) -> Result<(), String> {
    check_keys(expected, &["total", "requests"], "ledger")?;
    if Some(snapshot.total) != expected.get("total").and_then(Value::as_u64) {
        return Err(format!("the server received {} requests", snapshot.total));
    }
    for (i, want) in expected.get("requests").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let want = want.as_object().ok_or("ledger request must be an object")?;
        check_keys(want, &["operation", "auth", "accepted", "listener_id", "body"], "ledger.requests")?;
        let got = serde_json::to_value(snapshot.requests.get(i).ok_or(format!("no ledger entry {i}"))?).unwrap();
        for (key, value) in want {
            if got[key] != *value {
                return Err(format!("ledger entry {i}: {key} = {}, expected {value}", got[key]));
            }
        }
    }
    Ok(())
}

async fn run_case(mock: &MockServer, case: &Value) -> Result<(), String> {
    let case = case.as_object().ok_or("a case is an object")?;
    check_keys(case, &["name", "description", "env", "config", "faults", "operation", "args", "expect", "ledger"], "case")?;
    mock.clear_requests();
    mock.clear_faults();
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("BOTSPLASH_")) {
        // SAFETY: this test binary runs a single test on one thread; nothing else reads the
        // environment concurrently.
        unsafe { std::env::remove_var(name) };
    }
    for (name, value) in case.get("env").and_then(Value::as_object).into_iter().flatten() {
        unsafe { std::env::set_var(name, substitute(value.as_str().unwrap_or_default(), &mock.url())) };
    }
    for fault in case.get("faults").and_then(Value::as_array).into_iter().flatten() {
        mock.push_fault(serde_json::from_value::<Fault>(fault.clone()).map_err(|e| format!("bad fault: {e}"))?);
    }
    let config = case.get("config").and_then(Value::as_object).ok_or("config")?;
    let expect = case.get("expect").and_then(Value::as_object).ok_or("expect")?;
    check_keys(expect, &["result", "error"], "expect")?;
    let built = builder(config, &mock.url())?.build();
    let outcome = match built {
        Ok(client) => call(&client, case["operation"].as_str().ok_or("operation")?, case["args"].as_object().ok_or("args")?).await?,
        Err(e) => Err(e),
    };
    let snapshot = mock.ledger();
    match (outcome, expect.get("result"), expect.get("error")) {
        (Ok(o), Some(want), None) => check_result(want.as_object().ok_or("result")?, o, &snapshot.requests)?,
        (Err(e), None, Some(want)) => check_error(want.as_object().ok_or("error")?, &e)?,
        (Ok(_), _, _) => return Err("succeeded, but an error was expected".into()),
        (Err(e), _, _) => return Err(format!("failed, but a result was expected: {e:?}")),
    }
    check_ledger(case.get("ledger").and_then(Value::as_object).ok_or("ledger")?, &snapshot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conformance_case_passes() {
    let mock = MockServer::start_background(MockConfig::default()).unwrap();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("conformance/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 40, "expected at least 40 cases, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy();
        let named_right = case["name"].as_str() == Some(&*stem);
        let outcome = if named_right { run_case(&mock, &case).await } else { Err("name differs from the file name".into()) };
        if let Err(why) = outcome {
            failures.push(format!("{}: {why}", path.file_stem().unwrap().to_string_lossy()));
        }
    }
    println!("{} passed, {} failed", paths.len() - failures.len(), failures.len());
    assert!(failures.is_empty(), "failed cases:\n{}", failures.join("\n"));
}
