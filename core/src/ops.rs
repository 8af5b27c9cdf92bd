//! The four API operations, written once as async functions over a configuration and an HTTP
//! client. The async [`Client`](crate::Client) and the [`blocking::Client`](crate::blocking::Client)
//! differ only in where that HTTP client and its runtime come from.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{ApiKeyPlacement, Config, Credentials};
use crate::error::{Error, ErrorKind, PartialBulk, Result};
use crate::models::{LendingTreeResponse, ListenerResult, Visitor, VisitorPayload};
use crate::transport::{self, Http, Operation, Request, Response};
use crate::validate::{self, Errors, Phone};

pub(crate) async fn submit_visitor(
    cfg: &Config,
    http: &Http,
    listener_id: &str,
    visitor: VisitorPayload,
    message: Option<&str>,
) -> Result<ListenerResult> {
    let mut errors = Errors::default();
    validate::listener_id(listener_id, &mut errors);
    let visitor = checked_visitor(visitor, &"visitor", &mut errors);
    validate::message_arg(message, &mut errors);
    errors.finish()?;

    let body = Body { visitor: Some(visitor.as_body()), args: message.map(|message| Args { message }), ..Body::new(cfg) };
    let request = Request {
        op: Operation::SubmitVisitor,
        target: http.target(Operation::SubmitVisitor, listener_id, || listener_url(cfg, "botsplash", listener_id)),
        body: body.encode(),
    };
    let response = transport::execute(cfg, http, &request).await?;
    decode_json(&response)
}

/// A bulk submission, validated and encoded one visitor at a time as they arrive: only their
/// JSON text is kept (a tenth of a `Value` tree's size), so a lazy iterator of 100,000
/// visitors never exists in memory as objects. Every field error is still found before
/// anything is sent. Bindings build it while they convert their language's values, then send
/// it with `submit_prepared_salesforce_visitors`.
pub struct PreparedBulk {
    listener_id: String,
    visitors: Vec<Box<RawValue>>,
    message: Option<String>,
}

impl PreparedBulk {
    /// Validates and encodes `visitors` (with the listener id and optional message).
    pub fn new<V: Into<VisitorPayload>>(
        listener_id: &str,
        visitors: impl IntoIterator<Item = V>,
        message: Option<&str>,
    ) -> Result<PreparedBulk> {
        prepare_bulk(listener_id, visitors.into_iter().map(Into::into), message)
    }

    /// Starts a bulk submission that takes its visitors one call at a time: for bindings
    /// whose visitors arrive across a language boundary (C, C#, Node.js) and should not be
    /// gathered into one big array first.
    pub fn builder(listener_id: &str, message: Option<&str>) -> BulkBuilder {
        BulkBuilder {
            listener_id: listener_id.to_owned(),
            message: message.map(String::from),
            visitors: Vec::new(),
            pushed: 0,
            errors: Errors::default(),
        }
    }

    /// How many visitors it holds.
    pub fn len(&self) -> usize {
        self.visitors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.visitors.is_empty()
    }
}

/// A [`PreparedBulk`] being filled one visitor at a time. Every visitor is validated as it is
/// pushed and kept only as its JSON text; [`finish`](BulkBuilder::finish) reports every field
/// error of every visitor at once, exactly as [`PreparedBulk::new`] does.
pub struct BulkBuilder {
    listener_id: String,
    message: Option<String>,
    visitors: Vec<Box<RawValue>>,
    pushed: usize,
    errors: Errors,
}

impl BulkBuilder {
    /// Adds the next visitor (its index in the error paths is the number pushed before it).
    pub fn push(&mut self, visitor: impl Into<VisitorPayload>) {
        let i = self.pushed;
        self.pushed += 1;
        let visitor = checked_visitor(visitor.into(), &format_args!("visitors[{i}]"), &mut self.errors);
        // Once anything is wrong nothing will be sent: keep validating, stop encoding.
        if self.errors.is_empty() {
            let encoded = match visitor {
                // Already checked JSON text: kept as it is.
                CheckedVisitor::JsonText(raw) => Ok(raw),
                other => serde_json::value::to_raw_value(&other.as_body()),
            };
            match encoded {
                Ok(raw) => self.visitors.push(raw),
                // A JSON value always encodes; should that ever change, it is this visitor's error.
                Err(e) => self.errors.push(format!("visitors[{i}]"), format!("could not be encoded: {e}")),
            }
        } else {
            self.visitors = Vec::new();
        }
    }

