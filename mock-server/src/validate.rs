//! Request body checks: exactly the documented schema (types and required fields), nothing
//! stricter. Phone digit counts, state codes and the like are the SDK's business; a mock
//! that rejected more than the real API would hide client bugs instead of revealing them.
//!
//! Each check returns the first problem as a message naming the field path, e.g.
//! `visitors[2].deliveryStatus must be a number`. JSON checks run on the borrowed view of
//! `crate::json`; the caller has already made sure the body is a JSON object.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::value::RawValue;

use crate::json::{self, Kind, Members};

const STRING_FIELDS: [&str; 8] = [
    "clientVisitorId",
    "teamCode",
    "firstName",
    "lastName",
    "email",
    "phoneNumber",
    "state",
    "tzName",
];

/// `POST /{appId}/listener/botsplash/{id}` (ListenerRequest).
pub(crate) fn listener_request(body: &Members<'_>) -> Result<(), String> {
    match body.get("visitor") {
        None => return Err("visitor is required".into()),
        Some(visitor) => check_visitor(visitor, "visitor")?,
    }
    check_args(body)
}

/// `POST /{appId}/listener/salesforce/{id}` (ListenerRequestBulkVisitors); returns the
/// number of visitors.
pub(crate) fn bulk_request(body: &Members<'_>) -> Result<usize, String> {
    let Some(visitors) = body.get("visitors") else {
        return Err("visitors is required".into());
    };
    let Some(visitors) = json::items(visitors) else {
        return Err("visitors must be an array".into());
    };
    if visitors.is_empty() {
        return Err("visitors must not be empty".into());
    }
    for (i, visitor) in visitors.iter().enumerate() {
        check_visitor(visitor, &format!("visitors[{i}]"))?;
    }
    check_args(body)?;
    Ok(visitors.len())
}

/// `POST /{appId}/message`.
pub(crate) fn message_request(body: &Members<'_>) -> Result<(), String> {
    match body.get("text") {
        None => return Err("text is required".into()),
        Some(text) if json::kind(text) != Kind::String => {
            return Err("text must be a string".into());
        }
        Some(text) if text.get() == "\"\"" => return Err("text must not be empty".into()),
        Some(_) => {}
    }
    match body.get("visitor") {
        Some(visitor) if json::kind(visitor) != Kind::Object => {
            Err("visitor must be an object".into())
        }
        _ => Ok(()),
    }
}

fn check_visitor(visitor: &RawValue, path: &str) -> Result<(), String> {
    let Some(visitor) = Members::of(visitor) else {
        return Err(format!("{path} must be an object"));
    };
    if !visitor.contains("phoneNumber") {
        return Err(format!("{path}.phoneNumber is required"));
    }
    let is = |field: &str, expected: Kind| {
        visitor
            .get(field)
            .is_none_or(|value| json::kind(value) == expected)
    };
    for field in STRING_FIELDS {
        if !is(field, Kind::String) {
            return Err(format!("{path}.{field} must be a string"));
        }
    }
    if !is("deliveryStatus", Kind::Number) {
        return Err(format!("{path}.deliveryStatus must be a number"));
    }
    if !is("extendedAttributes", Kind::Object) {
        return Err(format!("{path}.extendedAttributes must be an object"));
    }
    let Some(agents) = visitor.get("agentClientUserId") else {
        return Ok(());
    };
    match json::kind(agents) {
        Kind::String => Ok(()),
        Kind::Array => {
            let ids = json::items(agents).unwrap_or_default();
            match ids.iter().position(|id| json::kind(id) != Kind::String) {
                Some(i) => Err(format!("{path}.agentClientUserId[{i}] must be a string")),
                None => Ok(()),
            }
        }
        _ => Err(format!(
            "{path}.agentClientUserId must be a string or an array of strings"
        )),
    }
}

fn check_args(body: &Members<'_>) -> Result<(), String> {
    let Some(args) = body.get("args") else {
        return Ok(());
    };
    let Some(args) = Members::of(args) else {
        return Err("args must be an object".into());
    };
    match args.get("message") {
        Some(message) if json::kind(message) != Kind::String => {
            Err("args.message must be a string".into())
        }
        _ => Ok(()),
    }
}

