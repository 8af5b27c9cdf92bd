//! A proxy named by the environment is used (through reqwest), and the API key is sent to
//! the API through it. Its own test binary: it changes the process environment.

use botsplash::ClientBuilder;
use botsplash_mock::{MockConfig, MockServer};
use serde_json::json;

#[test]
fn http_proxy_from_the_environment_carries_the_requests() {
    // The mock stands in for the proxy: a plain-HTTP proxy receives the request with its full
    // URL and the mock routes it by path, so arriving there proves the proxy was used. The
    // base URL's port has nothing listening: a direct connection would be refused.
    let proxy = MockServer::start_background(MockConfig::default()).unwrap();
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // SAFETY: the only test of this binary; set before any thread reads the environment.
    unsafe {
        std::env::set_var("HTTP_PROXY", proxy.url());
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }
    let client = ClientBuilder::new()
        .app_id("demo-app")
        .api_key("demo-key")
        .base_url(format!("http://127.0.0.1:{unused_port}"))
        .max_retries(0)
        .build_blocking()
        .unwrap();
    let result = client.listeners().submit_visitor("l1", json!({"phoneNumber": "7045550100"}), None).unwrap();
    assert!(result.success);
    assert_eq!(proxy.ledger().total, 1);
}