    /// Adds the visitors of a JSON array text, in order, each as with
    /// [`VisitorPayload::from_json`]: only its slice of the text is read while it is checked,
    /// so a large import is never held as objects. Fails, pushing none after it, at the first
    /// text a visitor cannot be made from (the array's own syntax, nesting too deep, a lone
    /// surrogate); field problems are recorded as for [`push`](BulkBuilder::push).
    pub fn push_json_array(&mut self, text: &str) -> std::result::Result<(), serde_json::Error> {
        let visitors: Vec<&RawValue> = serde_json::from_str(text)?;
        for raw in visitors {
            self.push(VisitorPayload::from_json(raw.get())?);
        }
        Ok(())
    }

    /// Visitors pushed so far.
    pub fn len(&self) -> usize {
        self.pushed
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// The validated submission, or a validation error listing every problem found.
    pub fn finish(self) -> Result<PreparedBulk> {
        let BulkBuilder { listener_id, message, visitors, pushed, errors } = self;
        let mut all = Errors::default();
        validate::listener_id(&listener_id, &mut all);
        all.append(errors);
        if pushed == 0 {
            all.push("visitors", "must contain at least one visitor");
        }
        validate::message_arg(message.as_deref(), &mut all);
        all.finish()?;
        Ok(PreparedBulk { listener_id, visitors, message })
    }
}

pub(crate) fn prepare_bulk(
    listener_id: &str,
    visitors: impl IntoIterator<Item = VisitorPayload>,
    message: Option<&str>,
) -> Result<PreparedBulk> {
    let mut builder = PreparedBulk::builder(listener_id, message);
    for visitor in visitors {
        builder.push(visitor);
    }
    builder.finish()
}

pub(crate) async fn submit_salesforce_visitors(
    cfg: &Config,
    http: &Http,
    bulk: PreparedBulk,
) -> Result<Vec<ListenerResult>> {
    let PreparedBulk { listener_id, visitors, message } = bulk;
    let target = http.target(Operation::SubmitSalesforceVisitors, &listener_id, || listener_url(cfg, "salesforce", &listener_id));
    let batches: Vec<&[Box<RawValue>]> = visitors.chunks(cfg.batch_size).collect();
    let mut results: Vec<Option<ListenerResult>> = vec![None; visitors.len()];
    let mut failures: Vec<(usize, Error)> = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let mut next = 0;
    loop {
        // After the first failure no new batch starts: whatever broke (credentials, rate
        // limit, outage) would most likely break the rest too, and unsent leads are safe leads.
        while failures.is_empty() && next < batches.len() && in_flight.len() < cfg.bulk_concurrency {
            let index = next;
            next += 1;
            let batch = batches[index];
            let body = Body {
                visitors: Some(batch),
                args: message.as_deref().map(|message| Args { message }),
                ..Body::new(cfg)
            };
            let request = Request { op: Operation::SubmitSalesforceVisitors, target: target.clone(), body: body.encode() };
            in_flight.push(async move { (index, send_batch(cfg, http, request, batch.len()).await) });
        }
        match in_flight.next().await {
            None => break,
            Some((index, Ok(batch_results))) => {
                let start = index * cfg.batch_size;
                for (offset, result) in batch_results.into_iter().enumerate() {
                    results[start + offset] = Some(result);
                }
            }
            Some((index, Err(error))) => failures.push((index, error)),
        }
    }
    if failures.is_empty() {
        return Ok(results.into_iter().flatten().collect());
    }

    failures.sort_by_key(|(index, _)| *index);
    let any_unknown = failures.iter().any(|(_, e)| e.outcome_unknown());
    let (failed_index, first) = failures.swap_remove(0);
    let unconfirmed: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_none()).map(|(i, _)| i).collect();
    let total = results.len();
    let accepted = total - unconfirmed.len();
    if accepted == 0 {
        return Err(first);
    }
    let start = failed_index * cfg.batch_size;
    let end = (start + cfg.batch_size).min(total) - 1;
    let message = format!(
        "{accepted} of {total} visitors accepted; the batch of visitors {start}..={end} failed ({}): {}; {} visitors not confirmed{}",
        first.kind(),
        first.message(),
        unconfirmed.len(),
        if any_unknown { " (the failed batch may have been processed)" } else { "" }
    );
    let partial = PartialBulk { results, unconfirmed, cause: first.kind() };
    Err(first.with_outcome_unknown(any_unknown).into_partial(partial, message))
}

