//! Direct connections to the API host: hyper's HTTP/1.1 client connections, kept alive in a
//! small pool of this module's own, TLS by rustls with the platform's verifier.
//!
//! Why not reqwest here: per call it re-parses the URL twice, runs its redirect layer even
//! with redirects off, and goes through a general multi-host pool. Those layers are most of a
//! call's client CPU on a fast network (callgrind, BENCHMARKS.md); this pool serves one host
//! and the SDK's requests only, so it needs none of them.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue, RETRY_AFTER, USER_AGENT};
use hyper::{Method, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{Answer, Failure, MAX_RESPONSE_BYTES, Request, cause_text, content_types, too_big};
use crate::config::{Config, Credentials};
use crate::error::{Error, ErrorKind};
use crate::retry::{self, Retry};

/// An idle connection older than this is closed rather than reused: servers and load
/// balancers drop idle connections silently after a minute or so, and a request written to
/// such a connection has an unknown outcome.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Idle connections kept; more than the highest useful concurrency of one program.
const MAX_IDLE: usize = 256;

/// A connection idle longer than this is checked for a close that arrived meanwhile before a
/// request is written to it (see `Pool::send`); back-to-back calls skip the check.
const RECHECK_AFTER_IDLE: Duration = Duration::from_millis(1);

type Sender = SendRequest<Full<Bytes>>;

/// The connections of one client (or one thread's driver) to the API host.
pub(crate) struct Pool {
    /// Host name or IP address to connect to (no brackets).
    host: String,
    port: u16,
    /// The name the certificate must be valid for; `None` for plain `http://` (loopback only).
    tls: Option<(TlsConnector, ServerName<'static>)>,
    host_header: HeaderValue,
    user_agent: HeaderValue,
    authorization: Option<HeaderValue>,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

/// How one exchange on a connection ended.
enum Exchange {
    /// The connection closed before the request was written: it can go on another one.
    NotSent(hyper::Request<Full<Bytes>>, hyper::Error),
    /// The request was (maybe partly) written and then the connection failed.
    Lost(hyper::Error),
    /// An answer, or a failure reading it; the connection is reusable only after a full answer.
    Answered(Result<Answer, Failure>, bool),
}

impl Pool {
    pub(crate) fn new(cfg: &Config) -> crate::Result<Pool> {
        let url = &cfg.base_url;
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::config("base_url has no host")),
        };
        let port = url.port_or_known_default().ok_or_else(|| Error::config("base_url has no port"))?;
        // `host_str` keeps an IPv6 address's brackets, as the Host header needs.
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let tls = if url.scheme() == "https" {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| Error::config("base_url's host is not a valid TLS server name"))?;
            Some((TlsConnector::from(tls_config()?), name))
        } else {
            None
        };
        Ok(Pool {
            host,
            port,
            tls,
            host_header: HeaderValue::from_str(&authority).map_err(|_| Error::config("base_url's host is not a valid header"))?,
            user_agent: HeaderValue::from_str(&cfg.user_agent).map_err(|_| Error::config("invalid user agent"))?,
            authorization: match &cfg.credentials {
                Credentials::Basic { header, .. } => Some(header.clone()),
                Credentials::ApiKey { .. } => None,
            },
            idle: Mutex::new(Vec::new()),
        })
    }

    /// One attempt: a pooled or new connection, the request, the whole answer, all within
    /// the configured timeout.
    pub(crate) async fn send(&self, cfg: &Config, req: &Request) -> Result<Answer, Failure> {
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        let Some(mut request) = self.request(req) else {
            return Err(Failure { error: Error::config("the request URL is not valid"), retry: Retry::Never });
        };
        loop {
            let (mut sender, reused) = match self.checkout() {
                Some((sender, idle_for)) => {
                    if idle_for > RECHECK_AFTER_IDLE {
                        // A server closes an idle connection whenever its keep-alive ends, and
                        // nothing may have read that close yet (a blocking client's runtime only
                        // runs during calls). Writing to such a connection gives an unknown
                        // outcome; one yield lets the runtime poll its sockets and the
                        // connection notice the close, so a live one is taken instead.
                        tokio::task::yield_now().await;
                        if sender.is_closed() {
                            continue;
                        }
                    }
                    (sender, true)
                }
                None => match tokio::time::timeout_at(deadline, self.connect(cfg)).await {
                    Ok(connected) => (connected?, false),
                    // Still connecting: nothing was sent.
                    Err(_) => return Err(timeout(cfg, false)),
                },
            };
            let exchange = match tokio::time::timeout_at(deadline, exchange(&mut sender, request)).await {
                Ok(exchange) => exchange,
                // Dropping the sender closes the connection: a late answer cannot be mistaken
                // for the next request's.
                Err(_) => return Err(timeout(cfg, true)),
            };
            match exchange {
                // A pooled connection the server had closed: take the next one (or a new one).
                Exchange::NotSent(back, _) if reused => request = back,
                Exchange::NotSent(_, e) => {
                    return Err(Failure {
                        error: Error::new(ErrorKind::Connection, format!("could not connect: {}", cause_text(&e, "closed"))),
                        retry: Retry::NotSent,
                    });
                }
                Exchange::Lost(e) => {
                    let reason = cause_text(&e, "connection closed");
                    let error = Error::new(
                        ErrorKind::Connection,
                        format!("the connection was lost; the request may have been processed: {reason}"),
                    );
                    return Err(Failure { error: error.with_outcome_unknown(true), retry: Retry::UnknownOutcome });
                }
                Exchange::Answered(result, reusable) => {
                    if reusable {
                        self.checkin(sender);
                    }
                    return result;
                }
            }
        }
    }

    fn request(&self, req: &Request) -> Option<hyper::Request<Full<Bytes>>> {
        // The base URL was validated and every path segment percent-encoded: this parses.
        let uri: Uri = req.target.uri.clone()?;
        let (content_type, accept) = content_types(req.op);
        let mut request = hyper::Request::new(Full::new(req.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.reserve(6);
        headers.insert(HOST, self.host_header.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(authorization) = &self.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        Some(request)
    }

    /// The most recently used live connection (the one most likely still open) and how long it
    /// was idle, if any.
    fn checkout(&self) -> Option<(Sender, Duration)> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(Idle { sender, since }) = idle.pop() {
            let idle_for = since.elapsed();
            if idle_for > IDLE_TIMEOUT {
                // The rest are older still.
                idle.clear();
                return None;
            }
            if !sender.is_closed() {
                return Some((sender, idle_for));
            }
        }
        None
    }

    fn checkin(&self, sender: Sender) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(Idle { sender, since: Instant::now() });
        }
    }

    /// A new connection (TCP, then TLS for https), within the connect timeout.
    async fn connect(&self, cfg: &Config) -> Result<Sender, Failure> {
        let not_sent = |error: Error| Failure { error, retry: Retry::NotSent };
        let connecting = async {
            let tcp = self.tcp().await.map_err(|e| not_sent(Error::new(ErrorKind::Connection, format!("could not connect: {e}"))))?;
            // Requests are written whole; Nagle's algorithm would only delay them.
            let _ = tcp.set_nodelay(true);
            let handshake_failed = |e: hyper::Error| {
                not_sent(Error::new(ErrorKind::Connection, format!("could not connect: {}", cause_text(&e, "handshake failed"))))
            };
            match &self.tls {
                None => handshake(tcp).await.map_err(handshake_failed),
                Some((connector, name)) => {
                    let tls = connector.connect(name.clone(), tcp).await.map_err(|e| {
                        not_sent(Error::new(ErrorKind::Connection, format!("could not connect: TLS: {}", cause_text(&e, "handshake failed"))))
                    })?;
                    handshake(tls).await.map_err(handshake_failed)
                }
            }
        };
        match tokio::time::timeout(cfg.connect_timeout, connecting).await {
            Ok(connected) => connected,
            Err(_) => Err(not_sent(Error::new(
                ErrorKind::Timeout,
                format!("could not connect within {:?}", cfg.connect_timeout),
            ))),
        }
    }

    /// A TCP connection to the first address of the host that accepts one.
    async fn tcp(&self) -> std::io::Result<TcpStream> {
        let mut last_error = None;
        for addr in tokio::net::lookup_host((self.host.as_str(), self.port)).await? {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other(format!("no address found for {}", self.host))))
    }
}

