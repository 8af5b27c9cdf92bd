//! Input checks run before anything is sent (DESIGN.md "Validation"). Each check appends to
//! one list so the user sees every field error at once, each with its path.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::models::{AgentClientUserId, VISITOR_FIELDS, Visitor};

/// Collects field errors for one operation call.
#[derive(Default)]
pub(crate) struct Errors(Vec<FieldError>);

impl Errors {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn append(&mut self, mut other: Errors) {
        self.0.append(&mut other.0);
    }

    /// `Ok(())` when nothing was found, else a validation error listing everything.
    pub(crate) fn finish(self) -> crate::Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(crate::Error::validation(self.0)) }
    }
}


/// Whether the visitor must have a phone number: listener posts require one; a message's
/// visitor may be identified by `clientVisitorId` instead.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phone {
    Required,
    Optional,
}

pub(crate) fn listener_id(id: &str, errors: &mut Errors) {
    if id.trim().is_empty() {
        errors.push("listenerId", "is required and must not be empty");
    } else if id.chars().any(char::is_control) {
        errors.push("listenerId", "must not contain control characters");
    }
}

pub(crate) fn message_arg(message: Option<&str>, errors: &mut Errors) {
    if let Some(m) = message {
        if m.trim().is_empty() {
            errors.push("args.message", "must not be empty when given");
        }
    }
}

