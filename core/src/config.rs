//! Client configuration: options, environment fallbacks and every check that makes a bad
//! configuration fail when the client is built rather than at the first call.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::error::{Error, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.botsplash.com/open/v1";
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const DEFAULT_BATCH_SIZE: usize = 100;
pub const DEFAULT_BULK_CONCURRENCY: usize = 4;
/// Upper bounds that turn a typo (`max_retries=1000`) into a ConfigError instead of a client
/// that hammers the API for hours.
pub const MAX_RETRIES_LIMIT: u32 = 10;
pub const MAX_BATCH_SIZE: usize = 10_000;
pub const MAX_BULK_CONCURRENCY: usize = 64;
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Where the API key goes on each request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ApiKeyPlacement {
    /// `?api_key=...` in the query string (the documented default).
    #[default]
    Query,
    /// A top-level `api_key` field of the JSON body. The LendingTree endpoint takes XML, so
    /// there the key always goes in the query string.
    Body,
}

impl ApiKeyPlacement {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyPlacement::Query => "query",
            ApiKeyPlacement::Body => "body",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "query" => Some(ApiKeyPlacement::Query),
            "body" => Some(ApiKeyPlacement::Body),
            _ => None,
        }
    }
}

/// A string that never prints.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

#[derive(Clone)]
pub(crate) enum Credentials {
    Basic { username: String, password: Secret, header: HeaderValue },
    ApiKey { key: Secret, placement: ApiKeyPlacement },
}

/// How a request authenticates, without the secret: `basic`, `api_key_query`, `api_key_body`
/// (the same names the mock server's ledger uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    Basic,
    ApiKeyQuery,
    ApiKeyBody,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Basic => "basic",
            AuthKind::ApiKeyQuery => "api_key_query",
            AuthKind::ApiKeyBody => "api_key_body",
        }
    }
}

/// A validated configuration. Built by [`ClientBuilder`]; read-only afterwards.
#[derive(Clone)]
pub struct Config {
    pub(crate) app_id: String,
    pub(crate) credentials: Credentials,
    pub(crate) base_url: Url,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retry_unknown_outcome: bool,
    pub(crate) batch_size: usize,
    pub(crate) bulk_concurrency: usize,
    pub(crate) user_agent: String,
}

impl Config {
    pub fn app_id(&self) -> &str {
        &self.app_id
    }
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
    pub fn auth_kind(&self) -> AuthKind {
        match &self.credentials {
            Credentials::Basic { .. } => AuthKind::Basic,
            Credentials::ApiKey { placement: ApiKeyPlacement::Query, .. } => AuthKind::ApiKeyQuery,
            Credentials::ApiKey { placement: ApiKeyPlacement::Body, .. } => AuthKind::ApiKeyBody,
        }
    }
    /// The Basic-auth user name (not a secret); `None` with API-key auth.
    pub fn username(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::Basic { username, .. } => Some(username),
            Credentials::ApiKey { .. } => None,
        }
    }
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }
    pub fn retry_unknown_outcome(&self) -> bool {
        self.retry_unknown_outcome
    }
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn bulk_concurrency(&self) -> usize {
        self.bulk_concurrency
    }
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The secret strings of this configuration, for scrubbing text that came from outside.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match &self.credentials {
            Credentials::Basic { password, .. } => vec![password.expose()],
            Credentials::ApiKey { key, .. } => vec![key.expose()],
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_id", &self.app_id)
            .field("auth", &self.auth_kind().as_str())
            .field("base_url", &self.base_url())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_unknown_outcome", &self.retry_unknown_outcome)
            .field("batch_size", &self.batch_size)
            .field("bulk_concurrency", &self.bulk_concurrency)
            .finish()
    }
}

/// Replaces every non-empty secret in `text` with `[redacted]`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(secret) {
            out = out.replace(secret, "[redacted]");
        }
    }
    out
}

/// Builds a [`Config`] (and from it a client). Options not set here fall back to the
/// environment (`BOTSPLASH_*`), then to the documented defaults.
///
/// Credentials are taken as a whole: if any credential option is set explicitly, the
/// environment's credentials are ignored, so a key in the shell never mixes with a password
/// given in code.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    app_id: Option<String>,
    api_key: Option<String>,
    username: Option<String>,
    password: Option<String>,
    api_key_placement: Option<ApiKeyPlacement>,
    base_url: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    retry_unknown_outcome: Option<bool>,
    batch_size: Option<usize>,
    bulk_concurrency: Option<usize>,
    language: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The environment variables the builder reads.
