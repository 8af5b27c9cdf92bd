//! The binary: its first line, its help, and a clean exit on signals.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_botsplash-mock");

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("first line");
    (child, line)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_with_deadline(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One request over a raw socket; returns the status line.
fn post(addr: &str, path: &str, body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or("").to_owned()
}

#[test]
fn prints_its_address_first_serves_and_exits_cleanly_on_sigterm() {
    let (mut child, line) = spawn(&[
        "--port",
        "0",
        "--app-id",
        "acme",
        "--api-key",
        "k1",
        "--listener",
        "l1",
    ]);
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(line.ends_with('\n'));

    let ok = post(
        &addr,
        "/acme/listener/botsplash/l1?api_key=k1",
        r#"{"visitor":{"phoneNumber":"1"}}"#,
    );
    assert_eq!(ok, "HTTP/1.1 200 OK");
    let unknown = post(
        &addr,
        "/acme/listener/botsplash/l2?api_key=k1",
        r#"{"visitor":{"phoneNumber":"1"}}"#,
    );
    assert_eq!(unknown, "HTTP/1.1 404 Not Found");

    signal(&child, "TERM");
    let status = wait_with_deadline(&mut child);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exits_cleanly_on_ctrl_c() {
    let (mut child, line) = spawn(&[]);
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    signal(&child, "INT");
    assert_eq!(wait_with_deadline(&mut child).code(), Some(0));
}

#[test]
fn no_auth_mode() {
    let (mut child, line) = spawn(&["--no-auth"]);
    let addr = line
        .trim_end()
        .trim_start_matches("listening on http://")
        .to_owned();
    assert_eq!(
        post(&addr, "/demo-app/message", r#"{"text":"hi"}"#),
        "HTTP/1.1 200 OK"
    );
    signal(&child, "TERM");
    assert_eq!(wait_with_deadline(&mut child).code(), Some(0));
}

#[test]
fn help_documents_endpoints_and_control_api() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "/{appId}/listener/botsplash/{id}",
        "/{appId}/listener/salesforce/{id}",
        "/{appId}/listener/lendingtree/{id}",
        "/{appId}/message",
        "/__mock/requests",
        "/__mock/faults",
        "drop_before_read",
        "--ledger-cap",
        "--max-body-bytes",
        "--listener",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn a_taken_port_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(BIN).args(["--port", &port]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen"));
}