async fn send_batch(cfg: &Config, http: &Http, request: Request, expected: usize) -> Result<Vec<ListenerResult>> {
    let response = transport::execute(cfg, http, &request).await?;
    let results: Vec<ListenerResult> = decode_json(&response)?;
    if results.len() != expected {
        return Err(decode_error(
            &response,
            format!("the answer has {} results for a batch of {expected} visitors", results.len()),
        ));
    }
    Ok(results)
}

pub(crate) async fn submit_lendingtree_lead(
    cfg: &Config,
    http: &Http,
    listener_id: &str,
    xml: &str,
) -> Result<LendingTreeResponse> {
    let mut errors = Errors::default();
    validate::listener_id(listener_id, &mut errors);
    if let Err(msg) = crate::xml::check_well_formed(xml) {
        errors.push("xml", msg);
    }
    errors.finish()?;

    let request = Request {
        op: Operation::SubmitLendingTreeLead,
        // XML has no place for the key, so it always travels in the query string here.
        target: http.target(Operation::SubmitLendingTreeLead, listener_id, || {
            with_query_key(cfg, listener_url_path(cfg, "lendingtree", listener_id), true)
        }),
        body: Bytes::copy_from_slice(xml.as_bytes()),
    };
    let response = transport::execute(cfg, http, &request).await?;
    let text = std::str::from_utf8(&response.body)
        .map_err(|_| decode_error(&response, "the answer is not UTF-8 text".into()))?;
    crate::xml::check_well_formed(text)
        .map_err(|msg| decode_error(&response, format!("the answer is not XML: {msg}")))?;
    Ok(LendingTreeResponse { status: response.status, xml: text.to_owned() })
}

pub(crate) async fn send_message(cfg: &Config, http: &Http, text: &str, visitor: Option<Value>) -> Result<()> {
    let mut errors = Errors::default();
    if text.trim().is_empty() {
        errors.push("text", "is required and must not be empty");
    }
    let visitor = visitor.map(|v| validate::visitor(v, &"visitor", Phone::Optional, &mut errors));
    errors.finish()?;

    let body = Body { text: Some(text), visitor: visitor.as_ref().map(VisitorBody::Json), ..Body::new(cfg) };
    let request = Request {
        op: Operation::SendMessage,
        target: http.target(Operation::SendMessage, "", || with_query_key(cfg, app_url(cfg, &["message"]), false)),
        body: body.encode(),
    };
    // The documented answer is a bare 200; any 2xx body is accepted as is.
    transport::execute(cfg, http, &request).await.map(drop)
}

/// A listener visitor that passed validation, in the form it came in.
#[allow(clippy::large_enum_variant)] // see VisitorPayload
enum CheckedVisitor {
    Typed(Visitor),
    Json(Value),
    JsonText(Box<RawValue>),
}

impl CheckedVisitor {
    fn as_body(&self) -> VisitorBody<'_> {
        match self {
            CheckedVisitor::Typed(v) => VisitorBody::Typed(v),
            CheckedVisitor::Json(v) => VisitorBody::Json(v),
            CheckedVisitor::JsonText(v) => VisitorBody::JsonText(v),
        }
    }
}

