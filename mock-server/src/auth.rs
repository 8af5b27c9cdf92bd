//! Credential checks. Everything derivable from the configuration is computed once so the
//! hot path only compares bytes.

use axum::http::{HeaderMap, header::AUTHORIZATION};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::value::RawValue;

use crate::config::MockConfig;
use crate::json;
use crate::ledger::AuthKind;

/// What one credential channel carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presented {
    Absent,
    Valid,
    Invalid,
}

pub(crate) struct Credentials {
    /// `Basic <base64(user:pass)>` exactly as most clients send it.
    basic_header: Option<Vec<u8>>,
    /// `user:pass`, for headers encoded differently (scheme case, padding, spaces).
    basic_pair: Option<Vec<u8>>,
    api_key: Option<String>,
}

impl Credentials {
    pub(crate) fn new(config: &MockConfig) -> Self {
        let basic_pair = config.username.as_ref().map(|user| {
            let password = config.password.as_deref().unwrap_or("");
            format!("{user}:{password}").into_bytes()
        });
        let basic_header = basic_pair
            .as_ref()
            .map(|pair| format!("Basic {}", STANDARD.encode(pair)).into_bytes());
        Self {
            basic_header,
            basic_pair,
            api_key: config.api_key.clone(),
        }
    }

    fn is_open(&self) -> bool {
        self.basic_pair.is_none() && self.api_key.is_none()
    }

    /// Classifies a request's credentials. `body_key` is the top-level `api_key` of a JSON
    /// body (`None` when the body is not JSON or has no such field).
    pub(crate) fn classify(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        body_key: Option<&RawValue>,
    ) -> AuthKind {
        let basic = self.check_basic(headers);
        let query = self.check_query(query);
        let body = match body_key.map(json::string) {
            None => Presented::Absent,
            Some(Some(key)) => self.check_key(key.as_bytes()),
            Some(None) => Presented::Invalid,
        };
        let channels = [
            (basic, AuthKind::Basic),
            (query, AuthKind::ApiKeyQuery),
            (body, AuthKind::ApiKeyBody),
        ];
        if self.is_open() {
            // Nothing to check against: report what the client chose to send.
            return channels
                .iter()
                .find(|(p, _)| *p != Presented::Absent)
                .map_or(AuthKind::None, |(_, kind)| *kind);
        }
        if let Some((_, kind)) = channels.iter().find(|(p, _)| *p == Presented::Valid) {
            return *kind;
        }
        if channels.iter().any(|(p, _)| *p == Presented::Invalid) {
            AuthKind::Invalid
        } else {
            AuthKind::None
        }
    }

    /// Whether a classified request may go on.
    pub(crate) fn admits(&self, kind: AuthKind) -> bool {
        self.is_open()
            || matches!(
                kind,
                AuthKind::Basic | AuthKind::ApiKeyQuery | AuthKind::ApiKeyBody
            )
    }

    fn check_basic(&self, headers: &HeaderMap) -> Presented {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Presented::Absent;
        };
        let value = value.as_bytes();
        let (Some(expected_header), Some(expected_pair)) = (&self.basic_header, &self.basic_pair)
        else {
            return Presented::Invalid;
        };
        if value == expected_header.as_slice() {
            return Presented::Valid;
        }
        let Some(space) = value.iter().position(|b| *b == b' ') else {
            return Presented::Invalid;
        };
        let (scheme, encoded) = value.split_at(space);
        if !scheme.eq_ignore_ascii_case(b"basic") {
            return Presented::Invalid;
        }
        match STANDARD.decode(encoded.trim_ascii()) {
            Ok(pair) if pair == *expected_pair => Presented::Valid,
            _ => Presented::Invalid,
        }
    }

    fn check_query(&self, query: Option<&str>) -> Presented {
        let Some(query) = query else {
            return Presented::Absent;
        };
        let mut seen = Presented::Absent;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if percent_decode(name) != b"api_key" {
                continue;
            }
            // Any matching key admits: a client may repeat the parameter.
            match self.check_key(&percent_decode(value)) {
                Presented::Valid => return Presented::Valid,
                other => seen = other,
            }
        }
        seen
    }

    fn check_key(&self, key: &[u8]) -> Presented {
        match &self.api_key {
            Some(expected) if expected.as_bytes() == key => Presented::Valid,
            _ => Presented::Invalid,
        }
    }
}

/// `application/x-www-form-urlencoded` decoding; malformed escapes stay as they are, which
/// can only make a key compare unequal.
pub(crate) fn percent_decode(input: &str) -> Vec<u8> {
    decode(input, true)
}

/// Decoding of one path segment (`+` is literal there).
pub(crate) fn decode_path_segment(input: &str) -> String {
    if !input.contains('%') {
        return input.to_owned();
    }
    String::from_utf8_lossy(&decode(input, false)).into_owned()
}

fn decode(input: &str, plus_as_space: bool) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_as_space => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c"), b"a b c");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
        assert_eq!(percent_decode("api%5Fkey"), b"api_key");
        assert_eq!(decode_path_segment("a+b%2Fc"), "a+b/c");
        assert_eq!(decode_path_segment("%ff"), "\u{fffd}");
    }
}
