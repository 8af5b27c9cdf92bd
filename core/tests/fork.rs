//! A client used before `fork()` keeps working in the child (pre-forking servers such as
//! gunicorn and celery do exactly this). Without the core's fork guard the child hangs on the
//! inherited runtime or pooled connection, so every wait here is bounded.

use std::time::{Duration, Instant};

use botsplash::ClientBuilder;
use botsplash_mock::{MockConfig, MockServer, Operation};
use serde_json::json;

fn visitor() -> serde_json::Value {
    json!({"phoneNumber": "7045550100"})
}

/// Runs `child` in a forked process and returns its exit code (or fails after 20 s).
fn in_child(child: impl FnOnce() -> bool) -> i32 {
    // SAFETY: the child only runs `child` and then `_exit`s, never returning into the harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(false);
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let started = Instant::now();
    loop {
        let mut status = 0;
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
        }
        if started.elapsed() > Duration::from_secs(20) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child hung: the client is not fork-safe");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn clients_used_before_fork_work_in_the_child_and_the_parent() {
    let mock = MockServer::start_background(MockConfig::default()).unwrap();
    let builder = ClientBuilder::new().app_id("demo-app").api_key("demo-key").base_url(mock.url());

    // Blocking client: its per-thread runtime and pooled connection exist before the fork.
    let blocking = builder.build_blocking().unwrap();
    blocking.listeners().submit_visitor("l1", visitor(), None).unwrap();
    let code = in_child(|| blocking.listeners().submit_visitor("l1", visitor(), None).is_ok());
    assert_eq!(code, 0, "blocking client failed in the child");
    blocking.listeners().submit_visitor("l1", visitor(), None).unwrap();
    assert_eq!(mock.count(Operation::SubmitVisitor), 3);

    // Async client on the shared runtime (the way Python's AsyncClient runs it).
    let client = builder.build().unwrap();
    let run = |client: &botsplash::Client| {
        let client = client.clone();
        let handle = botsplash::runtime::shared().unwrap();
        handle
            .block_on(async move {
                let task = tokio::spawn(async move { client.messages().send("hi", Some(json!({"clientVisitorId": "c"}))).await });
                task.await
            })
            .map(|r| r.is_ok())
            .unwrap_or(false)
    };
    assert!(run(&client));
    assert_eq!(in_child(|| run(&client)), 0, "async client failed in the child");
    assert!(run(&client));
    assert_eq!(mock.count(Operation::SendMessage), 3);
}