/// Validates a visitor of a listener post (phone number required), recording its errors.
fn checked_visitor(visitor: VisitorPayload, path: &dyn std::fmt::Display, errors: &mut Errors) -> CheckedVisitor {
    match visitor {
        // A typed visitor is checked and later encoded as it is: no JSON tree per call.
        VisitorPayload::Typed(v) if !validate::extra_repeats_a_field(&v) => {
            validate::typed_visitor(&v, path, Phone::Required, errors);
            CheckedVisitor::Typed(v)
        }
        // `extra` repeats a documented field: the JSON form keeps one value per field.
        VisitorPayload::Typed(v) => CheckedVisitor::Json(validate::visitor(Value::from(v), path, Phone::Required, errors)),
        VisitorPayload::Json(v) => CheckedVisitor::Json(validate::visitor(v, path, Phone::Required, errors)),
        // Checked and later sent from its text when it can be judged from it: no JSON tree.
        VisitorPayload::JsonText(raw) if validate::raw_visitor(&raw, path, Phone::Required, errors) => {
            CheckedVisitor::JsonText(raw)
        }
        VisitorPayload::JsonText(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(v) => CheckedVisitor::Json(validate::visitor(v, path, Phone::Required, errors)),
            // `VisitorPayload::from_json` refuses what a `Value` cannot hold; a payload built
            // directly from a `RawValue` may still hold it.
            Err(e) => {
                errors.push(path.to_string(), format!("is not valid JSON: {e}"));
                CheckedVisitor::Json(Value::Null)
            }
        },
    }
}

/// A visitor in a request body: encoded straight from whichever form it has.
#[derive(Serialize)]
#[serde(untagged)]
enum VisitorBody<'a> {
    Typed(&'a Visitor),
    Json(&'a Value),
    JsonText(&'a RawValue),
}

/// Every JSON request body, encoded in one pass straight from borrowed parts (no
/// intermediate map). Field order is the docs': the payload, `args`, then `api_key`.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visitor: Option<VisitorBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visitors: Option<&'a [Box<RawValue>]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
}

#[derive(Serialize)]
struct Args<'a> {
    message: &'a str,
}

impl<'a> Body<'a> {
    fn new(cfg: &'a Config) -> Self {
        let api_key = match &cfg.credentials {
            Credentials::ApiKey { key, placement: ApiKeyPlacement::Body } => Some(key.expose()),
            _ => None,
        };
        Body { text: None, visitor: None, visitors: None, args: None, api_key }
    }

    fn encode(&self) -> Bytes {
        let mut buf = Vec::with_capacity(512);
        // Strings, JSON values and raw JSON always encode.
        let _ = serde_json::to_writer(&mut buf, self);
        Bytes::from(buf)
    }
}

fn app_url(cfg: &Config, rest: &[&str]) -> Url {
    let mut url = cfg.base_url.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        // Each push percent-encodes its segment, so an id cannot change the path.
        segments.pop_if_empty().push(&cfg.app_id).extend(rest);
    }
    url
}

fn listener_url_path(cfg: &Config, kind: &str, listener_id: &str) -> Url {
    app_url(cfg, &["listener", kind, listener_id])
}

fn listener_url(cfg: &Config, kind: &str, listener_id: &str) -> Url {
    with_query_key(cfg, listener_url_path(cfg, kind, listener_id), false)
}

fn with_query_key(cfg: &Config, mut url: Url, always_query: bool) -> Url {
    if let Credentials::ApiKey { key, placement } = &cfg.credentials {
        if always_query || *placement == ApiKeyPlacement::Query {
            url.query_pairs_mut().append_pair("api_key", key.expose());
        }
    }
    url
}

fn decode_json<T: DeserializeOwned>(response: &Response) -> Result<T> {
    serde_json::from_slice(&response.body)
        .map_err(|e| decode_error(response, format!("the answer is not the documented JSON: {e}")))
}