/// One documented field of a visitor as given: absent, of the expected JSON type, or of
/// another one (which is reported with its type).
enum Slot<'a, T: ?Sized> {
    Missing,
    Given(&'a T),
    Wrong(&'a Value),
}

impl<'a, T: ?Sized> Slot<'a, T> {
    fn from_option(v: Option<&'a T>) -> Self {
        v.map_or(Slot::Missing, Slot::Given)
    }
}

/// `agentClientUserId` as given: one id or a list whose entries may be anything.
enum AgentIds<'a> {
    One(&'a str),
    Many(Vec<Slot<'a, str>>),
}

/// The documented fields of one visitor, whichever form it came in. Every rule is written
/// once, against this, for JSON and typed visitors alike.
struct Fields<'a> {
    client_visitor_id: Slot<'a, str>,
    agent_client_user_id: Slot<'a, AgentIds<'a>>,
    team_code: Slot<'a, str>,
    first_name: Slot<'a, str>,
    last_name: Slot<'a, str>,
    email: Slot<'a, str>,
    phone_number: Slot<'a, str>,
    state: Slot<'a, str>,
    tz_name: Slot<'a, str>,
    /// `Given` only for an integer; a fractional number is `Wrong` too.
    delivery_status: Slot<'a, ()>,
    extended_attributes: Slot<'a, ()>,
}

impl<'a> Fields<'a> {
    /// One pass over the map's keys (no per-field hash lookups: this runs on every call).
    fn of_json(map: &'a Map<String, Value>, agent_ids: &'a mut Option<AgentIds<'a>>) -> Fields<'a> {
        let mut f = Fields::empty();
        let text = |v: &'a Value| match v {
            Value::String(s) => Slot::Given(s.as_str()),
            other => Slot::Wrong(other),
        };
        let mut agent_value = None;
        for (key, value) in map {
            match key.as_str() {
                "clientVisitorId" => f.client_visitor_id = text(value),
                "agentClientUserId" => agent_value = Some(value),
                "teamCode" => f.team_code = text(value),
                "firstName" => f.first_name = text(value),
                "lastName" => f.last_name = text(value),
                "email" => f.email = text(value),
                "phoneNumber" => f.phone_number = text(value),
                "state" => f.state = text(value),
                "tzName" => f.tz_name = text(value),
                "deliveryStatus" => {
                    f.delivery_status = match value {
                        Value::Number(n) if n.is_i64() || n.is_u64() => Slot::Given(&()),
                        other => Slot::Wrong(other),
                    }
                }
                "extendedAttributes" => {
                    f.extended_attributes = match value {
                        Value::Object(_) => Slot::Given(&()),
                        other => Slot::Wrong(other),
                    }
                }
                _ => {}
            }
        }
        f.agent_client_user_id = match agent_value {
            None => Slot::Missing,
            Some(Value::String(s)) => Slot::Given(&*agent_ids.insert(AgentIds::One(s))),
            Some(Value::Array(ids)) => Slot::Given(&*agent_ids.insert(AgentIds::Many(ids.iter().map(text).collect()))),
            Some(other) => Slot::Wrong(other),
        };
        f
    }

    fn empty() -> Fields<'a> {
        Fields {
            client_visitor_id: Slot::Missing,
            agent_client_user_id: Slot::Missing,
            team_code: Slot::Missing,
            first_name: Slot::Missing,
            last_name: Slot::Missing,
            email: Slot::Missing,
            phone_number: Slot::Missing,
            state: Slot::Missing,
            tz_name: Slot::Missing,
            delivery_status: Slot::Missing,
            extended_attributes: Slot::Missing,
        }
    }

    /// A typed visitor's fields; its integer and map are always of the right type.
    fn of_typed(v: &'a Visitor, agent_ids: Option<&'a AgentIds<'a>>) -> Fields<'a> {
        Fields {
            client_visitor_id: Slot::from_option(v.client_visitor_id.as_deref()),
            agent_client_user_id: Slot::from_option(agent_ids),
            team_code: Slot::from_option(v.team_code.as_deref()),
            first_name: Slot::from_option(v.first_name.as_deref()),
            last_name: Slot::from_option(v.last_name.as_deref()),
            email: Slot::from_option(v.email.as_deref()),
            phone_number: Slot::from_option(v.phone_number.as_deref()),
            state: Slot::from_option(v.state.as_deref()),
            tz_name: Slot::from_option(v.tz_name.as_deref()),
            delivery_status: Slot::from_option(v.delivery_status.as_ref().map(|_| &())),
            extended_attributes: Slot::from_option(v.extended_attributes.as_ref().map(|_| &())),
        }
    }

    fn check(&self, path: &dyn std::fmt::Display, phone: Phone, errors: &mut Errors) {
        let at = |field: &str| format!("{path}.{field}");
        match &self.phone_number {
            Slot::Missing if phone == Phone::Required => errors.push(at("phoneNumber"), "is required"),
            Slot::Missing => {}
            Slot::Given(p) => {
                if let Err(msg) = phone_number(p) {
                    errors.push(at("phoneNumber"), msg);
                }
            }
            Slot::Wrong(other) => errors.push(at("phoneNumber"), must_be("a string", other)),
        }
        let has_text = |slot: &Slot<'_, str>| matches!(slot, Slot::Given(s) if !s.trim().is_empty());
        if phone == Phone::Optional && !has_text(&self.phone_number) && !has_text(&self.client_visitor_id) {
            errors.push(path.to_string(), "needs a clientVisitorId or a phoneNumber");
        }
        for (field, slot) in [
            ("clientVisitorId", &self.client_visitor_id),
            ("teamCode", &self.team_code),
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
        ] {
            if let Slot::Wrong(v) = slot {
                errors.push(at(field), must_be("a string", v));
            }
        }
        match &self.email {
            Slot::Given(e) if !is_email(e) => errors.push(at("email"), "is not a valid email address"),
            Slot::Wrong(other) => errors.push(at("email"), must_be("a string", other)),
            _ => {}
        }
        match &self.state {
            Slot::Given(s) if !is_us_state(s) => {
                errors.push(at("state"), format!("{s:?} is not a US state, DC or territory code"))
            }
            Slot::Wrong(other) => errors.push(at("state"), must_be("a string", other)),
            _ => {}
        }
        match &self.tz_name {
            Slot::Given(tz) => {
                if let Err(msg) = tz_name(tz) {
                    errors.push(at("tzName"), msg);
                }
            }
            Slot::Wrong(other) => errors.push(at("tzName"), must_be("a string", other)),
            Slot::Missing => {}
        }
        match &self.delivery_status {
            Slot::Wrong(other @ Value::Number(_)) => errors.push(at("deliveryStatus"), format!("must be an integer, not {other}")),
            Slot::Wrong(other) => errors.push(at("deliveryStatus"), must_be("an integer", other)),
            _ => {}
        }
        if let Slot::Wrong(other) = &self.extended_attributes {
            errors.push(at("extendedAttributes"), must_be("an object", other));
        }
        match &self.agent_client_user_id {
            Slot::Missing => {}
            Slot::Given(AgentIds::One(s)) if s.trim().is_empty() => errors.push(at("agentClientUserId"), "must not be empty"),
            Slot::Given(AgentIds::One(_)) => {}
            Slot::Given(AgentIds::Many(ids)) if ids.is_empty() => {
                errors.push(at("agentClientUserId"), "must not be an empty list")
            }
            Slot::Given(AgentIds::Many(ids)) => {
                for (i, id) in ids.iter().enumerate() {
                    match id {
                        Slot::Given(s) if !s.trim().is_empty() => {}
                        Slot::Wrong(other) => errors.push(format!("{path}.agentClientUserId[{i}]"), must_be("a string", other)),
                        _ => errors.push(format!("{path}.agentClientUserId[{i}]"), "must not be empty"),
                    }
                }
            }
            Slot::Wrong(other) => errors.push(at("agentClientUserId"), must_be("a string or a list of strings", other)),
        }
    }
}

/// Checks one visitor and returns it ready to send: known fields set to `null` are dropped
/// (a binding's `None` means "not given"); everything else is kept exactly as given.
pub(crate) fn visitor(value: Value, path: &dyn std::fmt::Display, phone: Phone, errors: &mut Errors) -> Value {
    let Value::Object(mut map) = value else {
        errors.push(path.to_string(), format!("must be an object, not {}", type_name(&value)));
        return value;
    };
    if map.values().any(Value::is_null) {
        drop_null_known_fields(&mut map);
    }
    let mut agent_ids = None;
    Fields::of_json(&map, &mut agent_ids).check(path, phone, errors);
    Value::Object(map)
}

/// Checks a typed visitor by the same rules. Its `extra` fields are not checked (as any
/// unknown JSON field); the caller sends a visitor whose `extra` repeats a documented field
/// as JSON instead, so there is one value per field.
pub(crate) fn typed_visitor(v: &Visitor, path: &dyn std::fmt::Display, phone: Phone, errors: &mut Errors) {
    let agent_ids = v.agent_client_user_id.as_ref().map(|ids| match ids {
        AgentClientUserId::One(s) => AgentIds::One(s),
        AgentClientUserId::Many(list) => AgentIds::Many(list.iter().map(|s| Slot::Given(s.as_str())).collect()),
    });
    Fields::of_typed(v, agent_ids.as_ref())
    .check(path, phone, errors);
}

/// Checks a visitor given as JSON text without building a JSON tree: only the documented
/// fields are read (as borrowed strings where they have no escapes), and the text is sent as
/// written. Returns `false`, recording nothing, when the text needs the JSON-tree path to be
/// judged exactly as it always is: not an object, a documented field that is `null`, of the
/// wrong type or given twice, or any `\u` escape (serde_json's tree refuses lone surrogates
/// that a scan lets through). The caller then checks it with [`visitor`].
pub(crate) fn raw_visitor(raw: &RawValue, path: &dyn std::fmt::Display, phone: Phone, errors: &mut Errors) -> bool {
    let text = raw.get();
    if text.contains("\\u") {
        return false;
    }
    let Ok(RawObject(entries)) = serde_json::from_str::<RawObject<'_>>(text) else { return false };
    let mut strings: [Option<Text<'_>>; 8] = Default::default();
    let mut agent: Option<Vec<Text<'_>>> = None;
    let mut agent_one: Option<Text<'_>> = None;
    let (mut delivery_status, mut extended_attributes) = (false, false);
    for (key, value) in &entries {
        let value = value.get();
        let string_slot = match key.as_ref() {
            "clientVisitorId" => Some(0),
            "teamCode" => Some(1),
            "firstName" => Some(2),
            "lastName" => Some(3),
            "email" => Some(4),
            "phoneNumber" => Some(5),
            "state" => Some(6),
            "tzName" => Some(7),
            _ => None,
        };
        if let Some(i) = string_slot {
            let Some(s) = json_string(value) else { return false };
            if strings[i].replace(s).is_some() {
                return false;
            }
            continue;
        }
        match key.as_ref() {
            "agentClientUserId" => {
                if agent.is_some() || agent_one.is_some() {
                    return false;
                }
                if value.starts_with('"') {
                    let Some(one) = json_string(value) else { return false };
                    agent_one = Some(one);
                } else {
                    let Ok(many) = serde_json::from_str::<Vec<Text<'_>>>(value) else { return false };
                    agent = Some(many);
                }
            }
            "deliveryStatus" => {
                let integer = serde_json::from_str::<i64>(value).is_ok() || serde_json::from_str::<u64>(value).is_ok();
                let repeated = std::mem::replace(&mut delivery_status, true);
                if repeated || !integer {
                    return false;
                }
            }
            "extendedAttributes" => {
                let repeated = std::mem::replace(&mut extended_attributes, true);
                if repeated || !value.starts_with('{') {
                    return false;
                }
            }
            _ => {}
        }
    }
    let agent_ids = match (agent_one.as_ref(), agent.as_ref()) {
        (Some(one), _) => Some(AgentIds::One(one.as_str())),
        (None, Some(many)) => Some(AgentIds::Many(many.iter().map(|s| Slot::Given(s.as_str())).collect())),
        (None, None) => None,
    };
    let text_of = |i: usize| Slot::from_option(strings[i].as_ref().map(Text::as_str));
    let fields = Fields {
        client_visitor_id: text_of(0),
        agent_client_user_id: Slot::from_option(agent_ids.as_ref()),
        team_code: text_of(1),
        first_name: text_of(2),
        last_name: text_of(3),
        email: text_of(4),
        phone_number: text_of(5),
        state: text_of(6),
        tz_name: text_of(7),
        delivery_status: if delivery_status { Slot::Given(&()) } else { Slot::Missing },
        extended_attributes: if extended_attributes { Slot::Given(&()) } else { Slot::Missing },
    };
    fields.check(path, phone, errors);
    true
}

/// The text of a JSON value that is a string (`None` for any other value). `value` is valid
/// JSON, so a string without a backslash is exactly what lies between its quotes.
fn json_string(value: &str) -> Option<Text<'_>> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<Text<'_>>(value).ok()
    } else {
        Some(Text(std::borrow::Cow::Borrowed(inner)))
    }
}

