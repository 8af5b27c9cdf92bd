//! Server configuration, shared by the CLI and in-process tests.

use std::fmt;

/// How a [`crate::MockServer`] behaves. `Default` gives the CLI defaults.
///
/// Auth: HTTP Basic is enabled when `username` is set (a missing `password` means the
/// empty password), API keys when `api_key` is set. With neither, every request passes
/// authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// The only app id the server knows; any other gets 404.
    pub app_id: String,
    pub api_key: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Known listener ids; empty means every listener id is accepted.
    pub listeners: Vec<String>,
    /// Ledger entries kept before the oldest are dropped.
    pub ledger_cap: usize,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    pub host: String,
    /// 0 picks a free ephemeral port.
    pub port: u16,
}

pub const DEFAULT_APP_ID: &str = "demo-app";
pub const DEFAULT_API_KEY: &str = "demo-key";
pub const DEFAULT_USERNAME: &str = "demo";
pub const DEFAULT_PASSWORD: &str = "demo-password";
pub const DEFAULT_LEDGER_CAP: usize = 10_000;
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
pub const DEFAULT_HOST: &str = "127.0.0.1";

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.into(),
            api_key: Some(DEFAULT_API_KEY.into()),
            username: Some(DEFAULT_USERNAME.into()),
            password: Some(DEFAULT_PASSWORD.into()),
            listeners: Vec::new(),
            ledger_cap: DEFAULT_LEDGER_CAP,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            host: DEFAULT_HOST.into(),
            port: 0,
        }
    }
}

/// Secrets are shown only as set or not, so a config can be logged.
impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("MockConfig")
            .field("app_id", &self.app_id)
            .field("api_key", &secret(&self.api_key))
            .field("username", &self.username)
            .field("password", &secret(&self.password))
            .field("listeners", &self.listeners)
            .field("ledger_cap", &self.ledger_cap)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

impl MockConfig {
    pub(crate) fn knows_listener(&self, id: &str) -> bool {
        self.listeners.is_empty() || self.listeners.iter().any(|known| known == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let shown = format!("{:?}", MockConfig::default());
        assert!(
            !shown.contains(DEFAULT_PASSWORD) && !shown.contains(DEFAULT_API_KEY),
            "{shown}"
        );
        assert!(shown.contains("demo-app"));
    }
}
