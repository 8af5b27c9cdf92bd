//! The core against the mock server: every operation, error kind and retry rule, with the
//! mock's ledger proving how many times each request really arrived.

use std::time::{Duration, Instant};

use botsplash::{ApiKeyPlacement, ClientBuilder, ErrorKind, Visitor};
use botsplash_mock::{AuthKind, Fault, FaultAction, MockConfig, MockServer, Operation};
use serde_json::{Value, json};

const KEY: &str = "demo-key";
const PASSWORD: &str = "demo-password";

fn mock() -> MockServer {
    MockServer::start_background(MockConfig::default()).expect("mock server starts")
}

fn builder(mock: &MockServer) -> ClientBuilder {
    ClientBuilder::new().app_id("demo-app").api_key(KEY).base_url(mock.url())
}

fn visitor(n: usize) -> Value {
    json!({"phoneNumber": format!("704555{n:04}"), "firstName": format!("V{n}")})
}

fn request_ids(entry: &botsplash_mock::LedgerEntry) -> Vec<String> {
    entry.request_ids.iter().map(ToString::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_visitor_sends_the_documented_body_once() {
    let mock = mock();
    let client = builder(&mock).build().unwrap();
    let v = Visitor {
        first_name: Some("Zoë".into()),
        tz_name: Some("America/New_York".into()),
        extended_attributes: Some(json!({"loan": {"amount": 250000, "tags": ["a", "b"]}}).as_object().unwrap().clone()),
        ..Visitor::new("+1 (704) 555-0100")
    };
    let result = client.listeners().submit_visitor("l1", v, Some("Hello Zoë")).await.unwrap();
    assert!(result.success);

    let ledger = mock.requests();
    assert_eq!(ledger.len(), 1);
    let entry = &ledger[0];
    assert_eq!(entry.operation, Operation::SubmitVisitor);
    assert_eq!(entry.listener_id.as_deref(), Some("l1"));
    assert_eq!(entry.auth, AuthKind::ApiKeyQuery);
    assert_eq!(request_ids(entry), std::slice::from_ref(&result.request_id));
    assert_eq!(
        entry.body,
        json!({"visitor": {"firstName": "Zoë", "phoneNumber": "+1 (704) 555-0100", "tzName": "America/New_York",
            "extendedAttributes": {"loan": {"amount": 250000, "tags": ["a", "b"]}}}, "args": {"message": "Hello Zoë"}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_placement_authenticates() {
    let mock = mock();
    let cases = [
        (ClientBuilder::new().basic_auth("demo", PASSWORD), AuthKind::Basic),
        (ClientBuilder::new().api_key(KEY), AuthKind::ApiKeyQuery),
        (ClientBuilder::new().api_key(KEY).api_key_placement(ApiKeyPlacement::Body), AuthKind::ApiKeyBody),
    ];
    for (b, expected) in cases {
        mock.clear_requests();
        let client = b.app_id("demo-app").base_url(mock.url()).build().unwrap();
        client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap();
        client.messages().send("hi", Some(json!({"clientVisitorId": "c-1"}))).await.unwrap();
        let ledger = mock.requests();
        assert_eq!(ledger.len(), 2);
        for entry in &ledger {
            assert_eq!(entry.auth, expected);
            // The key travels in the body but the ledger (and anything printed) never shows it.
            assert!(!entry.body.to_string().contains(KEY));
        }
        assert_eq!(ledger[1].body, json!({"text": "hi", "visitor": {"clientVisitorId": "c-1"}}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_unknown_app_and_listener() {
    let mock = MockServer::start_background(MockConfig { listeners: vec!["known".into()], ..MockConfig::default() }).unwrap();
    let bad_key = ClientBuilder::new().app_id("demo-app").api_key("wrong").base_url(mock.url()).build().unwrap();
    let err = bad_key.listeners().submit_visitor("known", visitor(1), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.status(), Some(401));
    assert!(!err.outcome_unknown());
    assert!(err.request_id().is_some());

    let bad_app = builder(&mock).app_id("nope").build().unwrap();
    assert_eq!(bad_app.listeners().submit_visitor("known", visitor(1), None).await.unwrap_err().kind(), ErrorKind::NotFound);
    let client = builder(&mock).build().unwrap();
    let err = client.listeners().submit_visitor("unknown", visitor(1), None).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::NotFound, Some(404)));
    // Non-retryable failures arrive exactly once each.
    assert_eq!(mock.ledger().total, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_lists_every_field_and_sends_nothing() {
    let mock = mock();
    let client = builder(&mock).build().unwrap();
    let visitors = vec![visitor(0), json!({"phoneNumber": "123", "tzName": "Nowhere/Land"}), json!({"state": "ZZ"})];
    let err = client.listeners().submit_salesforce_visitors("", visitors, Some("")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let paths: Vec<&str> = err.field_errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["listenerId", "visitors[1].phoneNumber", "visitors[1].tzName", "visitors[2].phoneNumber", "visitors[2].state", "args.message"]
    );
    let err = client.messages().send(" ", Some(json!({"firstName": "A"}))).await.unwrap_err();
    let paths: Vec<&str> = err.field_errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["text", "visitor"]);
    let err = client.listeners().submit_lendingtree_lead("lt", "<Lead><Open></Lead>").await.unwrap_err();
    assert_eq!(err.field_errors()[0].path, "xml");
    assert_eq!(mock.ledger().total, 0, "nothing may be sent when validation fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_is_chunked_concurrent_and_ordered() {
    let mock = mock();
    let client = builder(&mock).batch_size(100).bulk_concurrency(3).build().unwrap();
    let visitors: Vec<Value> = (0..250).map(visitor).collect();
    let results = client.listeners().submit_salesforce_visitors("sf", visitors, Some("hi")).await.unwrap();
    assert_eq!(results.len(), 250);

    let mut ledger = mock.requests();
    assert_eq!(ledger.len(), 3);
    // Batches may arrive in any order; order them by their first visitor.
    ledger.sort_by_key(|e| e.body["visitors"][0]["firstName"].as_str().unwrap().trim_start_matches('V').parse::<usize>().unwrap());
    let sent: Vec<usize> = ledger.iter().map(|e| e.body["visitors"].as_array().unwrap().len()).collect();
    assert_eq!(sent, [100, 100, 50]);
    let ids: Vec<String> = ledger.iter().flat_map(request_ids).collect();
    let returned: Vec<String> = results.iter().map(|r| r.request_id.clone()).collect();
    assert_eq!(ids, returned, "results come back in input order");
    assert!(ledger.iter().all(|e| e.body["args"]["message"] == "hi"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_failure_in_a_middle_batch_is_a_partial_error() {
    let mock = mock();
    let client = builder(&mock).batch_size(2).bulk_concurrency(1).build().unwrap();
    // The first batch passes, the second is rejected with a 400.
    mock.push_fault(Fault::delay(0).on(Operation::SubmitSalesforceVisitors));
    mock.push_fault(Fault::status(400).on(Operation::SubmitSalesforceVisitors));
    let err = client.listeners().submit_salesforce_visitors("sf", (0..7).map(visitor), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PartialBulk);
    let partial = err.partial().unwrap();
    assert_eq!(partial.cause, ErrorKind::Api);
    assert_eq!(partial.unconfirmed, [2, 3, 4, 5, 6]);
    assert!(partial.results[0].is_some() && partial.results[1].is_some());
    assert!(!err.outcome_unknown());
    assert_eq!(err.status(), Some(400));
    // After the failure no further batch was started.
    assert_eq!(mock.ledger().total, 2);
    let accepted: Vec<String> = mock.requests()[0].request_ids.iter().map(ToString::to_string).collect();
    let returned: Vec<String> = partial.results.iter().flatten().map(|r| r.request_id.clone()).collect();
    assert_eq!(accepted, returned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_first_batch_failing_returns_its_own_error() {
    let mock = mock();
    let client = builder(&mock).batch_size(2).bulk_concurrency(1).build().unwrap();
    mock.push_fault(Fault::status(503).on(Operation::SubmitSalesforceVisitors));
    let err = client.listeners().submit_salesforce_visitors("sf", (0..4).map(visitor), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api);
    assert!(err.outcome_unknown());
    assert_eq!(mock.ledger().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lendingtree_xml_in_and_out() {
    let mock = mock();
    let client = builder(&mock).api_key_placement(ApiKeyPlacement::Body).build().unwrap();
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?><LeadInformation><Applicant><FirstName>Ann</FirstName><Phone>7045550100</Phone></Applicant></LeadInformation>"#;
    let answer = client.listeners().submit_lendingtree_lead("lt", xml).await.unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.xml.contains("<RequestId>"), "{}", answer.xml);
    let entry = &mock.requests()[0];
    assert_eq!(entry.body, Value::String(xml.into()));
    // XML has no room for a key: it goes in the query string even when body placement is set.
    assert_eq!(entry.auth, AuthKind::ApiKeyQuery);

    mock.push_fault(
        Fault::status(400)
            .body("<LeadResponse><Status>Error</Status><Message>Missing applicant phone</Message></LeadResponse>")
            .content_type("application/xml"),
    );
    let err = client.listeners().submit_lendingtree_lead("lt", xml).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Api, Some(400)));
    assert!(err.message().contains("Missing applicant phone"), "{}", err.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_retried_as_asked() {
    let mock = mock();
    let client = builder(&mock).max_retries(2).build().unwrap();
    mock.push_fault(Fault::status(429).retry_after("0").on(Operation::SubmitVisitor));
    client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap();
    let ledger = mock.requests();
    assert_eq!(ledger.iter().map(|e| e.accepted).collect::<Vec<_>>(), [false, true]);

    // Past the budget: 1 + 2 retries, then RateLimitError.
    mock.clear_requests();
    mock.push_fault(Fault::status(429).retry_after("0").times(3));
    let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
    assert_eq!((err.kind(), err.retries(), err.retry_after()), (ErrorKind::RateLimited, 2, Some(Duration::ZERO)));
    assert_eq!(mock.ledger().total, 3);

    // A Retry-After beyond 60 s is not waited out.
    mock.clear_requests();
    mock.push_fault(Fault::status(429).retry_after("120"));
    let started = Instant::now();
    let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!((err.kind(), err.retries(), err.retry_after()), (ErrorKind::RateLimited, 0, Some(Duration::from_secs(120))));
    assert_eq!(mock.ledger().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_not_retried_unless_asked() {
    let mock = mock();
    for status in [500u16, 502, 503] {
        mock.clear_requests();
        mock.push_fault(Fault::status(status));
        let err = builder(&mock).build().unwrap().listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
        assert_eq!((err.kind(), err.status(), err.outcome_unknown(), err.retries()), (ErrorKind::Api, Some(status), true, 0));
        assert!(err.message().contains(&format!("injected {status}")), "{}", err.message());
        assert_eq!(mock.ledger().total, 1, "a 5xx arrives exactly once by default");
    }
    mock.clear_requests();
    mock.push_fault(Fault::status(503));
    let client = builder(&mock).retry_unknown_outcome(true).build().unwrap();
    client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap();
    assert_eq!(mock.ledger().total, 2);
    for status in [400u16, 403] {
        mock.push_fault(Fault::status(status));
        let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
        let kind = if status == 403 { ErrorKind::Authentication } else { ErrorKind::Api };
        assert_eq!((err.kind(), err.outcome_unknown(), err.retries()), (kind, false, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_retried_and_never_arrived() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = ClientBuilder::new()
        .app_id("demo-app")
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(1)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
    assert_eq!((err.kind(), err.retries(), err.outcome_unknown()), (ErrorKind::Connection, 1, false));
    assert!(started.elapsed() >= Duration::from_millis(370), "one backoff of 0.5 s less jitter");
    assert!(!err.message().contains(KEY) && !format!("{err:?}").contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_after_reading_is_outcome_unknown_and_arrives_once() {
    let mock = mock();
    let client = builder(&mock).build().unwrap();
    mock.push_fault(Fault::new(FaultAction::DropAfterRead));
    let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
    assert_eq!((err.kind(), err.outcome_unknown(), err.retries()), (ErrorKind::Connection, true, 0));
    let ledger = mock.requests();
    assert_eq!(ledger.len(), 1);
    assert!(ledger[0].accepted);

    // Opting in retries it: the lead arrives twice, which is exactly why it is opt-in.
    mock.clear_requests();
    mock.push_fault(Fault::new(FaultAction::DropAfterRead));
    let retrying = builder(&mock).retry_unknown_outcome(true).build().unwrap();
    retrying.listeners().submit_visitor("l1", visitor(1), None).await.unwrap();
    assert_eq!(mock.ledger().total, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_outcome_unknown() {
    let mock = mock();
    let client = builder(&mock).timeout(Duration::from_millis(300)).build().unwrap();
    mock.push_fault(Fault::delay(2000));
    let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
    assert_eq!((err.kind(), err.outcome_unknown(), err.retries()), (ErrorKind::Timeout, true, 0));
    assert_eq!(mock.ledger().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_are_decode_errors() {
    let mock = mock();
    let client = builder(&mock).build().unwrap();
    for action in [FaultAction::MalformedJson, FaultAction::TruncatedBody, FaultAction::WrongContentType, FaultAction::OversizedBody] {
        mock.clear_requests();
        mock.push_fault(Fault::new(action));
        let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
        assert_eq!((err.kind(), err.outcome_unknown(), err.retries()), (ErrorKind::Decode, true, 0), "{action:?}: {err:?}");
        assert_eq!(mock.ledger().total, 1);
    }
    mock.push_fault(Fault::new(FaultAction::MalformedJson).on(Operation::SubmitLendingtreeLead));
    let err = client.listeners().submit_lendingtree_lead("lt", "<Lead/>").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_show() {
    let mock = mock();
    let basic = ClientBuilder::new().app_id("demo-app").basic_auth("demo", PASSWORD).base_url(mock.url());
    for (b, own_secret) in [(builder(&mock), KEY), (basic, PASSWORD)] {
        let client = b.clone().build().unwrap();
        mock.push_fault(Fault::status(401).body(format!("{{\"message\": \"bad key {KEY} / {PASSWORD}\"}}")));
        let err = client.listeners().submit_visitor("l1", visitor(1), None).await.unwrap_err();
        for text in [format!("{b:?}"), format!("{client:?}"), format!("{:?}", client.config()), err.to_string(), format!("{err:?}"), err.to_json().to_string()] {
            for secret in [own_secret, "Authorization", "api_key=", "Basic "] {
                assert!(!text.contains(secret), "{secret} leaked in {text}");
            }
        }
    }
}

#[test]
fn blocking_client_from_many_threads() {
    let mock = mock();
    let client = builder(&mock).build_blocking().unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = &client;
            s.spawn(move || {
                for i in 0..20 {
                    client.listeners().submit_visitor("l1", visitor(t * 100 + i), None).unwrap();
                }
            });
        }
    });
    assert_eq!(mock.count(Operation::SubmitVisitor), 160);
    let results = client.listeners().submit_salesforce_visitors("sf", (0..5).map(visitor), None).unwrap();
    assert_eq!(results.len(), 5);
    let lt = client.listeners().submit_lendingtree_lead("lt", "<Lead/>").unwrap();
    assert_eq!(lt.status, 200);
    client.messages().send("hello", None).unwrap();
    let err = client.listeners().submit_visitor("l1", json!({"phoneNumber": 5}), None).unwrap_err();
    assert_eq!(err.field_errors()[0].path, "visitor.phoneNumber");
}

#[tokio::test]
async fn blocking_client_inside_async_code_is_an_error_not_a_panic() {
    let client = ClientBuilder::new().app_id("a").api_key("k").build_blocking().unwrap();
    let err = client.messages().send("hi", None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_builder_takes_visitors_one_at_a_time() {
    let mock = mock();
    let client = builder(&mock).batch_size(2).build().unwrap();

    // Errors carry each visitor's index, across pushes, and nothing is sent.
    let mut bad = botsplash::PreparedBulk::builder(" ", Some(""));
    bad.push(visitor(0));
    bad.push(json!({"phoneNumber": "12"}));
    bad.push(visitor(2));
    bad.push(json!({"phoneNumber": "7045550100", "state": "XX"}));
    assert_eq!(bad.len(), 4);
    let err = bad.finish().err().expect("invalid bulk");
    let paths: Vec<&str> = err.field_errors().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["listenerId", "visitors[1].phoneNumber", "visitors[3].state", "args.message"]);
    let empty = botsplash::PreparedBulk::builder("l1", None).finish().err().expect("empty bulk");
    assert_eq!(empty.field_errors()[0].path, "visitors");
    assert_eq!(mock.ledger().total, 0);

    let mut good = botsplash::PreparedBulk::builder("l1", Some("hi"));
    for n in 0..5 {
        good.push(visitor(n));
    }
    let results = client.listeners().submit_prepared_salesforce_visitors(good.finish().unwrap()).await.unwrap();
    assert_eq!(results.len(), 5);
    let mut ledger = mock.requests();
    ledger.sort_by_key(|e| e.body["visitors"][0]["phoneNumber"].as_str().unwrap_or_default().to_owned());
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[2].body, json!({"visitors": [visitor(4)], "args": {"message": "hi"}}));
}

#[test]
fn typed_visitors_are_sent_as_their_json() {
    let mock = mock();
    let client = builder(&mock).build_blocking().unwrap();
    let mut extra = serde_json::Map::new();
    extra.insert("participantAgentIds".into(), json!(["a2"]));
    let typed = Visitor { first_name: Some("Ann".into()), delivery_status: Some(202), extra, ..Visitor::new("7045550100") };
    client.listeners().submit_visitor("l1", &typed, None).unwrap();
    // A documented field given only through `extra` is checked and sent once.
    let mut via_extra = Visitor::default();
    via_extra.extra.insert("phoneNumber".into(), json!("7045550101"));
    client.listeners().submit_visitor("l1", via_extra, None).unwrap();
    let mut bad_extra = Visitor::default();
    bad_extra.extra.insert("phoneNumber".into(), json!("12"));
    let err = client.listeners().submit_visitor("l1", bad_extra, None).unwrap_err();
    assert_eq!(err.field_errors()[0].path, "visitor.phoneNumber");

    let ledger = mock.requests();
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[0].body["visitor"], serde_json::to_value(&typed).unwrap());
    assert_eq!(
        serde_json::to_string(&ledger[0].body["visitor"]).unwrap(),
        r#"{"firstName":"Ann","phoneNumber":"7045550100","deliveryStatus":202,"participantAgentIds":["a2"]}"#
    );
    assert_eq!(ledger[1].body, json!({"visitor": {"phoneNumber": "7045550101"}}));
}
