//! Quickstart: every operation and how to handle its errors.
//!
//! Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
//! BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and BOTSPLASH_BASE_URL (`scripts/demo.sh` points
//! it at a local mock server).

use botsplash::{Client, Error, ErrorKind, Visitor};
use serde_json::json;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("quickstart failed: {}: {e}", e.kind());
        std::process::exit(1);
    }
}

/// A demonstrated failure that did not happen: the quickstart exits non-zero.
fn unexpected(what: impl std::fmt::Debug) -> ! {
    eprintln!("unexpected: {what:?}");
    std::process::exit(1);
}

async fn run() -> Result<(), Error> {
    let client = Client::from_env()?;
    println!("client: {client:?}");

    // One visitor, with a first message.
    let ann = Visitor {
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email: Some("ann.lee@example.com".into()),
        state: Some("NC".into()),
        tz_name: Some("America/New_York".into()),
        client_visitor_id: Some("crm-1001".into()),
        extended_attributes: json!({"loanAmount": 250000, "source": "web"}).as_object().cloned(),
        ..Visitor::new("+1 (704) 555-0100")
    };
    let result = client.listeners().submit_visitor("new-leads", ann, Some("Hi Ann, this is Botsplash Lending!")).await?;
    println!("submit_visitor: success={} request_id={}", result.success, result.request_id);

    // Many visitors: sent in batches, results in input order.
    let visitors = (0..5).map(|i| json!({"phoneNumber": format!("704-555-02{i:02}"), "firstName": format!("Lead {i}")}));
    let results = client.listeners().submit_salesforce_visitors("salesforce-leads", visitors, None).await?;
    println!("submit_salesforce_visitors: {} accepted", results.iter().filter(|r| r.success).count());

    // A LendingTree lead, XML in and XML out.
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?><LeadInformation><FirstName>Bo</FirstName><Phone>7045550300</Phone></LeadInformation>"#;
    let answer = client.listeners().submit_lendingtree_lead("lendingtree", xml).await?;
    println!("submit_lendingtree_lead: HTTP {} {}", answer.status, answer.xml);

    // A direct message to a known visitor.
    client.messages().send("Your documents are ready to sign.", Some(json!({"clientVisitorId": "crm-1001"}))).await?;
    println!("messages.send: sent");

    // Bad input is caught before anything is sent, with every field's path.
    let bad = json!({"phoneNumber": "555", "state": "XX", "tzName": "Eastern"});
    match client.listeners().submit_visitor("new-leads", bad, None).await {
        Err(e) if e.kind() == ErrorKind::Validation => {
            println!("validation error, nothing sent:");
            for field in e.field_errors() {
                println!("  {}: {}", field.path, field.message);
            }
        }
        other => unexpected(other),
    }

    // Server-side failures carry the status, the request id and whether the lead may have
    // arrived. An app id given in code beats BOTSPLASH_APP_ID; the credentials still come from
    // the environment.
    let wrong_app = Client::builder().app_id("no-such-app").build()?;
    match wrong_app.listeners().submit_visitor("new-leads", json!({"phoneNumber": "7045550100"}), None).await {
        Err(e) => {
            println!("{} error: {}", e.kind(), e.message());
            println!(
                "  status {}, request id {}, outcome unknown: {}",
                e.status().map_or("none".to_string(), |s| s.to_string()),
                e.request_id().unwrap_or("none"),
                e.outcome_unknown()
            );
            if e.outcome_unknown() {
                println!("  the lead may have been delivered: do not resend it blindly");
            }
        }
        Ok(r) => unexpected(r),
    }
    Ok(())
}
