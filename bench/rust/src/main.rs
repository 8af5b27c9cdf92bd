//! Rust side of the SDK benchmarks (driven by `bench/run.sh`; prints one JSON document).
//!
//! `botsplash-bench seq --url BASE [--n N] [--warmup W] [--rounds R]`
//!     sequential keep-alive `submit_visitor` calls: raw reqwest awaited on a current-thread
//!     runtime (the ceiling candidate), the SDK's async `Client` on the same kind of runtime,
//!     and `blocking::Client`; the cases alternate round by round.
//! `botsplash-bench bulk --url BASE [--count N]`
//!     N visitors through `submit_salesforce_visitors` (blocking client): wall time, peak RSS.
//!
//! The payload is `bench/payload.json`, shared with every language's benchmark.

use std::time::{Duration, Instant};

use botsplash::Visitor;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

const APP_ID: &str = "demo-app";
const API_KEY: &str = "demo-key";

struct Args {
    mode: String,
    url: String,
    payload: String,
    n: usize,
    warmup: usize,
    rounds: usize,
    count: usize,
    /// Case ids to run (all when empty); for profiling one case.
    only: Vec<String>,
}

fn parse_args() -> Args {
    let mut argv = std::env::args().skip(1);
    let mode = argv.next().unwrap_or_default();
    let mut args = Args {
        mode,
        url: String::new(),
        payload: concat!(env!("CARGO_MANIFEST_DIR"), "/../payload.json").to_owned(),
        n: 20_000,
        warmup: 1_000,
        rounds: 3,
        count: 100_000,
        only: Vec::new(),
    };
    while let Some(flag) = argv.next() {
        let value = argv.next().unwrap_or_else(|| die(&format!("{flag} needs a value")));
        let number = || value.parse::<usize>().unwrap_or_else(|_| die(&format!("{flag}: not a number: {value}")));
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--payload" => args.payload = value.clone(),
            "--n" => args.n = number(),
            "--warmup" => args.warmup = number(),
            "--rounds" => args.rounds = number(),
            "--count" => args.count = number(),
            "--only" => args.only.extend(value.split(',').map(str::to_owned)),
            _ => die(&format!("unknown option {flag}")),
        }
    }
    if args.url.is_empty() {
        die("--url is required");
    }
    args
}

fn die(message: &str) -> ! {
    eprintln!("botsplash-bench: {message}");
    eprintln!("usage: botsplash-bench seq|bulk --url BASE [--n N] [--warmup W] [--rounds R] [--count N] [--payload FILE] [--only ID,...]");
    std::process::exit(2)
}

struct Payload {
    listener_id: String,
    message: String,
    visitor: Value,
}

fn load_payload(path: &str) -> Payload {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| die(&format!("cannot read {path}: {e}")));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| die(&format!("{path}: {e}")));
    Payload {
        listener_id: v["listener_id"].as_str().unwrap_or_default().to_owned(),
        message: v["message"].as_str().unwrap_or_default().to_owned(),
        visitor: v["visitor"].clone(),
    }
}

/// One timed round of one case.
struct Round {
    calls: usize,
    seconds: f64,
    cpu_ns: u64,
    latencies_ns: Vec<u64>,
    errors: usize,
}

impl Round {
    fn to_json(&self, concurrency: usize) -> Value {
        let mut sorted = self.latencies_ns.clone();
        sorted.sort_unstable();
        let pct = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1] as f64 / 1000.0
        };
        json!({
            "calls": self.calls,
            "seconds": self.seconds,
            "calls_per_s": self.calls as f64 / self.seconds,
            "p50_us": pct(0.50),
            "p99_us": pct(0.99),
            "cpu_us_per_call": self.cpu_ns as f64 / self.calls.max(1) as f64 / 1000.0,
            "errors": self.errors,
            "concurrency": concurrency,
        })
    }
}

