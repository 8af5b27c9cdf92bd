//! The direct transport's connection handling: keep-alive reuse, a connection the server
//! closed while it sat in the pool, TLS to a server that does not speak it, and a timeout
//! while connecting. Each with proof of how often the request really arrived.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use botsplash::{ClientBuilder, ErrorKind};
use botsplash_mock::{MockConfig, MockServer};
use serde_json::json;

const KEY: &str = "demo-key";

fn visitor() -> serde_json::Value {
    json!({"phoneNumber": "7045550100"})
}

/// A server that answers each connection's first request and then closes that connection,
/// as a server does when its keep-alive timeout ends. Counts connections and requests.
struct ClosingServer {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl ClosingServer {
    fn start() -> ClosingServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (c, r) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                c.fetch_add(1, Ordering::SeqCst);
                if answer_one(stream) {
                    r.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        ClosingServer { url, connections, requests }
    }
}

/// Reads one request (headers and Content-Length body), answers it as keep-alive, closes.
fn answer_one(stream: TcpStream) -> bool {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return false;
    }
    let answer = r#"{"success":true,"requestId":"r-1"}"#;
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.flush();
    // Closed a little after the answer, when the client has finished the call and pooled the
    // connection: the close then reaches a connection nobody is watching.
    std::thread::sleep(Duration::from_millis(10));
    true
}

#[test]
fn a_pooled_connection_the_server_closed_is_replaced_without_an_error() {
    let server = ClosingServer::start();
    let client = ClientBuilder::new().app_id("a").api_key(KEY).base_url(&server.url).build_blocking().unwrap();
    for n in 1..=5 {
        client.listeners().submit_visitor("l1", visitor(), None).unwrap();
        // Give the close time to arrive, so the next call finds a dead pooled connection.
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(server.requests.load(Ordering::SeqCst), n, "each call arrives exactly once");
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 5);
}

#[test]
fn keep_alive_connections_are_reused() {
    let mock = MockServer::start_background(MockConfig::default()).unwrap();
    let client = ClientBuilder::new().app_id("demo-app").api_key(KEY).base_url(mock.url()).build_blocking().unwrap();
    // Connections are counted by the kernel: everything this process has open to the mock.
    let port = mock.url().rsplit(':').next().unwrap().trim_end_matches('/').to_owned();
    for _ in 0..50 {
        client.listeners().submit_visitor("l1", visitor(), None).unwrap();
    }
    assert_eq!(mock.ledger().total, 50);
    assert_eq!(established_to(&port), 1, "50 sequential calls share one connection");
}

/// Established TCP connections from this process's side to `port` on loopback.
fn established_to(port: &str) -> usize {
    let port_hex = format!("{:04X}", port.parse::<u16>().unwrap());
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // remote address is column 2, state 01 = ESTABLISHED
            cols.len() > 3 && cols[2].ends_with(&format!(":{port_hex}")) && cols[3] == "01"
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_a_server_without_tls_fails_before_sending() {
    let mock = MockServer::start_background(MockConfig::default()).unwrap();
    let https = mock.url().replacen("http://", "https://", 1);
    let client = ClientBuilder::new().app_id("demo-app").api_key(KEY).base_url(https).max_retries(0).build().unwrap();
    let err = client.listeners().submit_visitor("l1", visitor(), None).await.unwrap_err();
    assert_eq!((err.kind(), err.outcome_unknown()), (ErrorKind::Connection, false), "{err}");
    assert!(err.message().contains("TLS"), "{err}");
    assert!(!err.message().contains(KEY));
    assert_eq!(mock.ledger().total, 0, "a failed handshake sends nothing");
}

#[test]
fn a_connect_timeout_is_not_sent_and_retried() {
    // A listener whose backlog is full never completes a handshake: connects hang.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut hogs = Vec::new();
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&listener.local_addr().unwrap(), Duration::from_millis(50)) {
            Ok(s) => hogs.push(s),
            Err(_) => break,
        }
    }
    let client = ClientBuilder::new()
        .app_id("a")
        .api_key(KEY)
        .base_url(url)
        .connect_timeout(Duration::from_millis(100))
        .max_retries(1)
        .build_blocking()
        .unwrap();
    let err = client.listeners().submit_visitor("l1", visitor(), None).unwrap_err();
    assert_eq!((err.kind(), err.outcome_unknown(), err.retries()), (ErrorKind::Timeout, false, 1), "{err}");
    drop(hogs);
}

/// Accepts one connection, answers its one request, and returns the request's head (request
/// line and headers, lower-cased names) and body.
fn capture_one(listener: TcpListener) -> std::thread::JoinHandle<(Vec<String>, String)> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            head.push(line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let answer = r#"{"success":true,"requestId":"r-1"}"#;
        let mut stream = reader.into_inner();
        write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}", answer.len())
            .unwrap();
        (head, String::from_utf8(body).unwrap())
    })
}

#[test]
fn requests_carry_the_documented_headers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = capture_one(listener);
    let client = ClientBuilder::new()
        .app_id("app 1")
        .basic_auth("demo", "s3cret-pw")
        .base_url(format!("http://{addr}/base"))
        .language("c")
        .build_blocking()
        .unwrap();
    client.listeners().submit_visitor("leads/1", visitor(), Some("hi")).unwrap();
    let (head, body) = server.join().unwrap();
    let header = |name: &str| {
        head.iter()
            .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned()))
    };
    // Every path segment is percent-encoded below the base URL's own path.
    assert_eq!(head[0], "POST /base/app%201/listener/botsplash/leads%2F1 HTTP/1.1");
    assert_eq!(header("host").as_deref(), Some(addr.to_string().as_str()));
    let agent = header("user-agent").unwrap();
    assert!(agent.starts_with(&format!("botsplash-sdk/{} (c; ", env!("CARGO_PKG_VERSION"))), "{agent}");
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(header("accept").as_deref(), Some("application/json"));
    assert_eq!(header("authorization").as_deref(), Some("Basic ZGVtbzpzM2NyZXQtcHc="));
    assert_eq!(header("content-length"), Some(body.len().to_string()));
    assert_eq!(body, r#"{"visitor":{"phoneNumber":"7045550100"},"args":{"message":"hi"}}"#);
}
