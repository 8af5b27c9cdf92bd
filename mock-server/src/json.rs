//! Shallow, borrowed JSON: just enough structure for the schema checks, without building a
//! `serde_json::Value`. Building (and later freeing) a `Value` per request cost about a
//! third of the server's throughput; this only splits objects and arrays into borrowed,
//! already-validated pieces.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// A raw value's JSON type, from its first byte (serde_json strips the whitespace around
/// raw values and has already checked their syntax).
pub(crate) fn kind(raw: &RawValue) -> Kind {
    match raw.get().as_bytes().first() {
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'"') => Kind::String,
        Some(b't' | b'f') => Kind::Bool,
        Some(b'n') => Kind::Null,
        _ => Kind::Number,
    }
}

/// Parses a whole body; the error is serde_json's, for the 400 message.
pub(crate) fn parse(bytes: &[u8]) -> Result<&RawValue, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// The decoded text of a JSON string.
pub(crate) fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Text<'_>>(raw.get())
        .ok()
        .map(|text| text.0)
}

/// The items of a JSON array.
pub(crate) fn items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    serde_json::from_str(raw.get()).ok()
}

/// The members of a JSON object in document order, values left unparsed.
pub(crate) struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Members<'a> {
    /// `None` when `raw` is not an object.
    pub(crate) fn of(raw: &'a RawValue) -> Option<Self> {
        if kind(raw) != Kind::Object {
            return None;
        }
        serde_json::from_str(raw.get()).ok()
    }

    /// The member's value; with duplicate names the last wins, as in `serde_json::Value`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| *value)
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The object re-serialized without the members called `name`, order kept.
    pub(crate) fn to_json_without(&self, name: &str) -> String {
        let mut out = String::from("{");
        for (key, value) in self.0.iter().filter(|(key, _)| key != name) {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key.as_ref()).unwrap_or_default());
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    members.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

/// A string that borrows from the input unless it had escapes (serde's `Cow<str>` always
/// copies).
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
        }

        deserializer.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_kinds_and_strings() {
        let raw =
            parse(br#" {"a": 1, "b\u0021": "x\ny", "c": [true, null, {}], "a": -2.5e3} "#).unwrap();
        let members = Members::of(raw).unwrap();
        assert_eq!(members.get("a").unwrap().get(), "-2.5e3");
        assert_eq!(kind(members.get("a").unwrap()), Kind::Number);
        assert_eq!(string(members.get("b!").unwrap()).unwrap(), "x\ny");
        let items = items(members.get("c").unwrap()).unwrap();
        let kinds: Vec<Kind> = items.iter().map(|item| kind(item)).collect();
        assert_eq!(kinds, [Kind::Bool, Kind::Null, Kind::Object]);
        assert!(!members.contains("z"));
        assert!(Members::of(parse(b"[1]").unwrap()).is_none());
    }

    #[test]
    fn re_serializing_without_a_member() {
        let raw =
            parse(br#"{"api_key":"k","visitor":{"phoneNumber":"1"},"q\"":2,"api_key":"again"}"#)
                .unwrap();
        let stripped = Members::of(raw).unwrap().to_json_without("api_key");
        assert_eq!(stripped, r#"{"visitor":{"phoneNumber":"1"},"q\"":2}"#);
        let empty = Members::of(parse(br#"{"api_key":1}"#).unwrap()).unwrap();
        assert_eq!(empty.to_json_without("api_key"), "{}");
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(parse(b"{\"a\": ").is_err());
        assert!(parse(b"\xff").is_err());
        assert!(parse(b"{} {}").is_err());
        assert!(parse(b"").is_err());
    }
}
