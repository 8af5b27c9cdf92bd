//! The documented endpoints: answers, auth, check order, validation, limits, ledger.

mod common;

use botsplash_mock::{AuthKind, LedgerSnapshot, MockConfig, Operation};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn uuid_v4(value: &Value) -> Uuid {
    let id = Uuid::parse_str(value.as_str().expect("uuid string")).expect("valid uuid");
    assert_eq!(id.get_version_num(), 4);
    id
}

#[tokio::test]
async fn visitor_success_shape_and_ledger_entry() {
    let h = harness().await;
    let reply = h.post_json(&visitor_path("l1"), VISITOR).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/json");
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["success"], true);
    let id = uuid_v4(&body["requestId"]);
    assert_eq!(reply.request_id(), id);

    let entries = h.server.requests();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.seq, 1);
    assert_eq!(entry.operation, Operation::SubmitVisitor);
    assert_eq!(entry.app_id, APP);
    assert_eq!(entry.listener_id.as_deref(), Some("l1"));
    assert_eq!(entry.auth, AuthKind::Basic);
    assert_eq!(entry.content_type.as_deref(), Some("application/json"));
    assert_eq!(entry.body, serde_json::from_str::<Value>(VISITOR).unwrap());
    assert_eq!(entry.request_ids, vec![id]);
    assert!(entry.accepted);
    assert_eq!(entry.status, Some(200));
    assert_eq!(entry.fault, None);
}

#[tokio::test]
async fn salesforce_answers_one_result_per_visitor_in_order() {
    let h = harness().await;
    let body = json!({"visitors": [{"phoneNumber": "1"}, {"phoneNumber": "2"}, {"phoneNumber": "3"}],
                      "args": {"message": "hello"}});
    let reply = h.post_json(&salesforce_path("sf"), &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let results = reply.json();
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 3);
    let ids: Vec<Uuid> = results
        .iter()
        .map(|r| {
            assert_eq!(r["success"], true);
            uuid_v4(&r["requestId"])
        })
        .collect();
    assert_eq!(reply.request_id(), ids[0]);
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    let entry = &h.server.requests()[0];
    assert_eq!(entry.operation, Operation::SubmitSalesforceVisitors);
    assert_eq!(entry.request_ids, ids);
}

#[tokio::test]
async fn lendingtree_accepts_xml_and_answers_xml() {
    let h = harness().await;
    for content_type in ["application/xml", "text/xml; charset=utf-8"] {
        let reply = h
            .post(
                &lendingtree_path("lt"),
                Some(content_type),
                LEAD_XML,
                Auth::Basic,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.content_type(), "application/xml");
        let id = reply.request_id();
        assert_eq!(
            reply.text(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LeadResponse><Status>Success</Status>\
                 <RequestId>{id}</RequestId></LeadResponse>"
            )
        );
    }
    let entry = &h.server.requests()[0];
    assert_eq!(entry.operation, Operation::SubmitLendingtreeLead);
    assert_eq!(entry.body, Value::String(LEAD_XML.into()));
    assert_eq!(entry.request_ids.len(), 1);
}

#[tokio::test]
async fn lendingtree_errors_are_xml() {
    let h = harness().await;
    let path = lendingtree_path("lt");
    let malformed = h
        .post(
            &path,
            Some("application/xml"),
            "<Lead><A></Lead>",
            Auth::Basic,
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.xml_message().contains("malformed XML"),
        "{}",
        malformed.text()
    );

    let not_xml = h
        .post(&path, Some("application/xml"), "{\"a\": 1}", Auth::Basic)
        .await;
    assert_eq!(not_xml.status, 400);
    not_xml.xml_message();

    let unauthorized = h
        .post(&path, Some("application/xml"), LEAD_XML, Auth::None)
        .await;
    assert_eq!(unauthorized.status, 401);
    unauthorized.xml_message();

    let unknown_app = h
        .post(
            "/other/listener/lendingtree/lt",
            Some("text/xml"),
            LEAD_XML,
            Auth::Basic,
        )
        .await;
    assert_eq!(unknown_app.status, 404);
    assert!(unknown_app.xml_message().contains("other"));

    let json = h
        .post(&path, Some("application/json"), "{}", Auth::Basic)
        .await;
    assert_eq!(json.status, 415);
    json.xml_message();

    let get = send(h.client.get(h.url(&path))).await;
    assert_eq!(get.status, 405);
    assert_eq!(get.headers["allow"], "POST");
    get.xml_message();
}