/// Starts HTTP/1.1 on `io`; the connection's task runs on the current runtime (the one the
/// pool's owner drives) until the connection closes or its sender is dropped.
async fn handshake<T>(io: T) -> hyper::Result<Sender>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::Builder::new().handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        // Its errors reach the request that was in flight, which reports them.
        let _ = connection.await;
    });
    Ok(sender)
}

async fn exchange(sender: &mut Sender, request: hyper::Request<Full<Bytes>>) -> Exchange {
    if let Err(e) = sender.ready().await {
        return Exchange::NotSent(request, e);
    }
    let response = match sender.try_send_request(request).await {
        Ok(response) => response,
        Err(mut e) => {
            return match e.take_message() {
                Some(request) => Exchange::NotSent(request, e.into_error()),
                None => Exchange::Lost(e.into_error()),
            };
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers();
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from);
    let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry::parse_retry_after);
    let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let read = read_capped(response.into_body(), length).await.map_err(|mut f| {
        f.error = f.error.with_status(status).with_request_id(request_id.clone());
        f
    });
    match read {
        Ok(body) => Exchange::Answered(Ok(Answer { status, request_id, retry_after, body }), true),
        Err(failure) => Exchange::Answered(Err(failure), false),
    }
}

async fn read_capped(mut body: Incoming, length: Option<u64>) -> Result<Bytes, Failure> {
    if length.is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        return Err(too_big());
    }
    let mut buf: Vec<u8> = Vec::with_capacity(length.unwrap_or(256) as usize);
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > MAX_RESPONSE_BYTES {
                        return Err(too_big());
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Err(e) => {
                let error = Error::new(
                    ErrorKind::Connection,
                    format!("the connection failed while reading the answer: {}", cause_text(&e, "closed")),
                );
                return Err(Failure { error: error.with_outcome_unknown(true), retry: Retry::UnknownOutcome });
            }
        }
    }
    Ok(Bytes::from(buf))
}

fn timeout(cfg: &Config, sent: bool) -> Failure {
    if sent {
        let error = Error::new(
            ErrorKind::Timeout,
            format!("no answer within {:?}; the request may have been processed", cfg.timeout),
        );
        Failure { error: error.with_outcome_unknown(true), retry: Retry::UnknownOutcome }
    } else {
        Failure {
            error: Error::new(ErrorKind::Timeout, format!("could not connect within {:?}", cfg.timeout)),
            retry: Retry::NotSent,
        }
    }
}

/// One TLS configuration for the whole process: building the platform verifier reads the
/// system's certificates, which is too slow to repeat per client or per thread. It holds no
/// thread or socket, so a forked child can keep using it.
fn tls_config() -> crate::Result<Arc<rustls::ClientConfig>> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let built = CONFIG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| e.to_string())?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            // The platform verifier is the safe one (the OS's roots and revocation rules);
            // "dangerous" is only rustls's name for plugging in any custom verifier.
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    });
    built.clone().map_err(|e| Error::config(format!("could not set up TLS: {e}")))
}
