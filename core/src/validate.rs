//! Input checks run before anything is sent (DESIGN.md "Validation"). Each check appends to
//! one list so the user sees every field error at once, each with its path.

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::models::VISITOR_FIELDS;

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

/// The visitor fields the SDK knows and checks; everything else passes through unchecked.
const STRING_FIELDS: [&str; 4] = ["clientVisitorId", "teamCode", "firstName", "lastName"];

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

/// Checks one visitor and returns it ready to send: known fields set to `null` are dropped
/// (a binding's `None` means "not given"); everything else is kept exactly as given.
pub(crate) fn visitor(value: Value, path: &dyn std::fmt::Display, phone: Phone, errors: &mut Errors) -> Value {
    let Value::Object(mut map) = value else {
        errors.push(path.to_string(), format!("must be an object, not {}", type_name(&value)));
        return value;
    };
    drop_null_known_fields(&mut map);
    let at = |field: &str| format!("{path}.{field}");

    match map.get("phoneNumber") {
        None if phone == Phone::Required => errors.push(at("phoneNumber"), "is required"),
        None => {}
        Some(Value::String(p)) => {
            if let Err(msg) = phone_number(p) {
                errors.push(at("phoneNumber"), msg);
            }
        }
        Some(other) => errors.push(at("phoneNumber"), must_be("a string", other)),
    }
    if phone == Phone::Optional && !has_text(&map, "phoneNumber") && !has_text(&map, "clientVisitorId") {
        errors.push(path.to_string(), "needs a clientVisitorId or a phoneNumber");
    }

    for field in STRING_FIELDS {
        if let Some(v) = map.get(field) {
            if !v.is_string() {
                errors.push(at(field), must_be("a string", v));
            }
        }
    }
    match map.get("email") {
        Some(Value::String(e)) if !is_email(e) => errors.push(at("email"), "is not a valid email address"),
        Some(Value::String(_)) | None => {}
        Some(other) => errors.push(at("email"), must_be("a string", other)),
    }
    match map.get("state") {
        Some(Value::String(s)) if !is_us_state(s) => {
            errors.push(at("state"), format!("{s:?} is not a US state, DC or territory code"))
        }
        Some(Value::String(_)) | None => {}
        Some(other) => errors.push(at("state"), must_be("a string", other)),
    }
    match map.get("tzName") {
        Some(Value::String(tz)) => {
            if let Err(msg) = tz_name(tz) {
                errors.push(at("tzName"), msg);
            }
        }
        None => {}
        Some(other) => errors.push(at("tzName"), must_be("a string", other)),
    }
    match map.get("deliveryStatus") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        Some(other @ Value::Number(_)) => errors.push(at("deliveryStatus"), format!("must be an integer, not {other}")),
        None => {}
        Some(other) => errors.push(at("deliveryStatus"), must_be("an integer", other)),
    }
    match map.get("extendedAttributes") {
        Some(Value::Object(_)) | None => {}
        Some(other) => errors.push(at("extendedAttributes"), must_be("an object", other)),
    }
    match map.get("agentClientUserId") {
        None => {}
        Some(Value::String(s)) if s.trim().is_empty() => errors.push(at("agentClientUserId"), "must not be empty"),
        Some(Value::String(_)) => {}
        Some(Value::Array(ids)) if ids.is_empty() => {
            errors.push(at("agentClientUserId"), "must not be an empty list")
        }
        Some(Value::Array(ids)) => {
            for (i, id) in ids.iter().enumerate() {
                match id {
                    Value::String(s) if !s.trim().is_empty() => {}
                    Value::String(_) => errors.push(format!("{path}.agentClientUserId[{i}]"), "must not be empty"),
                    other => errors.push(format!("{path}.agentClientUserId[{i}]"), must_be("a string", other)),
                }
            }
        }
        Some(other) => errors.push(at("agentClientUserId"), must_be("a string or a list of strings", other)),
    }
    Value::Object(map)
}

fn drop_null_known_fields(map: &mut Map<String, Value>) {
    map.retain(|k, v| !(v.is_null() && VISITOR_FIELDS.iter().any(|(_, wire)| wire == k)));
}

fn has_text(map: &Map<String, Value>, field: &str) -> bool {
    map.get(field).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())
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
    US_STATES.iter().any(|code| code.eq_ignore_ascii_case(s.trim()))
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