/// Times `n` calls of `call` after `warmup` untimed ones; a call returns whether it succeeded.
fn timed(n: usize, warmup: usize, mut call: impl FnMut() -> bool) -> Round {
    let mut errors = 0;
    for _ in 0..warmup {
        if !call() {
            errors += 1;
        }
    }
    let mut latencies_ns = Vec::with_capacity(n);
    let cpu0 = process_cpu_ns();
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        if !call() {
            errors += 1;
        }
        latencies_ns.push(t.elapsed().as_nanos() as u64);
    }
    let seconds = start.elapsed().as_secs_f64();
    Round { calls: n, seconds, cpu_ns: process_cpu_ns().saturating_sub(cpu0), latencies_ns, errors }
}

/// CPU time (user + system) used so far by this process, every thread included.
fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and a pointer to a live timespec.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    success: bool,
    request_id: String,
}

fn sdk_builder(url: &str) -> botsplash::ClientBuilder {
    botsplash::ClientBuilder::new().app_id(APP_ID).api_key(API_KEY).base_url(url)
}

fn seq(args: &Args) {
    let payload = load_payload(&args.payload);
    // What a Rust user holds: a typed visitor, converted by the SDK on each call.
    let visitor: Visitor = serde_json::from_value(payload.visitor.clone()).unwrap_or_else(|e| die(&format!("payload: {e}")));
    let message = payload.message.as_str();
    let listener = payload.listener_id.as_str();

    // Raw reqwest: the same request the SDK sends, written by hand as tightly as reqwest
    // allows (body encoded once, URL parsed once, response parsed into a struct).
    let raw_url = reqwest::Url::parse(&format!("{}/{APP_ID}/listener/botsplash/{listener}?api_key={API_KEY}", args.url))
        .unwrap_or_else(|e| die(&format!("bad url: {e}")));
    let raw_body = Bytes::from(
        serde_json::to_vec(&json!({"visitor": payload.visitor, "args": {"message": message}})).unwrap_or_default(),
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| die(&e.to_string()));
    let raw = {
        let _enter = rt.enter();
        reqwest::Client::builder()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| die(&e.to_string()))
    };
    let raw_call = || {
        rt.block_on(async {
            let response = match raw
                .post(raw_url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::ACCEPT, "application/json")
                .body(raw_body.clone())
                .send()
                .await
            {
                Ok(r) => r,
                Err(_) => return false,
            };
            if !response.status().is_success() {
                return false;
            }
            match response.bytes().await {
                Ok(body) => serde_json::from_slice::<Accepted>(&body).is_ok_and(|a| a.success && !a.request_id.is_empty()),
                Err(_) => false,
            }
        })
    };

    let async_client = {
        let _enter = rt.enter();
        sdk_builder(&args.url).build().unwrap_or_else(|e| die(&e.to_string()))
    };
    let async_call = || {
        rt.block_on(async {
            async_client
                .listeners()
                .submit_visitor(listener, &visitor, Some(message))
                .await
                .is_ok_and(|r| r.success && !r.request_id.is_empty())
        })
    };

    let blocking_client = sdk_builder(&args.url).build_blocking().unwrap_or_else(|e| die(&e.to_string()));
    let blocking_call = || {
        blocking_client
            .listeners()
            .submit_visitor(listener, &visitor, Some(message))
            .is_ok_and(|r| r.success && !r.request_id.is_empty())
    };

    // hyper's own HTTP/1.1 client on one kept-alive connection: what is left of a call when
    // reqwest's layers are taken away (a reference, not a baseline users would write).
    let hyper_url = raw_url.clone();
    let hyper_sender = std::cell::RefCell::new(rt.block_on(hyper_connect(&hyper_url)));
    let hyper_path = format!("{}?{}", hyper_url.path(), hyper_url.query().unwrap_or(""));
    let hyper_host = format!("{}:{}", hyper_url.host_str().unwrap_or("127.0.0.1"), hyper_url.port().unwrap_or(80));
    let hyper_call = || {
        rt.block_on(async {
            let mut sender = hyper_sender.borrow_mut();
            if sender.is_closed() {
                *sender = hyper_connect(&hyper_url).await;
            }
            let request = hyper::Request::post(hyper_path.as_str())
                .header(hyper::header::HOST, hyper_host.as_str())
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .header(hyper::header::ACCEPT, "application/json")
                .body(http_body_util::Full::new(raw_body.clone()));
            let Ok(request) = request else { return false };
            let Ok(response) = sender.send_request(request).await else { return false };
            if !response.status().is_success() {
                return false;
            }
            use http_body_util::BodyExt as _;
            match response.into_body().collect().await {
                Ok(body) => serde_json::from_slice::<Accepted>(&body.to_bytes()).is_ok_and(|a| a.success && !a.request_id.is_empty()),
                Err(_) => false,
            }
        })
    };

    type Call<'a> = Box<dyn Fn() -> bool + 'a>;
    let cases: Vec<(&str, &str, &str, Call)> = vec![
        ("rust-reqwest", "reqwest, current-thread runtime (raw)", "baseline", Box::new(raw_call)),
        ("rust-async", "Rust async Client (current-thread runtime)", "sdk", Box::new(async_call)),
        ("rust-blocking", "Rust blocking::Client", "sdk", Box::new(blocking_call)),
        ("rust-hyper", "hyper http1, one raw connection (reference)", "reference", Box::new(hyper_call)),
    ];
    let cases: Vec<_> = cases.into_iter().filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.0)).collect();
    let mut rounds: Vec<Vec<Value>> = vec![Vec::new(); cases.len()];
    for _ in 0..args.rounds {
        for (i, (_, _, _, call)) in cases.iter().enumerate() {
            rounds[i].push(timed(args.n, args.warmup, call).to_json(1));
        }
    }
    let out: Vec<Value> = cases
        .iter()
        .zip(rounds)
        .map(|((id, label, role, _), rounds)| {
            json!({"id": id, "label": label, "role": role, "language": "rust", "concurrency": 1, "rounds": rounds})
        })
        .collect();
    println!("{}", json!({"suite": "sequential", "language": "rust", "cases": out}));
}

