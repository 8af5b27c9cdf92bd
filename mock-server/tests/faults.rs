//! Fault injection: every action, matching rules, the control API, and what the ledger
//! says about faulted requests.

mod common;

use std::time::{Duration, Instant};

use botsplash_mock::{Fault, FaultAction, FaultOperation, MockConfig, MockServer, Operation};
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn status_fault_answers_without_processing() {
    let h = harness().await;
    h.server.push_fault(Fault::status(503).retry_after("2"));
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.headers["retry-after"], "2");
    assert_eq!(reply.json(), json!({"message": "injected 503"}));

    let entry = h.server.requests().pop().unwrap();
    assert!(!entry.accepted);
    assert_eq!(entry.status, Some(503));
    assert_eq!(entry.fault, Some(FaultAction::Status));
    assert!(entry.request_ids.is_empty());
    // The body is still recorded for inspection.
    assert_eq!(entry.body["visitor"]["firstName"], "Ada");

    // Used up: the next request is normal.
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 200);
    assert!(h.server.faults().is_empty());
}

#[tokio::test]
async fn status_fault_custom_body_times_and_operation() {
    let h = harness().await;
    h.server.push_fault(
        Fault::status(429)
            .on(Operation::SendMessage)
            .times(2)
            .body("slow down")
            .content_type("text/plain"),
    );
    // Other operations pass untouched.
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 200);
    for _ in 0..2 {
        let reply = h.post_json(&message_path(), r#"{"text":"hi"}"#).await;
        assert_eq!((reply.status, reply.text()), (429, "slow down".to_owned()));
        assert_eq!(reply.content_type(), "text/plain");
        assert!(reply.headers.get("retry-after").is_none());
    }
    assert_eq!(
        h.post_json(&message_path(), r#"{"text":"hi"}"#)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn faults_apply_first_in_first_out() {
    let h = harness().await;
    h.server.push_fault(Fault::status(500));
    h.server
        .push_fault(Fault::status(502).on(Operation::SubmitVisitor));
    h.server.push_fault(Fault::status(504));
    let statuses = [
        h.post_json(&message_path(), r#"{"text":"hi"}"#)
            .await
            .status,
        h.post_json(&message_path(), r#"{"text":"hi"}"#)
            .await
            .status,
        h.post_json(&visitor_path("l1"), VISITOR).await.status,
        h.post_json(&visitor_path("l1"), VISITOR).await.status,
    ];
    assert_eq!(statuses, [500, 504, 502, 200]);
}

#[tokio::test]
async fn status_fault_on_lendingtree_is_xml() {
    let h = harness().await;
    h.server.push_fault(Fault::status(500));
    let reply = h
        .post(
            &lendingtree_path("lt"),
            Some("application/xml"),
            LEAD_XML,
            Auth::Basic,
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.xml_message(), "injected 500");
}

#[tokio::test]
async fn delay_fault_waits_then_answers_normally() {
    let h = harness().await;
    h.server.push_fault(Fault::delay(300));
    let started = Instant::now();
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, 200);
    let entry = h.server.requests().pop().unwrap();
    assert!(entry.accepted);
    assert_eq!(entry.fault, Some(FaultAction::Delay));
    assert_eq!(entry.request_ids, vec![reply.request_id()]);

    // delay_ms combines with other actions.
    h.server.push_fault(Fault::status(503).delay_ms(200));
    let started = Instant::now();
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 503);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_client_that_times_out_is_still_recorded() {
    let h = harness().await;
    h.server.push_fault(Fault::delay(2_000));
    let result = h
        .client
        .post(h.url(&visitor_path("l1")))
        .basic_auth(USER, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(VISITOR)
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    // Recorded while the server is still sleeping.
    let entries = h.server.requests();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].accepted);
    assert_eq!(entries[0].request_ids.len(), 1);
}

#[tokio::test]
async fn drop_before_read_closes_without_an_answer() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::DropBeforeRead));
    let answer = raw_exchange(
        h.server.addr(),
        &raw_post(&visitor_path("l1"), "application/json", VISITOR),
    )
    .await;
    assert!(
        answer.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&answer)
    );
    let entry = h.server.requests().pop().unwrap();
    assert_eq!(entry.fault, Some(FaultAction::DropBeforeRead));
    assert!(!entry.accepted);
    assert_eq!(entry.status, None);
    assert_eq!(entry.body, Value::Null);
    assert!(entry.request_ids.is_empty());
    // Through a pooling client it is a connection error, and the server carries on.
    h.server.push_fault(Fault::new(FaultAction::DropBeforeRead));
    let error = h
        .client
        .post(h.url(&message_path()))
        .basic_auth(USER, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(r#"{"text":"hi"}"#)
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout(), "{error}");
    assert_eq!(
        h.post_json(&message_path(), r#"{"text":"hi"}"#)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn drop_after_read_processes_then_closes_without_an_answer() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::DropAfterRead));
    let answer = raw_exchange(
        h.server.addr(),
        &raw_post(&visitor_path("l1"), "application/json", VISITOR),
    )
    .await;
    assert!(
        answer.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&answer)
    );
    let entry = h.server.requests().pop().unwrap();
    assert_eq!(entry.fault, Some(FaultAction::DropAfterRead));
    assert!(entry.accepted);
    assert_eq!(entry.status, None);
    assert_eq!(entry.request_ids.len(), 1);
    assert_eq!(entry.body["visitor"]["phoneNumber"], "+1 704 555 0100");
}

#[tokio::test]
async fn malformed_json_fault() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::MalformedJson));
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/json");
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    assert!(
        reply
            .text()
            .starts_with(r#"{"success": true, "requestId": "#)
    );
    let entry = h.server.requests().pop().unwrap();
    assert!(entry.accepted);
    assert_eq!(entry.fault, Some(FaultAction::MalformedJson));
}