/// A JSON object's members in order, keys and values borrowed from the text.
struct RawObject<'a>(Vec<(Text<'a>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(12));
                while let Some(entry) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(RawObject(entries))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// A JSON string, borrowed from the text when it has no escapes.
struct Text<'a>(std::borrow::Cow<'a, str>);

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Chars;
        impl<'de> serde::de::Visitor<'de> for Chars {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(Chars)
    }
}

/// Whether a typed visitor's `extra` map names a documented field.
pub(crate) fn extra_repeats_a_field(v: &Visitor) -> bool {
    v.extra.keys().any(|k| VISITOR_FIELDS.iter().any(|(_, wire)| wire == k))
}

fn drop_null_known_fields(map: &mut Map<String, Value>) {
    map.retain(|k, v| !(v.is_null() && VISITOR_FIELDS.iter().any(|(_, wire)| wire == k)));
}

fn must_be(expected: &str, got: &Value) -> String {
    format!("must be {expected}, not {}", type_name(got))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// 10–15 digits once the usual separators are removed; anything else is a typo.
fn phone_number(raw: &str) -> Result<(), String> {
    let mut digits = 0usize;
    for c in raw.chars() {
        match c {
            '0'..='9' => digits += 1,
            '+' | '-' | '.' | '(' | ')' | ' ' => {}
            other => return Err(format!("must contain only digits and + - . ( ) or spaces, found {other:?}")),
        }
    }
    if (10..=15).contains(&digits) {
        Ok(())
    } else {
        Err(format!("must have 10 to 15 digits, found {digits}"))
    }
}

/// A deliberately plain syntax check (one `@`, a non-empty local part, a dotted domain, no
/// spaces): the server owns deliverability, the SDK only catches typos before sending.
fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
}