/// Well-formedness of a LendingTree lead document: UTF-8, one root element, balanced and
/// matching tags, sane attributes and references. No schema: the docs defer to LendingTree.
pub(crate) fn xml_well_formed(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "XML body is not valid UTF-8".to_owned())?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut depth = 0usize;
    let mut seen_root = false;
    // A DTD may declare entities this check cannot resolve; trust its references then.
    let mut has_doctype = false;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {at}: {e}"))?;
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                if depth == 0 && seen_root {
                    return Err("malformed XML: more than one root element".into());
                }
                seen_root = true;
                for attr in tag.attributes() {
                    let attr = attr.map_err(|e| format!("malformed XML attribute: {e}"))?;
                    if !has_doctype {
                        attr.normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|e| format!("malformed XML attribute value: {e}"))?;
                    }
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Text(ref text)
                if depth == 0 && !text.bytes().all(|b| b.is_ascii_whitespace()) =>
            {
                return Err("malformed XML: text outside the root element".into());
            }
            Event::CData(_) | Event::GeneralRef(_) if depth == 0 => {
                return Err("malformed XML: content outside the root element".into());
            }
            Event::GeneralRef(ref reference) => {
                if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(_)) => {}
                        _ => return Err("malformed XML: invalid character reference".into()),
                    }
                } else if !has_doctype
                    && !matches!(&**reference, "amp" | "lt" | "gt" | "apos" | "quot")
                {
                    return Err("malformed XML: undeclared entity reference".into());
                }
            }
            Event::DocType(_) => has_doctype = true,
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err("malformed XML: unclosed element at end of document".into());
    }
    if !seen_root {
        return Err("malformed XML: no root element".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a check on a JSON object given as text.
    fn on<T>(body: &str, check: impl Fn(&Members<'_>) -> T) -> T {
        let raw = json::parse(body.as_bytes()).expect("test body is JSON");
        check(&Members::of(raw).expect("test body is an object"))
    }

    fn visitor_error(visitor: &str) -> String {
        on(&format!(r#"{{"visitor": {visitor}}}"#), listener_request).unwrap_err()
    }

    #[test]
    fn listener_request_schema() {
        let ok = r#"{
            "visitor": {"phoneNumber": "x", "deliveryStatus": 2.5, "agentClientUserId": ["a", "b"],
                        "extendedAttributes": {"k": [1]}, "whatever": 1},
            "args": {"message": "hi"}, "api_key": "k", "extra": null
        }"#;
        on(ok, listener_request).unwrap();
        on(
            r#"{"visitor": {"phoneNumber": "1", "agentClientUserId": []}}"#,
            listener_request,
        )
        .unwrap();

        assert_eq!(
            on("{}", listener_request).unwrap_err(),
            "visitor is required"
        );
        assert_eq!(visitor_error(r#""x""#), "visitor must be an object");
        assert_eq!(visitor_error("{}"), "visitor.phoneNumber is required");
        assert_eq!(
            visitor_error(r#"{"phoneNumber": 5}"#),
            "visitor.phoneNumber must be a string"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": null}"#),
            "visitor.phoneNumber must be a string"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": "1", "tzName": 3}"#),
            "visitor.tzName must be a string"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": "1", "deliveryStatus": "202"}"#),
            "visitor.deliveryStatus must be a number"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": "1", "extendedAttributes": []}"#),
            "visitor.extendedAttributes must be an object"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": "1", "agentClientUserId": ["a", 1]}"#),
            "visitor.agentClientUserId[1] must be a string"
        );
        assert_eq!(
            visitor_error(r#"{"phoneNumber": "1", "agentClientUserId": 7}"#),
            "visitor.agentClientUserId must be a string or an array of strings"
        );
        assert_eq!(
            on(
                r#"{"visitor": {"phoneNumber": "1"}, "args": []}"#,
                listener_request
            )
            .unwrap_err(),
            "args must be an object"
        );
        assert_eq!(
            on(
                r#"{"visitor": {"phoneNumber": "1"}, "args": {"message": 1}}"#,
                listener_request
            )
            .unwrap_err(),
            "args.message must be a string"
        );
    }

    #[test]
    fn bulk_schema() {
        let v = r#"{"phoneNumber": "1"}"#;
        assert_eq!(
            on(&format!(r#"{{"visitors": [{v}, {v}]}}"#), bulk_request).unwrap(),
            2
        );
        assert_eq!(on("{}", bulk_request).unwrap_err(), "visitors is required");
        assert_eq!(
            on(r#"{"visitors": {}}"#, bulk_request).unwrap_err(),
            "visitors must be an array"
        );
        assert_eq!(
            on(r#"{"visitors": []}"#, bulk_request).unwrap_err(),
            "visitors must not be empty"
        );
        let third_bad =
            format!(r#"{{"visitors": [{v}, {v}, {{"phoneNumber": "1", "deliveryStatus": "x"}}]}}"#);
        assert_eq!(
            on(&third_bad, bulk_request).unwrap_err(),
            "visitors[2].deliveryStatus must be a number"
        );
    }

    #[test]
    fn message_schema() {
        on(r#"{"text": "hi"}"#, message_request).unwrap();
        on(
            r#"{"text": "hi", "visitor": {"clientVisitorId": "c"}}"#,
            message_request,
        )
        .unwrap();
        on(r#"{"text": "\u0020"}"#, message_request).unwrap();
        assert_eq!(on("{}", message_request).unwrap_err(), "text is required");
        assert_eq!(
            on(r#"{"text": ""}"#, message_request).unwrap_err(),
            "text must not be empty"
        );
        assert_eq!(
            on(r#"{"text": 1}"#, message_request).unwrap_err(),
            "text must be a string"
        );
        assert_eq!(
            on(r#"{"text": "x", "visitor": "v"}"#, message_request).unwrap_err(),
            "visitor must be an object"
        );
    }

    #[test]
    fn xml_well_formedness() {
        for good in [
            "<a/>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Lead a=\"1\"><B>x &amp; &#65;</B><![CDATA[<>]]></Lead>\n",
            "<!-- c --><a><b/></a><!-- after -->",
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
        ] {
            assert_eq!(xml_well_formed(good.as_bytes()), Ok(()), "{good}");
        }
        for bad in [
            "",
            "   ",
            "not xml",
            "<a>",
            "<a></b>",
            "</a>",
            "<a/><b/>",
            "<a/>tail",
            "<a x=1/>",
            "<a x=\"1\" x=\"2\"/>",
            "<a>&nope;</a>",
            "<a>&#0;</a>",
            "<a><!-- a -- b --></a>",
            "{\"json\": true}",
        ] {
            assert!(xml_well_formed(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
        assert!(xml_well_formed(b"<a>\xff</a>").is_err());
    }
}