pub mod env {
    pub const APP_ID: &str = "BOTSPLASH_APP_ID";
    pub const API_KEY: &str = "BOTSPLASH_API_KEY";
    pub const USERNAME: &str = "BOTSPLASH_USERNAME";
    pub const PASSWORD: &str = "BOTSPLASH_PASSWORD";
    pub const BASE_URL: &str = "BOTSPLASH_BASE_URL";
    pub const API_KEY_IN: &str = "BOTSPLASH_API_KEY_IN";
    pub const TIMEOUT: &str = "BOTSPLASH_TIMEOUT";
    pub const CONNECT_TIMEOUT: &str = "BOTSPLASH_CONNECT_TIMEOUT";
    pub const MAX_RETRIES: &str = "BOTSPLASH_MAX_RETRIES";
    pub const RETRY_UNKNOWN_OUTCOME: &str = "BOTSPLASH_RETRY_UNKNOWN_OUTCOME";
    pub const BATCH_SIZE: &str = "BOTSPLASH_BATCH_SIZE";
    pub const BULK_CONCURRENCY: &str = "BOTSPLASH_BULK_CONCURRENCY";
}

impl ClientBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
    pub fn api_key_placement(mut self, placement: ApiKeyPlacement) -> Self {
        self.api_key_placement = Some(placement);
        self
    }
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }
    /// Time allowed to establish a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Time allowed for one attempt, from connecting to the last byte of the answer
    /// (default 30 s). Retries each get this much again; backoff waits come on top.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }
    /// Also retry failures after which the server may have processed the request (timeouts
    /// after sending, dropped connections, 5xx). Off by default: a retry can text a person twice.
    pub fn retry_unknown_outcome(mut self, retry: bool) -> Self {
        self.retry_unknown_outcome = Some(retry);
        self
    }
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = Some(batch_size);
        self
    }
    pub fn bulk_concurrency(mut self, concurrency: usize) -> Self {
        self.bulk_concurrency = Some(concurrency);
        self
    }
    /// The language named in the User-Agent (`python`, `node`, `c`, `csharp`); bindings set it.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Validates the options (with the process environment as fallback) into a [`Config`].
    pub fn build_config(&self) -> Result<Config> {
        self.build_config_with_env(|name| std::env::var(name).ok())
    }

    /// As [`build_config`](Self::build_config), reading the environment through `lookup`.
    pub fn build_config_with_env(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        // An empty environment variable counts as unset, as in most shells' `VAR= cmd`.
        let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        // Messages name options as the binding's users spell them.
        let name = |option: &'static str| option_name(self.language.as_deref(), option);

        let app_id = match self.app_id.clone().or_else(|| env(env::APP_ID)) {
            Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
            _ => {
                return Err(Error::config(format!(
                    "{} is required: pass it to the client or set {}",
                    name("app_id"),
                    env::APP_ID
                )));
            }
        };
        if app_id.chars().any(|c| c.is_control() || c == '/') {
            return Err(Error::config(format!("{} must not contain '/' or control characters", name("app_id"))));
        }

        let placement = match (self.api_key_placement, env(env::API_KEY_IN)) {
            (Some(p), _) => p,
            (None, Some(raw)) => ApiKeyPlacement::parse(&raw).ok_or_else(|| {
                Error::config(format!("{} must be 'query' or 'body'", env::API_KEY_IN))
            })?,
            (None, None) => ApiKeyPlacement::Query,
        };

        let explicit = self.api_key.is_some() || self.username.is_some() || self.password.is_some();
        let (api_key, username, password) = if explicit {
            (self.api_key.clone(), self.username.clone(), self.password.clone())
        } else {
            (env(env::API_KEY), env(env::USERNAME), env(env::PASSWORD))
        };
        let credentials = credentials(api_key, username, password, placement, &name)?;

        let base_url = parse_base_url(
            self.base_url.clone().or_else(|| env(env::BASE_URL)).as_deref().unwrap_or(DEFAULT_BASE_URL),
            &name("base_url"),
        )?;

        let connect_timeout = pick(self.connect_timeout, env(env::CONNECT_TIMEOUT), env::CONNECT_TIMEOUT, parse_secs)?
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let timeout =
            pick(self.timeout, env(env::TIMEOUT), env::TIMEOUT, parse_secs)?.unwrap_or(DEFAULT_TIMEOUT);
        for (option, value) in [("connect_timeout", connect_timeout), ("timeout", timeout)] {
            if value.is_zero() || value > MAX_TIMEOUT {
                return Err(Error::config(format!(
                    "{} must be more than 0 and at most {} s (a request is never unlimited)",
                    name(option),
                    MAX_TIMEOUT.as_secs()
                )));
            }
        }

        let max_retries = pick(self.max_retries, env(env::MAX_RETRIES), env::MAX_RETRIES, |s| s.parse().ok())?
            .unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::config(format!("{} must be at most {MAX_RETRIES_LIMIT}", name("max_retries"))));
        }
        let retry_unknown_outcome = pick(
            self.retry_unknown_outcome,
            env(env::RETRY_UNKNOWN_OUTCOME),
            env::RETRY_UNKNOWN_OUTCOME,
            parse_bool,
        )?
        .unwrap_or(false);
        let batch_size = pick(self.batch_size, env(env::BATCH_SIZE), env::BATCH_SIZE, |s| s.parse().ok())?
            .unwrap_or(DEFAULT_BATCH_SIZE);
        if !(1..=MAX_BATCH_SIZE).contains(&batch_size) {
            return Err(Error::config(format!("{} must be between 1 and {MAX_BATCH_SIZE}", name("batch_size"))));
        }
        let bulk_concurrency =
            pick(self.bulk_concurrency, env(env::BULK_CONCURRENCY), env::BULK_CONCURRENCY, |s| s.parse().ok())?
                .unwrap_or(DEFAULT_BULK_CONCURRENCY);
        if !(1..=MAX_BULK_CONCURRENCY).contains(&bulk_concurrency) {
            return Err(Error::config(format!(
                "{} must be between 1 and {MAX_BULK_CONCURRENCY}",
                name("bulk_concurrency")
            )));
        }

        let language = self.language.as_deref().unwrap_or("rust");
        let user_agent = format!(
            "botsplash-sdk/{} ({}; {})",
            env!("CARGO_PKG_VERSION"),
            language,
            std::env::consts::OS
        );
        if HeaderValue::from_str(&user_agent).is_err() {
            return Err(Error::config(format!("{} must be printable ASCII", name("language"))));
        }

        Ok(Config {
            app_id,
            credentials,
            base_url,
            connect_timeout,
            timeout,
            max_retries,
            retry_unknown_outcome,
            batch_size,
            bulk_concurrency,
            user_agent,
        })
    }
}

