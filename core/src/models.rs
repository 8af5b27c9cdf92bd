//! The API's data shapes (names as in the vendor docs' schemas).
//!
//! Operations take a visitor as a [`VisitorPayload`]: the typed [`Visitor`] (Rust programs), or
//! `serde_json::Value` with the API's field names, because bindings hand over what their users
//! wrote, wrong types included, and validation must report every field error with its path
//! rather than stop at the first serde failure. Both are checked by the same rules.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// VisitorNewSubmit: one person to engage. Only `phone_number` is required by the API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visitor {
    /// The CRM's id for the person, used by Botsplash for identification and dedupe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_visitor_id: Option<String>,
    /// The employee(s) assigned; with several, the first is the primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_client_user_id: Option<AgentClientUserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// US state, DC or territory code (`NC`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// IANA time zone (`America/New_York`), used for TCPA quiet hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tz_name: Option<String>,
    /// Initial delivery status; 202 overrides earlier unsubscribes for a new campaign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<i64>,
    /// Free-form attributes for routing rules and reports; sent exactly as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_attributes: Option<Map<String, Value>>,
    /// Fields this SDK does not know yet (the live API already has `participantAgentIds`);
    /// sent unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Visitor {
    pub fn new(phone_number: impl Into<String>) -> Self {
        Visitor { phone_number: Some(phone_number.into()), ..Default::default() }
    }
}

impl From<Visitor> for Value {
    fn from(visitor: Visitor) -> Value {
        // Serializing a struct of strings, integers and JSON maps cannot fail.
        serde_json::to_value(visitor).unwrap_or(Value::Null)
    }
}

impl From<&Visitor> for Value {
    fn from(visitor: &Visitor) -> Value {
        serde_json::to_value(visitor).unwrap_or(Value::Null)
    }
}

/// A visitor as the operations take it. Converts from [`Visitor`] (sent as it serializes,
/// with no intermediate JSON tree), `serde_json::Value` and a JSON object map.
#[derive(Clone, Debug)]
// Moved once per call; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum VisitorPayload {
    Typed(Visitor),
    Json(Value),
    /// JSON text of an object, checked from the text and sent as written: what bindings whose
    /// callers hand over JSON text (C, C#, Node.js) use. Build it with [`VisitorPayload::from_json`].
    JsonText(Box<RawValue>),
}

impl VisitorPayload {
    /// A visitor from JSON text, refusing exactly the texts `serde_json::Value` refuses (bad
    /// syntax, nesting deeper than 128, lone surrogates), with serde_json's error. A valid text
    /// is kept as written (number spellings and field order included) and checked when sent.
    pub fn from_json(text: &str) -> Result<VisitorPayload, serde_json::Error> {
        // A scan accepts what a `Value` refuses: lone surrogates in `\u` escapes, and nesting
        // deeper than 128 (at most as deep as there are brackets). Such texts are parsed whole.
        let brackets = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
        if brackets > 128 || text.contains("\\u") {
            return serde_json::from_str::<Value>(text).map(VisitorPayload::Json);
        }
        serde_json::from_str::<Box<RawValue>>(text).map(VisitorPayload::JsonText)
    }
}

impl From<Visitor> for VisitorPayload {
    fn from(v: Visitor) -> Self {
        VisitorPayload::Typed(v)
    }
}

impl From<&Visitor> for VisitorPayload {
    fn from(v: &Visitor) -> Self {
        VisitorPayload::Typed(v.clone())
    }
}

impl From<Value> for VisitorPayload {
    fn from(v: Value) -> Self {
        VisitorPayload::Json(v)
    }
}

impl From<Map<String, Value>> for VisitorPayload {
    fn from(v: Map<String, Value>) -> Self {
        VisitorPayload::Json(Value::Object(v))
    }
}

/// `agentClientUserId`: one id, or several with the primary first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AgentClientUserId {
    One(String),
    Many(Vec<String>),
}

/// ListenerRequestResult: the server accepted the visitor under this request id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerResult {
    pub success: bool,
    pub request_id: String,
}

/// ErrorResponse: the JSON body of a non-2xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub message: String,
}

/// The answer of the LendingTree endpoint: its HTTP status and its XML, as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LendingTreeResponse {
    pub status: u16,
    pub xml: String,
}

/// The documented visitor fields as (snake_case, wire camelCase) pairs. Bindings whose
/// language spells names in snake_case (Python) rename the top-level keys of a visitor with
/// this table; keys not in it pass through unchanged, as do nested values.
pub const VISITOR_FIELDS: [(&str, &str); 11] = [
    ("client_visitor_id", "clientVisitorId"),
    ("agent_client_user_id", "agentClientUserId"),
    ("team_code", "teamCode"),
    ("first_name", "firstName"),
    ("last_name", "lastName"),
    ("email", "email"),
    ("phone_number", "phoneNumber"),
    ("state", "state"),
    ("tz_name", "tzName"),
    ("delivery_status", "deliveryStatus"),
    ("extended_attributes", "extendedAttributes"),
];

/// The wire name of a visitor field given in snake_case, or the key itself when it is not a
/// documented field (extra fields are sent exactly as named).
pub fn wire_field_name(key: &str) -> &str {
    VISITOR_FIELDS.iter().find(|(snake, _)| *snake == key).map_or(key, |(_, wire)| wire)
}
