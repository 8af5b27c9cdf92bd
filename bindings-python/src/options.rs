//! Client options (the same keyword arguments for `Client` and `AsyncClient`) and the
//! read-only `Config` view of a built client.

use std::time::Duration;

use botsplash::{ApiKeyPlacement, ClientBuilder};
use pyo3::prelude::*;

use crate::convert::{opt_bool_arg, opt_int_arg, opt_seconds_arg, opt_str_arg};
use crate::errors::{config_error, to_pyerr};
use crate::results::py_repr;

/// The constructor's keyword arguments, as given. `None` means "not given": the core then
/// falls back to the `BOTSPLASH_*` environment variables and the documented defaults.
pub(crate) struct Options {
    pub app_id: Option<String>,
    pub api_key: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key_in: Option<String>,
    pub base_url: Option<String>,
    pub timeout: Option<f64>,
    pub connect_timeout: Option<f64>,
    pub max_retries: Option<i64>,
    pub retry_unknown_outcome: Option<bool>,
    pub batch_size: Option<i64>,
    pub bulk_concurrency: Option<i64>,
}

/// The constructor's arguments before conversion (see [`Options::convert`]).
pub(crate) struct RawOptions<'a, 'py> {
    pub app_id: Option<&'a Bound<'py, PyAny>>,
    pub api_key: Option<&'a Bound<'py, PyAny>>,
    pub username: Option<&'a Bound<'py, PyAny>>,
    pub password: Option<&'a Bound<'py, PyAny>>,
    pub api_key_in: Option<&'a Bound<'py, PyAny>>,
    pub base_url: Option<&'a Bound<'py, PyAny>>,
    pub timeout: Option<&'a Bound<'py, PyAny>>,
    pub connect_timeout: Option<&'a Bound<'py, PyAny>>,
    pub max_retries: Option<&'a Bound<'py, PyAny>>,
    pub retry_unknown_outcome: Option<&'a Bound<'py, PyAny>>,
    pub batch_size: Option<&'a Bound<'py, PyAny>>,
    pub bulk_concurrency: Option<&'a Bound<'py, PyAny>>,
}

impl Options {
    /// Type-checks the arguments (a wrong type is a `TypeError` naming the option).
    pub(crate) fn convert(raw: RawOptions<'_, '_>) -> PyResult<Options> {
        Ok(Options {
            app_id: opt_str_arg(raw.app_id, "app_id")?,
            api_key: opt_str_arg(raw.api_key, "api_key")?,
            username: opt_str_arg(raw.username, "username")?,
            password: opt_str_arg(raw.password, "password")?,
            api_key_in: opt_str_arg(raw.api_key_in, "api_key_in")?,
            base_url: opt_str_arg(raw.base_url, "base_url")?,
            timeout: opt_seconds_arg(raw.timeout, "timeout")?,
            connect_timeout: opt_seconds_arg(raw.connect_timeout, "connect_timeout")?,
            max_retries: opt_int_arg(raw.max_retries, "max_retries")?,
            retry_unknown_outcome: opt_bool_arg(
                raw.retry_unknown_outcome,
                "retry_unknown_outcome",
            )?,
            batch_size: opt_int_arg(raw.batch_size, "batch_size")?,
            bulk_concurrency: opt_int_arg(raw.bulk_concurrency, "bulk_concurrency")?,
        })
    }

    /// Builds the validated configuration; every problem is a `ConfigError`.
    pub(crate) fn build(self, py: Python<'_>) -> PyResult<botsplash::Config> {
        let mut b = ClientBuilder::new().language("python");
        if let Some(v) = self.app_id {
            b = b.app_id(v);
        }
        if let Some(v) = self.api_key {
            b = b.api_key(v);
        }
        if let Some(v) = self.username {
            b = b.username(v);
        }
        if let Some(v) = self.password {
            b = b.password(v);
        }
        if let Some(v) = self.api_key_in {
            let placement = ApiKeyPlacement::parse(&v).ok_or_else(|| {
                config_error(
                    py,
                    &format!(
                        "api_key_in must be 'query' or 'body', not {}",
                        py_repr(py, &v).unwrap_or_default()
                    ),
                )
            })?;
            b = b.api_key_placement(placement);
        }
        if let Some(v) = self.base_url {
            b = b.base_url(v);
        }
        if let Some(v) = self.timeout {
            b = b.timeout(seconds(py, "timeout", v)?);
        }
        if let Some(v) = self.connect_timeout {
            b = b.connect_timeout(seconds(py, "connect_timeout", v)?);
        }
        if let Some(v) = self.max_retries {
            b = b.max_retries(count(py, "max_retries", v)?);
        }
        if let Some(v) = self.retry_unknown_outcome {
            b = b.retry_unknown_outcome(v);
        }
        if let Some(v) = self.batch_size {
            b = b.batch_size(count(py, "batch_size", v)?);
        }
        if let Some(v) = self.bulk_concurrency {
            b = b.bulk_concurrency(count(py, "bulk_concurrency", v)?);
        }
        b.build_config().map_err(|e| to_pyerr(py, e))
    }
}