/// The 50 states, DC, and the US territories with USPS codes.
const US_STATES: [&str; 57] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP",
    "PR", "VI", "UM",
];

fn is_us_state(s: &str) -> bool {
    let s = s.trim();
    s.len() == 2 && US_STATES.iter().any(|code| code.eq_ignore_ascii_case(s))
}

/// A zone of the IANA database bundled into the SDK (so the answer does not depend on the
/// machine's /usr/share/zoneinfo). The name must be spelled as IANA spells it: the API uses it
/// for TCPA quiet hours, so a near miss is reported with the right spelling.
fn tz_name(name: &str) -> Result<(), String> {
    match jiff::tz::db().get(name) {
        Ok(tz) => match tz.iana_name() {
            Some(canonical) if canonical != name => {
                Err(format!("{name:?} must be spelled {canonical:?}"))
            }
            _ => Ok(()),
        },
        Err(_) => Err(format!("{name:?} is not an IANA time zone (like America/New_York)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value, phone: Phone) -> Vec<FieldError> {
        let mut errors = Errors::default();
        visitor(v, &"visitor", phone, &mut errors);
        errors.0
    }

    fn paths(v: Value) -> Vec<String> {
        check(v, Phone::Required).into_iter().map(|e| e.path).collect()
    }

    #[test]
    fn typed_and_json_visitors_get_the_same_errors() {
        let typed = Visitor {
            client_visitor_id: Some("c".into()),
            agent_client_user_id: Some(AgentClientUserId::Many(vec!["a".into(), " ".into()])),
            email: Some("not an email".into()),
            phone_number: Some("12".into()),
            state: Some("XX".into()),
            tz_name: Some("america/new_york".into()),
            ..Visitor::default()
        };
        for phone in [Phone::Required, Phone::Optional] {
            let mut typed_errors = Errors::default();
            typed_visitor(&typed, &"visitor", phone, &mut typed_errors);
            let json_errors = check(Value::from(&typed), phone);
            assert_eq!(typed_errors.0, json_errors);
            assert_eq!(json_errors.len(), 5, "{json_errors:?}");
        }
        let mut errors = Errors::default();
        typed_visitor(&Visitor::default(), &"visitor", Phone::Optional, &mut errors);
        assert_eq!(errors.0, check(json!({}), Phone::Optional));
        assert_eq!(errors.0[0].message, "needs a clientVisitorId or a phoneNumber");
    }

    #[test]
    fn a_good_visitor_passes() {
        let v = json!({"phoneNumber": "+1 (704) 555-0100", "state": "nc", "tzName": "America/New_York",
            "email": "a.b@example.com", "deliveryStatus": 202, "extendedAttributes": {"x": [1]},
            "agentClientUserId": ["a", "b"], "participantAgentIds": 5});
        assert!(check(v, Phone::Required).is_empty());
    }

    #[test]
    fn every_error_at_once_with_paths() {
        let v = json!({"phoneNumber": "12", "state": "XX", "tzName": "Mars/Base", "email": "nope",
            "deliveryStatus": "202", "extendedAttributes": [], "agentClientUserId": [], "firstName": 3});
        assert_eq!(
            paths(v),
            [
                "visitor.phoneNumber",
                "visitor.firstName",
                "visitor.email",
                "visitor.state",
                "visitor.tzName",
                "visitor.deliveryStatus",
                "visitor.extendedAttributes",
                "visitor.agentClientUserId"
            ]
        );
    }

    #[test]
    fn phone_rules() {
        assert!(phone_number("7045550100").is_ok());
        assert!(phone_number("+44 20 7946 0958").is_ok());
        assert!(phone_number("123456789").is_err());
        assert!(phone_number("1234567890123456").is_err());
        assert!(phone_number("704-555-01OO").is_err());
        assert_eq!(paths(json!({})), ["visitor.phoneNumber"]);
        assert_eq!(paths(json!({"phoneNumber": 7045550100u64})), ["visitor.phoneNumber"]);
        assert_eq!(paths(json!("not an object")), ["visitor"]);
    }

    #[test]
    fn tz_and_delivery_status() {
        assert!(tz_name("America/Chicago").is_ok());
        assert!(tz_name("UTC").is_ok());
        assert!(tz_name("america/chicago").unwrap_err().contains("America/Chicago"));
        assert_eq!(paths(json!({"phoneNumber": "7045550100", "deliveryStatus": 2.5})), ["visitor.deliveryStatus"]);
    }

    #[test]
    fn agent_ids() {
        assert_eq!(
            paths(json!({"phoneNumber": "7045550100", "agentClientUserId": ["a", 1, ""]})),
            ["visitor.agentClientUserId[1]", "visitor.agentClientUserId[2]"]
        );
        assert_eq!(paths(json!({"phoneNumber": "7045550100", "agentClientUserId": ""})), ["visitor.agentClientUserId"]);
    }

    #[test]
    fn message_visitor_needs_an_identifier() {
        let e = check(json!({"firstName": "A"}), Phone::Optional);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "visitor");
        assert!(check(json!({"clientVisitorId": "c1"}), Phone::Optional).is_empty());
    }

    #[test]
    fn nulls_of_known_fields_are_dropped_extras_kept() {
        let mut errors = Errors::default();
        let out = visitor(
            json!({"phoneNumber": "7045550100", "email": null, "custom": null}),
            &"visitor",
            Phone::Required,
            &mut errors,
        );
        assert_eq!(out, json!({"phoneNumber": "7045550100", "custom": null}));
    }
}