type HyperSender = hyper::client::conn::http1::SendRequest<http_body_util::Full<Bytes>>;

async fn hyper_connect(url: &reqwest::Url) -> HyperSender {
    let addr = (url.host_str().unwrap_or("127.0.0.1"), url.port().unwrap_or(80));
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| die(&format!("connect: {e}")));
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap_or_else(|e| die(&format!("handshake: {e}")));
    // The connection task lives on the same current-thread runtime, like reqwest's.
    tokio::spawn(connection);
    sender
}

/// Peak and current resident set size of this process, in bytes (`/proc/self/status`).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn bulk(args: &Args) {
    let payload = load_payload(&args.payload);
    let template: Visitor = serde_json::from_value(payload.visitor.clone()).unwrap_or_else(|e| die(&format!("payload: {e}")));
    let client = sdk_builder(&args.url).build_blocking().unwrap_or_else(|e| die(&e.to_string()));
    let rss_start = rss().1;
    // A lazy iterator, as rows come from a CSV reader or a database cursor: the peak RSS is
    // then the SDK's own (a Vec<Visitor> of 100k would hold ~110 MB of its own first).
    let visitors = (0..args.count).map(|i| Visitor {
        phone_number: Some(format!("+1704{i:07}")),
        client_visitor_id: Some(format!("crm-{i}")),
        email: Some(format!("lead{i}@example.com")),
        ..template.clone()
    });
    let rss_input = rss().1;
    let start = Instant::now();
    let result = client.listeners().submit_salesforce_visitors(&payload.listener_id, visitors, Some(&payload.message));
    let seconds = start.elapsed().as_secs_f64();
    let (peak, _) = rss();
    let (accepted, error) = match &result {
        Ok(results) => (results.iter().filter(|r| r.success).count(), None),
        Err(e) => (0, Some(e.to_string())),
    };
    println!(
        "{}",
        json!({"suite": "bulk", "language": "rust", "cases": [{
            "id": "rust-bulk", "label": "Rust blocking::Client", "language": "rust",
            "visitors": args.count, "accepted": accepted, "error": error, "seconds": seconds,
            "rss_start_bytes": rss_start, "rss_input_bytes": rss_input, "peak_rss_bytes": peak,
            "input": "a lazy iterator of Visitor",
        }]})
    );
}

fn main() {
    let args = parse_args();
    match args.mode.as_str() {
        "seq" => seq(&args),
        "bulk" => bulk(&args),
        other => die(&format!("unknown mode {other:?}")),
    }
}