#[tokio::test]
async fn message_success_is_empty_object() {
    let h = harness().await;
    let reply = h
        .post_json(
            &message_path(),
            r#"{"text":"Hello","visitor":{"clientVisitorId":"c1"}}"#,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({}));
    let entry = &h.server.requests()[0];
    assert_eq!(entry.operation, Operation::SendMessage);
    assert_eq!(entry.listener_id, None);
    assert_eq!(entry.request_ids, vec![reply.request_id()]);
}

#[tokio::test]
async fn the_three_ways_to_authenticate() {
    let h = harness().await;
    let path = visitor_path("l1");
    let basic = h
        .post(&path, Some("application/json"), VISITOR, Auth::Basic)
        .await;
    assert_eq!(basic.status, 200);
    // Scheme case and padding variants decode to the same credentials.
    let lower = h
        .post(
            &path,
            Some("application/json"),
            VISITOR,
            Auth::Header("basic ZGVtbzpkZW1vLXBhc3N3b3Jk"),
        )
        .await;
    assert_eq!(lower.status, 200);

    let query = h
        .post(
            &format!("{path}?x=1&api_key={API_KEY}"),
            Some("application/json"),
            VISITOR,
            Auth::None,
        )
        .await;
    assert_eq!(query.status, 200);
    let encoded = h
        .post(
            &format!("{path}?api%5Fkey=demo%2Dkey"),
            Some("application/json"),
            VISITOR,
            Auth::None,
        )
        .await;
    assert_eq!(encoded.status, 200);

    let with_key =
        json!({"api_key": API_KEY, "visitor": {"phoneNumber": "1"}, "args": {"message": "m"}});
    let body = h
        .post(
            &path,
            Some("application/json"),
            with_key.to_string(),
            Auth::None,
        )
        .await;
    assert_eq!(body.status, 200, "{}", body.text());

    let kinds: Vec<AuthKind> = h.server.requests().iter().map(|e| e.auth).collect();
    use AuthKind::*;
    assert_eq!(kinds, [Basic, Basic, ApiKeyQuery, ApiKeyQuery, ApiKeyBody]);
    // The key is gone from the recorded body; everything else stays, in order.
    let recorded = &h.server.requests()[4].body;
    assert_eq!(
        recorded.to_string(),
        r#"{"visitor":{"phoneNumber":"1"},"args":{"message":"m"}}"#
    );
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401() {
    let h = harness().await;
    let path = visitor_path("l1");
    let cases: Vec<(String, Auth, String, AuthKind, &str)> = vec![
        (
            path.clone(),
            Auth::None,
            VISITOR.into(),
            AuthKind::None,
            "authentication required",
        ),
        (
            path.clone(),
            Auth::BasicWith(USER, "nope"),
            VISITOR.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            path.clone(),
            Auth::BasicWith("root", PASSWORD),
            VISITOR.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            path.clone(),
            Auth::Header("Bearer demo-key"),
            VISITOR.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            path.clone(),
            Auth::Header("Basic !!!"),
            VISITOR.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            format!("{path}?api_key=wrong"),
            Auth::None,
            VISITOR.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            path.clone(),
            Auth::None,
            r#"{"api_key":"wrong","visitor":{"phoneNumber":"1"}}"#.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
        (
            path.clone(),
            Auth::None,
            r#"{"api_key":42,"visitor":{"phoneNumber":"1"}}"#.into(),
            AuthKind::Invalid,
            "invalid credentials",
        ),
    ];
    for (path, auth, body, kind, message) in cases {
        let reply = h.post(&path, Some("application/json"), body, auth).await;
        assert_eq!(reply.status, 401, "{auth:?}");
        assert!(
            reply.message().starts_with(message),
            "{auth:?}: {}",
            reply.message()
        );
        let last = h.server.requests().pop().unwrap();
        assert_eq!(
            (last.auth, last.accepted, last.status),
            (kind, false, Some(401)),
            "{auth:?}"
        );
    }
    // A key in a body that does not say it is JSON is not a credential.
    let reply = h
        .post(
            &path,
            Some("text/plain"),
            format!(r#"{{"api_key":"{API_KEY}","visitor":{{"phoneNumber":"1"}}}}"#),
            Auth::None,
        )
        .await;
    assert_eq!(reply.status, 401);
    // One valid credential is enough, whatever else came along.
    let reply = h
        .post(
            &format!("{path}?api_key=wrong"),
            Some("application/json"),
            r#"{"api_key":"bad","visitor":{"phoneNumber":"1"}}"#,
            Auth::Basic,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(h.server.requests().pop().unwrap().auth, AuthKind::Basic);
}

#[tokio::test]
async fn credentials_never_reach_the_ledger() {
    let h = harness().await;
    let path = visitor_path("l1");
    h.post(&path, Some("application/json"), VISITOR, Auth::Basic)
        .await;
    h.post(
        &format!("{path}?api_key={API_KEY}"),
        Some("application/json"),
        VISITOR,
        Auth::None,
    )
    .await;
    h.post(
        &path,
        Some("application/json"),
        format!(r#"{{"api_key":"{API_KEY}","visitor":{{}}}}"#),
        Auth::None,
    )
    .await;
    h.post(
        &path,
        Some("application/json"),
        r#"{"api_key":"a-wrong-key","visitor":{}}"#,
        Auth::Basic,
    )
    .await;
    h.post(
        &path,
        Some("application/json"),
        r#"{"api_key":"x","#,
        Auth::BasicWith(USER, "wrong-password"),
    )
    .await;
    let ledger = h.get("/__mock/requests").await.text();
    for secret in [
        API_KEY,
        PASSWORD,
        "wrong-password",
        "a-wrong-key",
        "ZGVtbzpkZW1vLXBhc3N3b3Jk",
        "\"api_key\"",
    ] {
        assert!(!ledger.contains(secret), "{secret} leaked into {ledger}");
    }
    assert_eq!(h.server.ledger().total, 5);
}

#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let config = MockConfig {
        listeners: vec!["known".into()],
        ..MockConfig::default()
    };
    let h = harness_with(config).await;
    let bad_body = r#"{"visitor":{}}"#;
    // Unknown app beats missing auth.
    let reply = h
        .post(
            "/nope/listener/botsplash/other",
            Some("application/json"),
            bad_body,
            Auth::None,
        )
        .await;
    assert_eq!(
        (reply.status, reply.message()),
        (404, r#"app "nope" not found"#.to_owned())
    );
    // Missing auth beats an unknown listener.
    let reply = h
        .post(
            &visitor_path("other"),
            Some("application/json"),
            bad_body,
            Auth::None,
        )
        .await;
    assert_eq!(reply.status, 401);
    // Unknown listener beats a bad body.
    let reply = h
        .post(
            &visitor_path("other"),
            Some("application/json"),
            bad_body,
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (reply.status, reply.message()),
        (404, r#"listener "other" not found"#.to_owned())
    );
    // Then the body.
    let reply = h
        .post(
            &visitor_path("known"),
            Some("application/json"),
            bad_body,
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (reply.status, reply.message()),
        (400, "visitor.phoneNumber is required".to_owned())
    );
    let reply = h
        .post(
            &visitor_path("known"),
            Some("application/json"),
            VISITOR,
            Auth::Basic,
        )
        .await;
    assert_eq!(reply.status, 200);
    // Listener ids are percent-decoded like any path segment.
    let config = MockConfig {
        listeners: vec!["a b".into()],
        ..MockConfig::default()
    };
    let h = harness_with(config).await;
    assert_eq!(
        h.post_json(&visitor_path("a%20b"), VISITOR).await.status,
        200
    );
}

#[tokio::test]
async fn any_listener_is_known_when_none_are_configured() {
    let h = harness().await;
    for listener in ["a", "listener-2", "%E2%9C%93"] {
        assert_eq!(
            h.post_json(&visitor_path(listener), VISITOR).await.status,
            200
        );
    }
    assert_eq!(h.server.requests()[2].listener_id.as_deref(), Some("✓"));
}

#[tokio::test]
async fn validation_failures_name_the_field() {
    let h = harness().await;
    let visitor = visitor_path("l1");
    let bulk = salesforce_path("l1");
    let message = message_path();
    let cases: &[(&str, &str, &str)] = &[
        (&visitor, "{}", "visitor is required"),
        (&visitor, "[]", "request body must be a JSON object"),
        (&visitor, "null", "request body must be a JSON object"),
        (&visitor, r#"{"visitor":"x"}"#, "visitor must be an object"),
        (
            &visitor,
            r#"{"visitor":{}}"#,
            "visitor.phoneNumber is required",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":7045550100}}"#,
            "visitor.phoneNumber must be a string",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1","email":false}}"#,
            "visitor.email must be a string",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1","deliveryStatus":"202"}}"#,
            "visitor.deliveryStatus must be a number",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1","extendedAttributes":"x"}}"#,
            "visitor.extendedAttributes must be an object",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1","agentClientUserId":{"a":1}}}"#,
            "visitor.agentClientUserId must be a string or an array of strings",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1","agentClientUserId":["a",2]}}"#,
            "visitor.agentClientUserId[1] must be a string",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1"},"args":"x"}"#,
            "args must be an object",
        ),
        (
            &visitor,
            r#"{"visitor":{"phoneNumber":"1"},"args":{"message":5}}"#,
            "args.message must be a string",
        ),
        (&bulk, "{}", "visitors is required"),
        (
            &bulk,
            r#"{"visitors":{"phoneNumber":"1"}}"#,
            "visitors must be an array",
        ),
        (&bulk, r#"{"visitors":[]}"#, "visitors must not be empty"),
        (
            &bulk,
            r#"{"visitors":[{"phoneNumber":"1"},{"phoneNumber":"2"},{"phoneNumber":"3","deliveryStatus":"x"}]}"#,
            "visitors[2].deliveryStatus must be a number",
        ),
        (
            &bulk,
            r#"{"visitors":[{"phoneNumber":"1"},7]}"#,
            "visitors[1] must be an object",
        ),
        (&message, "{}", "text is required"),
        (&message, r#"{"text":""}"#, "text must not be empty"),
        (&message, r#"{"text":["hi"]}"#, "text must be a string"),
        (
            &message,
            r#"{"text":"hi","visitor":"c1"}"#,
            "visitor must be an object",
        ),
    ];
    for (path, body, expected) in cases {
        let reply = h.post_json(path, body).await;
        assert_eq!(reply.status, 400, "{path} {body}");
        assert_eq!(reply.message(), *expected, "{path} {body}");
    }
    let malformed = h.post_json(&visitor, r#"{"visitor": "#).await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed
            .message()
            .starts_with("request body is not valid JSON: "),
        "{}",
        malformed.message()
    );
    let binary = h
        .post(
            &visitor,
            Some("application/json"),
            vec![0xff, 0x00, 0xfe],
            Auth::Basic,
        )
        .await;
    assert_eq!(binary.status, 400);
    assert!(
        binary
            .message()
            .starts_with("request body is not valid JSON")
    );

    // Rejected requests are recorded too, not accepted, and their body is null if unparsable.
    let ledger = h.server.ledger();
    assert_eq!(ledger.total as usize, cases.len() + 2);
    assert!(
        ledger
            .requests
            .iter()
            .all(|e| !e.accepted && e.status == Some(400) && e.request_ids.is_empty())
    );
    assert_eq!(ledger.requests.last().unwrap().body, Value::Null);
}

#[tokio::test]
async fn only_the_schema_is_enforced() {
    let h = harness().await;
    // Nothing stricter than the docs' schema: odd phone numbers and states, floats,
    // empty agent lists, unknown fields all pass.
    let visitor = json!({
        "visitor": {"phoneNumber": "call me maybe", "state": "ZZ", "tzName": "Mars/Olympus",
                    "email": "not-an-email", "deliveryStatus": 1.5, "agentClientUserId": [],
                    "extendedAttributes": {"nested": {"deep": [1, 2]}}, "participantAgentIds": ["x"]},
        "unknownTopLevel": true
    });
    assert_eq!(
        h.post_json(&visitor_path("l1"), &visitor.to_string())
            .await
            .status,
        200
    );
    let agents = json!({"visitor": {"phoneNumber": "1", "agentClientUserId": ["a1", "a2"]}});
    assert_eq!(
        h.post_json(&visitor_path("l1"), &agents.to_string())
            .await
            .status,
        200
    );
    let message = json!({"text": " ", "visitor": {}, "extra": 1});
    assert_eq!(
        h.post_json(&message_path(), &message.to_string())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn json_endpoints_require_json_content_type() {
    let h = harness().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        None,
    ] {
        let reply = h
            .post(&visitor_path("l1"), content_type, VISITOR, Auth::Basic)
            .await;
        assert_eq!(reply.status, 415, "{content_type:?}");
        assert_eq!(reply.message(), "Content-Type must be application/json");
    }
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let reply = h
            .post(
                &visitor_path("l1"),
                Some(content_type),
                VISITOR,
                Auth::Basic,
            )
            .await;
        assert_eq!(reply.status, 200, "{content_type}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let config = MockConfig {
        max_body_bytes: 1000,
        ..MockConfig::default()
    };
    let h = harness_with(config).await;
    let padded = |len: usize| {
        let base = r#"{"visitor":{"phoneNumber":"1"},"pad":""}"#;
        let fill = "x".repeat(len - base.len());
        format!(r#"{{"visitor":{{"phoneNumber":"1"}},"pad":"{fill}"}}"#)
    };
    assert_eq!(
        h.post_json(&visitor_path("l1"), &padded(1000)).await.status,
        200
    );
    let reply = h.post_json(&visitor_path("l1"), &padded(1001)).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.message(),
        "request body exceeds the limit of 1000 bytes"
    );

    // Without Content-Length (chunked) the limit holds while reading.
    let chunk = " ".repeat(600);
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ZGVtbzpkZW1vLXBhc3N3b3Jk\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n",
        visitor_path("l1")
    );
    let answer =
        String::from_utf8(raw_exchange(h.server.addr(), request.as_bytes()).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("exceeds the limit"), "{answer}");

    // A big upload still gets its answer rather than a reset.
    let reply = h
        .post(
            &lendingtree_path("lt"),
            Some("application/xml"),
            vec![b'<'; 3_000_000],
            Auth::Basic,
        )
        .await;
    assert_eq!(reply.status, 413);
    reply.xml_message();
    let last = h.server.requests().pop().unwrap();
    assert_eq!(
        (last.body, last.accepted, last.status),
        (Value::Null, false, Some(413))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let h = harness().await;
    let reply = h.get("/nowhere/at/all").await;
    assert_eq!(
        (reply.status, reply.message()),
        (404, "no route for GET /nowhere/at/all".to_owned())
    );
    let reply = h
        .post_json(&format!("{}/extra", visitor_path("l1")), VISITOR)
        .await;
    assert_eq!(reply.status, 404);
    let reply = h.get(&visitor_path("l1")).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers["allow"], "POST");
    assert!(reply.message().contains("not allowed"));
    let reply = send(h.client.put(h.url("/__mock/faults"))).await;
    assert_eq!(reply.status, 405);
    // Nothing of this reached an API handler.
    assert_eq!(h.server.ledger().total, 0);
}

#[tokio::test]
async fn hostile_input_gets_4xx_not_a_crash() {
    let h = harness().await;
    let addr = h.server.addr();
    let cases: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"POST /demo-app/message HTTP/1.1\r\nContent-Length: nope\r\n\r\n".to_vec(),
        format!(
            "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(20_000)
        )
        .into_bytes(),
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "b".repeat(600_000)
        )
        .into_bytes(),
        raw_post(
            "/%FF%FE/listener/botsplash/%00",
            "application/json",
            VISITOR,
        ),
        raw_post(
            &visitor_path("l1"),
            "application/json",
            "\u{0}\u{1}\u{2}binary",
        ),
    ];
    for request in cases {
        let answer = raw_exchange(addr, &request).await;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
        assert!(
            head.starts_with("HTTP/1.1 4"),
            "{head:?} for {:?}",
            String::from_utf8_lossy(&request[..40])
        );
    }
    // Still serving.
    assert_eq!(h.post_json(&visitor_path("l1"), VISITOR).await.status, 200);
}

#[tokio::test]
async fn ledger_is_capped_and_counts_everything() {
    let config = MockConfig {
        ledger_cap: 3,
        ..MockConfig::default()
    };
    let h = harness_with(config).await;
    for _ in 0..4 {
        h.post_json(&visitor_path("l1"), VISITOR).await;
    }
    h.post_json(&message_path(), r#"{"text":"hi"}"#).await;
    h.post(
        &lendingtree_path("lt"),
        Some("text/xml"),
        LEAD_XML,
        Auth::Basic,
    )
    .await;

    let over_http: LedgerSnapshot =
        serde_json::from_value(h.get("/__mock/requests").await.json()).unwrap();
    let snapshot = h.server.ledger();
    assert_eq!(over_http, snapshot);
    assert_eq!((snapshot.total, snapshot.dropped), (6, 3));
    assert_eq!(snapshot.counts.submit_visitor, 4);
    assert_eq!(snapshot.counts.send_message, 1);
    assert_eq!(snapshot.counts.submit_lendingtree_lead, 1);
    assert_eq!(snapshot.counts.submit_salesforce_visitors, 0);
    assert_eq!(
        snapshot.requests.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [4, 5, 6]
    );
    assert_eq!(h.server.count(Operation::SubmitVisitor), 4);

    // Clearing resets entries and counters; seq goes on.
    let cleared = h.delete("/__mock/requests").await;
    assert_eq!(cleared.status, 200);
    let json = h.get("/__mock/requests").await.json();
    assert_eq!(
        json,
        json!({"total": 0, "dropped": 0, "counts": {"submit_visitor": 0,
        "submit_salesforce_visitors": 0, "submit_lendingtree_lead": 0, "send_message": 0}, "requests": []})
    );
    h.post_json(&message_path(), r#"{"text":"hi"}"#).await;
    assert_eq!(h.server.requests()[0].seq, 7);
    h.server.clear_requests();
    assert!(h.server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_all_recorded_with_unique_ids() {
    let h = harness().await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = h.client.clone();
        let url = h.url(&visitor_path(&format!("l{}", i % 7)));
        tasks.push(tokio::spawn(async move {
            let reply = send(
                client
                    .post(url)
                    .basic_auth(USER, Some(PASSWORD))
                    .header("content-type", "application/json")
                    .body(VISITOR),
            )
            .await;
            assert_eq!(reply.status, 200);
            reply.request_id()
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 200);
    let ledger = h.server.ledger();
    assert_eq!(ledger.total, 200);
    let recorded: std::collections::HashSet<Uuid> = ledger
        .requests
        .iter()
        .flat_map(|e| e.request_ids.clone())
        .collect();
    assert_eq!(recorded, ids);
}

#[tokio::test]
async fn health_and_open_mode() {
    let config = MockConfig {
        api_key: None,
        username: None,
        password: None,
        app_id: "other".into(),
        ..MockConfig::default()
    };
    let h = harness_with(config).await;
    assert_eq!(
        h.get("/__mock/health").await.json(),
        json!({"status": "ok", "app_id": "other"})
    );
    let reply = h
        .post(
            "/other/message",
            Some("application/json"),
            r#"{"text":"hi"}"#,
            Auth::None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(h.server.requests()[0].auth, AuthKind::None);
}