/// The server answered 2xx, so it processed the request, but the answer cannot be read: the
/// result is unknown and must not be retried blindly.
fn decode_error(response: &Response, message: String) -> Error {
    Error::new(ErrorKind::Decode, message)
        .with_status(response.status)
        .with_request_id(response.request_id.clone())
        .with_retries(response.retries)
        .with_outcome_unknown(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field errors of a listener visitor, and the JSON it would be sent as.
    fn check(payload: VisitorPayload) -> (Vec<crate::FieldError>, Option<Value>) {
        let mut errors = Errors::default();
        let visitor = checked_visitor(payload, &"visitor", &mut errors);
        let sent = serde_json::to_string(&visitor.as_body()).unwrap();
        match errors.finish() {
            Ok(()) => (Vec::new(), Some(serde_json::from_str(&sent).unwrap())),
            Err(e) => (e.field_errors().to_vec(), None),
        }
    }

    #[test]
    fn json_text_is_judged_and_sent_as_the_json_tree_would_be() {
        let texts = [
            r#"{"phoneNumber": "+1 704 555 0100", "firstName": "Ann", "deliveryStatus": 202,
                "agentClientUserId": ["a1", "a2"], "extendedAttributes": {"loan": [1, 2.5]}, "x": null}"#,
            r#"{"phoneNumber": "12", "email": "nope", "state": "XX", "tzName": "Mars/Base", "agentClientUserId": ""}"#,
            r#"{"firstName": "no phone"}"#,
            r#"{"phoneNumber": "7045550100", "agentClientUserId": ["a", " "]}"#,
            // Each of these takes the JSON-tree path: a documented field null, of another
            // type or twice, an escape, not an object.
            r#"{"phoneNumber": "7045550100", "email": null}"#,
            r#"{"phoneNumber": 7045550100}"#,
            r#"{"phoneNumber": "7045550100", "deliveryStatus": 2.5}"#,
            r#"{"phoneNumber": "7045550100", "deliveryStatus": "202"}"#,
            r#"{"phoneNumber": "7045550100", "extendedAttributes": []}"#,
            r#"{"phoneNumber": "7045550100", "agentClientUserId": ["a", 7]}"#,
            r#"{"phoneNumber": "7045550100", "phoneNumber": "12"}"#,
            r#"{"phoneNumber": "7045550100", "firstName": "Zo\u00eb"}"#,
            r#"{"phoneNumber": "7045550100", "firstName": "tab\there"}"#,
            r#"{"phoneNumber": "7045550100", "firstName": "say \"hi\"", "email": "", "state": " nc "}"#,
            r#"[1, 2]"#,
            r#""a visitor""#,
        ];
        for text in texts {
            let from_tree = check(VisitorPayload::Json(serde_json::from_str(text).unwrap()));
            let from_text = check(VisitorPayload::from_json(text).unwrap());
            assert_eq!(from_text, from_tree, "{text}");
        }
        // A valid text is sent as written: number spellings and member order kept.
        let text = r#"{"phoneNumber":"7045550100","amount":1.50,"big":123456789012345678901234567890}"#;
        let mut errors = Errors::default();
        let visitor = checked_visitor(VisitorPayload::from_json(text).unwrap(), &"visitor", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(serde_json::to_string(&visitor.as_body()).unwrap(), text);
    }

    #[test]
    fn json_arrays_of_visitors_fill_a_bulk_in_order() {
        let mut bulk = PreparedBulk::builder("l1", None);
        bulk.push_json_array(r#"[{"phoneNumber": "7045550100"}, {"phoneNumber": "12"}]"#).unwrap();
        bulk.push_json_array(r#"[{"phoneNumber": "7045550102", "state": "XX"}]"#).unwrap();
        assert_eq!(bulk.len(), 3);
        let err = bulk.finish().err().expect("field errors");
        let paths: Vec<&str> = err.field_errors().iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["visitors[1].phoneNumber", "visitors[2].state"]);

        let mut bulk = PreparedBulk::builder("l1", None);
        let not_array = bulk.push_json_array(r#"{"phoneNumber": "7045550100"}"#).unwrap_err();
        assert_eq!(not_array.classify(), serde_json::error::Category::Data);
        let unreadable = r#"[{"phoneNumber": "7045550100"}, {"x": "\ud800"}, {"phoneNumber": "7045550102"}]"#;
        assert!(bulk.push_json_array(unreadable).is_err());
        assert_eq!(bulk.len(), 1, "nothing after the unreadable visitor is pushed");
    }

    #[test]
    fn json_text_refuses_what_a_json_tree_refuses() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        for text in [deep.as_str(), r#"{"phoneNumber": "7045550100", "x": "\ud800"}"#, "{", "", "{} {}"] {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(VisitorPayload::from_json(text).is_err(), "{text}");
        }
    }
}
