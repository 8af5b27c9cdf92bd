//! The safe-by-default retry policy. A listener post texts a real person and the API has no
//! idempotency key, so only what provably did not reach processing is retried unless the user
//! opts in with `retry_unknown_outcome`.

use std::time::Duration;

use crate::config::Config;

/// The longest Retry-After the SDK waits out; a longer one is returned as RateLimitError.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(8);

/// What a failed attempt allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Retry {
    /// The request never left (DNS, refused, TLS handshake): always safe.
    NotSent,
    /// 429: the server refused without processing; wait as asked.
    RateLimited { retry_after: Option<Duration> },
    /// The server may have processed it (timeout after sending, lost connection, 5xx).
    UnknownOutcome,
    /// Retrying cannot help (4xx, decode errors).
    Never,
}

/// How long to wait before retry number `attempt + 1`, or `None` to give up.
pub(crate) fn decide(cfg: &Config, retry: &Retry, attempt: u32) -> Option<Duration> {
    if attempt >= cfg.max_retries {
        return None;
    }
    match retry {
        Retry::NotSent => Some(backoff(attempt)),
        Retry::RateLimited { retry_after: Some(ra) } if *ra > MAX_RETRY_AFTER => None,
        Retry::RateLimited { retry_after: Some(ra) } => Some(*ra),
        Retry::RateLimited { retry_after: None } => Some(backoff(attempt)),
        Retry::UnknownOutcome if cfg.retry_unknown_outcome => Some(backoff(attempt)),
        Retry::UnknownOutcome | Retry::Never => None,
    }
}

/// `min(0.5 s · 2^attempt, 8 s)`, less up to 25 % jitter so that many clients that failed
/// together do not retry together.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.min(16));
    let capped = exp.min(BACKOFF_CAP);
    capped.mul_f64(1.0 - 0.25 * fastrand::f64())
}

/// `Retry-After` as delta-seconds (`2`, `1.5`) or an HTTP-date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs.max(0.0)).ok();
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let secs = (when.as_millisecond() - now.as_millisecond()).max(0) as u64;
    Some(Duration::from_millis(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClientBuilder;

    fn cfg(retries: u32, unknown: bool) -> Config {
        ClientBuilder::new()
            .app_id("a")
            .api_key("k")
            .max_retries(retries)
            .retry_unknown_outcome(unknown)
            .build_config_with_env(|_| None)
            .unwrap()
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        for attempt in 0..8 {
            let d = backoff(attempt);
            let full = (0.5 * 2f64.powi(attempt as i32)).min(8.0);
            assert!(d.as_secs_f64() <= full && d.as_secs_f64() >= full * 0.75, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn policy() {
        let c = cfg(2, false);
        assert!(decide(&c, &Retry::NotSent, 0).is_some());
        assert!(decide(&c, &Retry::NotSent, 2).is_none());
        assert_eq!(decide(&c, &Retry::RateLimited { retry_after: Some(Duration::from_secs(3)) }, 1), Some(Duration::from_secs(3)));
        assert!(decide(&c, &Retry::RateLimited { retry_after: Some(Duration::from_secs(61)) }, 0).is_none());
        assert!(decide(&c, &Retry::UnknownOutcome, 0).is_none());
        assert!(decide(&c, &Retry::Never, 0).is_none());
        assert!(decide(&cfg(2, true), &Retry::UnknownOutcome, 0).is_some());
        assert!(decide(&cfg(0, true), &Retry::NotSent, 0).is_none());
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 1.5 "), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let future = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let http_date = jiff::fmt::rfc2822::to_string(&future.in_tz("UTC").unwrap()).unwrap();
        let parsed = parse_retry_after(&http_date).unwrap();
        assert!(parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120), "{parsed:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}