fn seconds(py: Python<'_>, name: &str, secs: f64) -> PyResult<Duration> {
    // The core rejects zero and too-long timeouts; what cannot be a Duration at all is
    // rejected here, with the same wording.
    if !secs.is_finite() || secs <= 0.0 {
        return Err(config_error(
            py,
            &format!("{name} must be a positive number of seconds, not {secs}"),
        ));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| config_error(py, &format!("{name} is too large")))
}

fn count<T: TryFrom<i64> + Bounded>(py: Python<'_>, name: &str, n: i64) -> PyResult<T> {
    if n < 0 {
        return Err(config_error(
            py,
            &format!("{name} must not be negative, not {n}"),
        ));
    }
    // Too large for the type: pass the maximum so the core reports its own limit.
    Ok(T::try_from(n).unwrap_or(T::MAX))
}

trait Bounded {
    const MAX: Self;
}
impl Bounded for u32 {
    const MAX: u32 = u32::MAX;
}
impl Bounded for usize {
    const MAX: usize = usize::MAX;
}

/// A client's configuration, read-only. Never shows a credential.
#[pyclass(frozen, module = "botsplash", name = "Config")]
pub struct Config {
    pub(crate) inner: botsplash::Config,
}

#[pymethods]
impl Config {
    #[getter]
    fn app_id(&self) -> &str {
        self.inner.app_id()
    }
    /// `"basic"`, `"api_key_query"` or `"api_key_body"`.
    #[getter]
    fn auth(&self) -> &'static str {
        self.inner.auth_kind().as_str()
    }
    /// The Basic-auth user name (not a secret); `None` with API-key auth.
    #[getter]
    fn username(&self) -> Option<&str> {
        self.inner.username()
    }
    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }
    /// Seconds.
    #[getter]
    fn timeout(&self) -> f64 {
        self.inner.timeout().as_secs_f64()
    }
    /// Seconds.
    #[getter]
    fn connect_timeout(&self) -> f64 {
        self.inner.connect_timeout().as_secs_f64()
    }
    #[getter]
    fn max_retries(&self) -> u32 {
        self.inner.max_retries()
    }
    #[getter]
    fn retry_unknown_outcome(&self) -> bool {
        self.inner.retry_unknown_outcome()
    }
    #[getter]
    fn batch_size(&self) -> usize {
        self.inner.batch_size()
    }
    #[getter]
    fn bulk_concurrency(&self) -> usize {
        self.inner.bulk_concurrency()
    }
    #[getter]
    fn user_agent(&self) -> &str {
        self.inner.user_agent()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let c = &self.inner;
        Ok(format!(
            "Config(app_id={}, auth={}, base_url={}, timeout={:?}, connect_timeout={:?}, max_retries={}, \
             retry_unknown_outcome={}, batch_size={}, bulk_concurrency={})",
            py_repr(py, c.app_id())?,
            py_repr(py, c.auth_kind().as_str())?,
            py_repr(py, c.base_url())?,
            c.timeout().as_secs_f64(),
            c.connect_timeout().as_secs_f64(),
            c.max_retries(),
            if c.retry_unknown_outcome() {
                "True"
            } else {
                "False"
            },
            c.batch_size(),
            c.bulk_concurrency(),
        ))
    }
}

/// `Client(app_id='x', auth='api_key_query', base_url='...')`: what identifies a client in a
/// log line, without its credentials.
pub(crate) fn client_repr(py: Python<'_>, class: &str, c: &botsplash::Config) -> PyResult<String> {
    Ok(format!(
        "{class}(app_id={}, auth={}, base_url={})",
        py_repr(py, c.app_id())?,
        py_repr(py, c.auth_kind().as_str())?,
        py_repr(py, c.base_url())?
    ))
}
