//! Shared helpers for the integration tests: a server, a client, and answers checked for
//! what every answer must carry.

#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use botsplash_mock::{MockConfig, MockServer};
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

pub const APP: &str = "demo-app";
pub const USER: &str = "demo";
pub const PASSWORD: &str = "demo-password";
pub const API_KEY: &str = "demo-key";

pub const VISITOR: &str =
    r#"{"visitor":{"phoneNumber":"+1 704 555 0100","firstName":"Ada"},"args":{"message":"hi"}}"#;
pub const LEAD_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><LenderLead><Applicant><FirstName>Ada</FirstName></Applicant></LenderLead>"#;

pub struct Harness {
    pub server: MockServer,
    pub client: reqwest::Client,
}

pub async fn harness() -> Harness {
    harness_with(MockConfig::default()).await
}

pub async fn harness_with(config: MockConfig) -> Harness {
    let server = MockServer::start(config).await.expect("server starts");
    let client = reqwest::Client::builder().build().expect("client builds");
    Harness { server, client }
}

#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    Basic,
    BasicWith(&'a str, &'a str),
    Header(&'a str),
    None,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn request_id(&self) -> Uuid {
        let value = self
            .headers
            .get("x-request-id")
            .expect("x-request-id header");
        Uuid::parse_str(value.to_str().unwrap()).expect("x-request-id is a uuid")
    }

    /// The `message` of a JSON error answer.
    pub fn message(&self) -> String {
        assert!(
            self.content_type().starts_with("application/json"),
            "{self:?}"
        );
        self.json()["message"]
            .as_str()
            .expect("message is a string")
            .to_owned()
    }

    /// The `<Message>` of a LendingTree XML error answer.
    pub fn xml_message(&self) -> String {
        assert_eq!(self.content_type(), "application/xml");
        let text = self.text();
        assert!(
            text.contains("<LeadResponse><Status>Error</Status><Message>"),
            "{text}"
        );
        let start = text.find("<Message>").unwrap() + "<Message>".len();
        let end = text.find("</Message>").unwrap();
        text[start..end].to_owned()
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url(), path)
    }

    pub async fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
        auth: Auth<'_>,
    ) -> Reply {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request = match auth {
            Auth::Basic => request.basic_auth(USER, Some(PASSWORD)),
            Auth::BasicWith(user, password) => request.basic_auth(user, Some(password)),
            Auth::Header(value) => request.header("authorization", value),
            Auth::None => request,
        };
        send(request).await
    }

    pub async fn post_json(&self, path: &str, body: &str) -> Reply {
        self.post(path, Some("application/json"), body.to_owned(), Auth::Basic)
            .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.client.get(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send(self.client.delete(self.url(path))).await
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request completes");
    let reply = Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body arrives").to_vec(),
    };
    // Every answer, error or not, carries a request id.
    reply.request_id();
    reply
}

pub fn visitor_path(listener: &str) -> String {
    format!("/{APP}/listener/botsplash/{listener}")
}

pub fn salesforce_path(listener: &str) -> String {
    format!("/{APP}/listener/salesforce/{listener}")
}

pub fn lendingtree_path(listener: &str) -> String {
    format!("/{APP}/listener/lendingtree/{listener}")
}

pub fn message_path() -> String {
    format!("/{APP}/message")
}

/// A complete HTTP/1.1 POST with HTTP Basic auth, as raw bytes.
pub fn raw_post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic ZGVtbzpkZW1vLXBhc3N3b3Jk\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends raw bytes and returns everything the server sent back before closing. A reset
/// counts as a close.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request).await.expect("request written");
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("server closes the connection in time");
    if let Err(e) = read {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset,
            "unexpected error {e}"
        );
    }
    received
}
