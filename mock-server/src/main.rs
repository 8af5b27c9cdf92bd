//! `botsplash-mock`: run the mock Botsplash Open API server from the command line.

use std::io::Write;
use std::process::ExitCode;

use botsplash_mock::{MockConfig, MockServer};
use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AFTER_HELP: &str = "\
API ENDPOINTS (as in the Botsplash Open API docs; base URL = the printed address):
  POST /{appId}/listener/botsplash/{id}    JSON {\"visitor\": {...}, \"args\": {...}}
                                           -> {\"success\": true, \"requestId\": UUID}
  POST /{appId}/listener/salesforce/{id}   JSON {\"visitors\": [...], \"args\": {...}}
                                           -> [{\"success\": true, \"requestId\": UUID}, ...]
  POST /{appId}/listener/lendingtree/{id}  XML lead (application/xml or text/xml)
                                           -> <LeadResponse><Status>Success</Status>...
  POST /{appId}/message                    JSON {\"text\": ..., \"visitor\": {...}} -> {}

  Auth: HTTP Basic (--username/--password), or api_key in the query string, or a
  top-level \"api_key\" field of a JSON body. Checks, in order: 404 unknown app, 413 body
  too large, 401 auth, 404 unknown listener (only with --listener), 415 content type,
  400 body (the message names the field, e.g. visitors[2].deliveryStatus). Errors are
  {\"message\": ...}; LendingTree errors are <LeadResponse><Status>Error</Status>
  <Message>...</Message></LeadResponse>. Every answer has an x-request-id header.

CONTROL API (no auth, not recorded):
  GET    /__mock/requests   the ledger: {\"total\", \"dropped\", \"counts\", \"requests\": [...]}
  DELETE /__mock/requests   empty the ledger and reset its counters (seq keeps increasing)
  GET    /__mock/faults     queued faults, with their remaining \"times\"
  POST   /__mock/faults     queue one fault object, or {\"faults\": [...]}
  DELETE /__mock/faults     drop all queued faults
  GET    /__mock/health     {\"status\": \"ok\", \"app_id\": ...}

FAULTS:
  {\"operation\": \"any\", \"times\": 1, \"action\": ACTION, \"status\": 503, \"retry_after\": \"2\",
   \"body\": \"...\", \"content_type\": \"...\", \"delay_ms\": 0, \"size_bytes\": 8388608}
  operation: any, submit_visitor, submit_salesforce_visitors, submit_lendingtree_lead,
  send_message. Each request takes the first queued fault for its operation (FIFO),
  using up one of its \"times\". delay_ms delays any action. Actions:
    status              answer status (+ Retry-After) with body, without processing
    delay               wait delay_ms, then answer normally
    drop_before_read    close the connection unread, without an answer
    drop_after_read     process the request, then close without an answer
    malformed_json      process, then answer a body that does not parse
    truncated_body      process, then answer the first half of the real body
    wrong_content_type  process, then answer an HTML page
    oversized_body      process, then answer the real body padded to size_bytes
  The last four keep the status processing chose (a rejected request stays 4xx).

EXAMPLE:
  botsplash-mock --port 8080 &
  curl -u demo:demo-password -H 'Content-Type: application/json' \\
       -d '{\"visitor\": {\"phoneNumber\": \"+1 704 555 0100\"}}' \\
       http://127.0.0.1:8080/demo-app/listener/botsplash/l1
  curl -d '{\"action\": \"status\", \"status\": 429, \"retry_after\": \"2\"}' \\
       http://127.0.0.1:8080/__mock/faults
  curl http://127.0.0.1:8080/__mock/requests";

/// A local Botsplash Open API server with a request ledger and fault injection.
#[derive(Debug, Parser)]
#[command(name = "botsplash-mock", version, after_help = AFTER_HELP)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free one (printed on the first line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The app id the server knows; others get 404.
    #[arg(long, default_value = "demo-app")]
    app_id: String,
    /// API key accepted in the query string or JSON body.
    #[arg(long, default_value = "demo-key")]
    api_key: String,
    /// HTTP Basic username.
    #[arg(long, default_value = "demo")]
    username: String,
    /// HTTP Basic password.
    #[arg(long, default_value = "demo-password")]
    password: String,
    /// Accept every request without credentials.
    #[arg(long)]
    no_auth: bool,
    /// A known listener id (repeatable). Without any, every listener id is accepted.
    #[arg(long = "listener", value_name = "ID")]
    listeners: Vec<String>,
    /// Ledger entries kept; older ones are dropped (and counted).
    #[arg(long, default_value_t = 10_000)]
    ledger_cap: usize,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_body_bytes: usize,
}

impl Cli {
    fn into_config(self) -> MockConfig {
        let auth = !self.no_auth;
        MockConfig {
            app_id: self.app_id,
            api_key: auth.then_some(self.api_key),
            username: auth.then_some(self.username),
            password: auth.then_some(self.password),
            listeners: self.listeners,
            ledger_cap: self.ledger_cap,
            max_body_bytes: self.max_body_bytes,
            host: self.host,
            port: self.port,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = Cli::parse().into_config();
    // Handlers go in before the address is printed: a script may signal right after it.
    let signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("botsplash-mock: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match MockServer::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("botsplash-mock: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Scripts wait for this exact line to learn the port: flush it at once.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on http://{}", server.addr());
    let _ = stdout.flush();
    drop(stdout);
    eprintln!(
        "botsplash-mock: app id {:?}; API at {}/{}/...; control API at {}/__mock/",
        server.config().app_id,
        server.url(),
        server.config().app_id,
        server.url()
    );

    signals.wait().await;
    server.shutdown();
    ExitCode::SUCCESS
}

/// Ctrl-C and SIGTERM, registered up front.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