/// An option's name as users of `language` (set by the binding) write it, for messages:
/// `batch_size` in Rust and Python, `batchSize` in Node.js, `BatchSize` in C#, the setter's
/// name in C.
fn option_name(language: Option<&str>, option: &'static str) -> Cow<'static, str> {
    let camel = |upper_first: bool| {
        let mut out = String::with_capacity(option.len());
        let mut upper = upper_first;
        for c in option.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    match (language, option) {
        // Node takes timeouts in milliseconds, C too; C# as a TimeSpan named like the option.
        (Some("node"), "timeout" | "connect_timeout") => Cow::Owned(format!("{}Ms", camel(false))),
        (Some("node"), "api_key_in") => Cow::Borrowed("apiKeyIn"),
        (Some("node"), _) => Cow::Owned(camel(false)),
        (Some("csharp"), "api_key_in") => Cow::Borrowed("ApiKeyPlacement"),
        (Some("csharp"), _) => Cow::Owned(camel(true)),
        (Some("c"), "username" | "password") => Cow::Borrowed(option),
        (Some("c"), "timeout" | "connect_timeout") => Cow::Owned(format!("bs_config_set_{option}_ms")),
        (Some("c"), "api_key_in") => Cow::Borrowed("bs_config_set_api_key_placement"),
        (Some("c"), _) => Cow::Owned(format!("bs_config_set_{option}")),
        _ => Cow::Borrowed(option),
    }
}

/// An explicit option wins; otherwise the environment variable, parsed by `parse`.
fn pick<T>(
    explicit: Option<T>,
    from_env: Option<String>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    match (explicit, from_env) {
        (Some(v), _) => Ok(Some(v)),
        (None, Some(raw)) => parse(raw.trim())
            .map(Some)
            .ok_or_else(|| Error::config(format!("{name} has an invalid value"))),
        (None, None) => Ok(None),
    }
}

fn parse_secs(s: &str) -> Option<Duration> {
    let secs: f64 = s.parse().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn credentials(
    api_key: Option<String>,
    username: Option<String>,
    password: Option<String>,
    placement: ApiKeyPlacement,
    name: &dyn Fn(&'static str) -> Cow<'static, str>,
) -> Result<Credentials> {
    let (key_name, user_name, password_name) = (name("api_key"), name("username"), name("password"));
    match (api_key, username, password) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Error::config(
            "give either an API key or a username and password, not both",
        )),
        (Some(key), None, None) => {
            if key.trim().is_empty() {
                return Err(Error::config(format!("{key_name} must not be empty")));
            }
            if key.chars().any(char::is_control) {
                return Err(Error::config(format!("{key_name} must not contain control characters")));
            }
            Ok(Credentials::ApiKey { key: Secret(key), placement })
        }
        (None, Some(username), Some(password)) => {
            if username.is_empty() || password.is_empty() {
                return Err(Error::config(format!("{user_name} and {password_name} must not be empty")));
            }
            if username.contains(':') {
                return Err(Error::config(format!("{user_name} must not contain ':' (HTTP Basic auth)")));
            }
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            let mut header = HeaderValue::from_str(&format!("Basic {token}"))
                .map_err(|_| {
                    Error::config(format!("{user_name} or {password_name} holds characters a header cannot carry"))
                })?;
            header.set_sensitive(true);
            Ok(Credentials::Basic { username, password: Secret(password), header })
        }
        (None, Some(_), None) => Err(Error::config(format!("a {user_name} needs a {password_name}"))),
        (None, None, Some(_)) => Err(Error::config(format!("a {password_name} needs a {user_name}"))),
        (None, None, None) => Err(Error::config(format!(
            "credentials are required: an API key ({}) or a username and password ({} and {})",
            env::API_KEY,
            env::USERNAME,
            env::PASSWORD
        ))),
    }
}

fn parse_base_url(raw: &str, name: &str) -> Result<Url> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|e| Error::config(format!("{name} is not a valid URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL back: it holds credentials.
        return Err(Error::config(format!("{name} must not contain credentials; use the auth options")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!("{name} must not have a query string or fragment")));
    }
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(Error::config(format!(
                "{name} uses plain http:// to a non-loopback host ({host}); use https://"
            )));
        }
        other => return Err(Error::config(format!("{name} scheme must be https, not {other}"))),
    }
    if host.is_empty() {
        return Err(Error::config(format!("{name} has no host")));
    }
    // Paths are joined below the base, so it must end in '/' for Url::join to keep its path.
    let mut url = url;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn base() -> ClientBuilder {
        ClientBuilder::new().app_id("app").api_key("k3y-s3cret")
    }

    #[test]
    fn defaults() {
        let c = base().build_config_with_env(no_env).unwrap();
        assert_eq!(c.base_url(), DEFAULT_BASE_URL);
        assert_eq!(c.timeout(), DEFAULT_TIMEOUT);
        assert_eq!(c.connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(c.max_retries(), 2);
        assert!(!c.retry_unknown_outcome());
        assert_eq!(c.batch_size(), 100);
        assert_eq!(c.bulk_concurrency(), 4);
        assert_eq!(c.auth_kind(), AuthKind::ApiKeyQuery);
        assert!(c.user_agent().starts_with("botsplash-sdk/"), "{}", c.user_agent());
        assert!(c.user_agent().contains("(rust; "));
    }

    #[test]
    fn config_messages_name_options_as_each_language_spells_them() {
        let message = |language: Option<&str>, builder: ClientBuilder| {
            let builder = match language {
                Some(l) => builder.language(l),
                None => builder,
            };
            builder.build_config_with_env(|_| None).expect_err("invalid").message().to_owned()
        };
        let cases = [
            (None, "batch_size must be between 1", "timeout must be more than 0", "app_id is required"),
            (Some("python"), "batch_size must be", "timeout must be", "app_id is"),
            (Some("node"), "batchSize must be", "timeoutMs must be", "appId is"),
            (Some("csharp"), "BatchSize must be", "Timeout must be", "AppId is"),
            (Some("c"), "bs_config_set_batch_size must be", "bs_config_set_timeout_ms must be", "bs_config_set_app_id is"),
        ];
        for (language, batch, timeout, app_id) in cases {
            let batch_msg = message(language, base().batch_size(0));
            assert!(batch_msg.starts_with(batch), "{language:?}: {batch_msg}");
            let timeout_msg = message(language, base().timeout(Duration::ZERO));
            assert!(timeout_msg.starts_with(timeout), "{language:?}: {timeout_msg}");
            let app_msg = message(language, ClientBuilder::new().api_key("k"));
            assert!(app_msg.starts_with(app_id), "{language:?}: {app_msg}");
        }
    }

    #[test]
    fn config_errors() {
        let cases: Vec<(ClientBuilder, &str)> = vec![
            (ClientBuilder::new().api_key("k"), "app_id is required"),
            (ClientBuilder::new().app_id("a"), "credentials are required"),
            (base().basic_auth("u", "p"), "not both"),
            (ClientBuilder::new().app_id("a").username("u"), "needs a password"),
            (ClientBuilder::new().app_id("a").password("p"), "needs a username"),
            (base().base_url("not a url"), "not a valid URL"),
            (base().base_url("http://api.example.com"), "non-loopback"),
            (base().base_url("ftp://127.0.0.1"), "scheme"),
            (base().base_url("https://u:p@api.example.com"), "credentials"),
            (base().timeout(Duration::ZERO), "timeout must be more than 0"),
            (base().max_retries(11), "max_retries"),
            (base().batch_size(0), "batch_size"),
            (base().bulk_concurrency(0), "bulk_concurrency"),
            (ClientBuilder::new().app_id("a").api_key(" "), "must not be empty"),
        ];
        for (builder, expected) in cases {
            let err = builder.build_config_with_env(no_env).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config);
            assert!(err.message().contains(expected), "{:?} should contain {expected:?}", err.message());
        }
    }

    #[test]
    fn loopback_http_allowed() {
        for url in ["http://127.0.0.1:8080", "http://localhost:1/x", "http://[::1]:9/"] {
            base().base_url(url).build_config_with_env(no_env).unwrap();
        }
    }

    #[test]
    fn environment_fallbacks() {
        let env = |name: &str| {
            match name {
                env::APP_ID => Some("env-app"),
                env::USERNAME => Some("user"),
                env::PASSWORD => Some("pw-secret"),
                env::BASE_URL => Some("http://127.0.0.1:9"),
                env::TIMEOUT => Some("2.5"),
                env::MAX_RETRIES => Some("0"),
                env::RETRY_UNKNOWN_OUTCOME => Some("true"),
                env::BATCH_SIZE => Some("7"),
                _ => None,
            }
            .map(String::from)
        };
        let c = ClientBuilder::new().build_config_with_env(env).unwrap();
        assert_eq!(c.app_id(), "env-app");
        assert_eq!(c.auth_kind(), AuthKind::Basic);
        assert_eq!(c.timeout(), Duration::from_millis(2500));
        assert_eq!(c.max_retries(), 0);
        assert!(c.retry_unknown_outcome());
        assert_eq!(c.batch_size(), 7);
        // An explicit credential replaces all of the environment's credentials.
        let c = ClientBuilder::new().api_key("k").build_config_with_env(env).unwrap();
        assert_eq!(c.auth_kind(), AuthKind::ApiKeyQuery);
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let env = |name: &str| match name {
            env::MAX_RETRIES => Some("lots".to_string()),
            _ => None,
        };
        let err = base().build_config_with_env(env).unwrap_err();
        assert!(err.message().contains(env::MAX_RETRIES));
        let env = |name: &str| match name {
            env::API_KEY_IN => Some("header".to_string()),
            _ => None,
        };
        assert!(base().build_config_with_env(env).unwrap_err().message().contains(env::API_KEY_IN));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let b = ClientBuilder::new().app_id("a").basic_auth("user", "hunter2-pw");
        let c = b.build_config_with_env(no_env).unwrap();
        for text in [format!("{b:?}"), format!("{c:?}")] {
            assert!(!text.contains("hunter2-pw"), "{text}");
            assert!(!text.contains("Basic "), "{text}");
        }
        let b = base();
        let c = b.build_config_with_env(no_env).unwrap();
        for text in [format!("{b:?}"), format!("{c:?}")] {
            assert!(!text.contains("k3y-s3cret"), "{text}");
        }
    }
}