#[tokio::test]
async fn truncated_body_fault() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::TruncatedBody));
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert_eq!(reply.status, 200);
    let full = format!(r#"{{"success":true,"requestId":"{}"}}"#, reply.request_id());
    assert_eq!(reply.text(), full[..full.len() / 2]);
    assert_eq!(
        reply.headers["content-length"],
        (full.len() / 2).to_string().as_str()
    );
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    assert!(h.server.requests()[0].accepted);
}

#[tokio::test]
async fn wrong_content_type_fault() {
    let h = harness().await;
    h.server.push_fault(
        Fault::new(FaultAction::WrongContentType).on(FaultOperation::SubmitSalesforceVisitors),
    );
    let reply = h
        .post_json(
            &salesforce_path("sf"),
            r#"{"visitors":[{"phoneNumber":"1"}]}"#,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.content_type().starts_with("text/html"));
    assert!(reply.text().starts_with("<!DOCTYPE html>"));
    assert!(h.server.requests()[0].accepted);
}

#[tokio::test]
async fn oversized_body_fault() {
    let h = harness().await;
    h.server
        .push_fault(Fault::new(FaultAction::OversizedBody).size_bytes(1_000_000));
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), 1_000_000);
    let body = reply.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["requestId"], reply.request_id().to_string());

    // Default size: 8 MiB; an array answer stays a valid array.
    h.server.push_fault(Fault::new(FaultAction::OversizedBody));
    let reply = h
        .post_json(
            &salesforce_path("sf"),
            r#"{"visitors":[{"phoneNumber":"1"}]}"#,
        )
        .await;
    assert_eq!(reply.body.len(), 8 * 1024 * 1024);
    assert_eq!(reply.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn answer_faults_keep_a_rejection_status() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::MalformedJson));
    let reply = h
        .post(
            &visitor_path("l1"),
            Some("application/json"),
            VISITOR,
            Auth::None,
        )
        .await;
    assert_eq!(reply.status, 401);
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    let entry = h.server.requests().pop().unwrap();
    assert!(!entry.accepted);
    assert_eq!(entry.fault, Some(FaultAction::MalformedJson));
}

