//! HTTPS end to end through the direct transport: certificate verification against the
//! system's roots (here a test CA given by `SSL_CERT_FILE`, which the platform verifier reads
//! on Linux), the server name checked, HTTP/1.1 over TLS with keep-alive. Its own test binary:
//! it sets the environment before the first TLS connection of the process.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use botsplash::{ClientBuilder, ErrorKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tls").join(name)
}

/// An HTTPS server on `ip` with the certificate for 127.0.0.1/localhost from the test CA,
/// answering every request on a connection like the API does; counts connections and requests.
async fn https_server(ip: &str) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture("server.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, r) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, r) = (acceptor.clone(), r.clone());
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // A handshake the client refuses ends here.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let mut stream = BufReader::new(tls);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let n = r.fetch_add(1, Ordering::SeqCst) + 1;
                    let answer = format!(r#"{{"success":true,"requestId":"tls-{n}"}}"#);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        answer.len()
                    );
                    let out = stream.get_mut();
                    if out.write_all(head.as_bytes()).await.is_err() || out.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = out.flush().await;
                }
            });
        }
    });
    (port, connections, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_trusted_certificate_and_only_with_one() {
    // SAFETY: the only test of this binary; set before any TLS configuration is built.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", fixture("ca.pem"));
        std::env::remove_var("SSL_CERT_DIR");
    }
    let (port, connections, requests) = https_server("127.0.0.1").await;

    // The certificate names localhost and 127.0.0.1: both verify, the answer comes back, and
    // the connection is kept alive across calls.
    for host in ["localhost", "127.0.0.1"] {
        let client = ClientBuilder::new()
            .app_id("a")
            .api_key("k3y")
            .base_url(format!("https://{host}:{port}"))
            .build()
            .unwrap();
        for _ in 0..3 {
            let result = client.listeners().submit_visitor("l1", json!({"phoneNumber": "7045550100"}), None).await.unwrap();
            assert!(result.success && result.request_id.starts_with("tls-"), "{result:?}");
        }
    }
    assert_eq!(requests.load(Ordering::SeqCst), 6);
    assert_eq!(connections.load(Ordering::SeqCst), 2, "one kept-alive connection per client");

    // A server whose certificate does not carry the name it is reached by (127.0.0.2, also
    // loopback): refused before anything is sent, as a connection error safe to retry.
    let (other_port, _, other_requests) = https_server("127.0.0.2").await;
    let wrong_name = ClientBuilder::new()
        .app_id("a")
        .api_key("k3y")
        .base_url(format!("https://127.0.0.2:{other_port}"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = wrong_name.listeners().submit_visitor("l1", json!({"phoneNumber": "7045550100"}), None).await.unwrap_err();
    assert_eq!((err.kind(), err.outcome_unknown()), (ErrorKind::Connection, false), "{err}");
    assert!(err.message().contains("certificate"), "{err}");
    assert_eq!(other_requests.load(Ordering::SeqCst), 0, "nothing was sent to the wrong name");
}