#[tokio::test]
async fn lendingtree_answer_faults() {
    let h = harness().await;
    let path = lendingtree_path("lt");
    h.server.push_fault(Fault::new(FaultAction::MalformedJson));
    let reply = h
        .post(&path, Some("application/xml"), LEAD_XML, Auth::Basic)
        .await;
    assert_eq!(
        (reply.status, reply.content_type()),
        (200, "application/xml")
    );
    assert!(reply.text().contains("not xml"));
    h.server.push_fault(Fault::new(FaultAction::TruncatedBody));
    let reply = h
        .post(&path, Some("application/xml"), LEAD_XML, Auth::Basic)
        .await;
    assert!(!reply.text().ends_with("</LeadResponse>"));
}

#[tokio::test]
async fn control_api_queues_lists_and_clears_faults() {
    let h = harness().await;
    let post = |body: &'static str| send(h.client.post(h.url("/__mock/faults")).body(body));
    let reply = post(r#"{"action":"status","status":429,"retry_after":"1","times":2}"#).await;
    assert_eq!(reply.status, 200);
    let reply = post(r#"{"faults":[{"action":"delay","delay_ms":10,"operation":"send_message"},{"action":"drop_before_read"}]}"#).await;
    assert_eq!(reply.status, 200);
    let listed = h.get("/__mock/faults").await.json();
    assert_eq!(
        listed,
        json!({"faults": [
            {"operation": "any", "times": 2, "action": "status", "status": 429, "retry_after": "1", "delay_ms": 0},
            {"operation": "send_message", "times": 1, "action": "delay", "delay_ms": 10},
            {"operation": "any", "times": 1, "action": "drop_before_read", "delay_ms": 0},
        ]})
    );

    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 429);
    assert_eq!(
        h.get("/__mock/faults").await.json()["faults"][0]["times"],
        1
    );

    let cleared = h.delete("/__mock/faults").await;
    assert_eq!(cleared.json(), json!({"faults": []}));
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 200);

    for (body, expected) in [
        (r#"{"action":"status"}"#, "status is required"),
        (
            r#"{"action":"status","status":99}"#,
            "status must be between 200 and 599",
        ),
        (r#"{"action":"boom"}"#, "unknown variant"),
        (
            r#"{"faults":[{"action":"delay"},{"action":"delay","bogus":1}]}"#,
            "faults[1]: unknown field `bogus`",
        ),
        (
            r#"{"action":"delay","retry_after":"a\nb"}"#,
            "retry_after is not a valid header value",
        ),
        ("not json", "not valid JSON"),
    ] {
        let reply = post(body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(
            reply.message().contains(expected),
            "{body}: {}",
            reply.message()
        );
    }
    assert!(h.server.faults().is_empty());
}

#[tokio::test]
#[should_panic(expected = "invalid fault")]
async fn push_fault_rejects_nonsense() {
    let h = harness().await;
    h.server.push_fault(Fault::new(FaultAction::Status));
}

#[tokio::test]
async fn clear_faults_from_the_library() {
    let h = harness().await;
    h.server.push_fault(Fault::status(500).times(5));
    h.server.clear_faults();
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 200);
}

/// The background-thread flavour, for synchronous tests: plain std networking only.
#[test]
fn background_server_serves_sync_callers_and_stops() {
    use std::io::{Read, Write};
    let server = MockServer::start_background(MockConfig::default()).unwrap();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    server.push_fault(Fault::new(FaultAction::DropAfterRead));
    let exchange = |request: &[u8]| {
        let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        answer
    };
    let request = raw_post(&visitor_path("l1"), "application/json", VISITOR);
    assert!(exchange(&request).is_empty());
    let answer = String::from_utf8(exchange(&request)).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert_eq!(server.requests().len(), 2);

    let addr = server.addr();
    server.shutdown();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening after shutdown"
    );
}
