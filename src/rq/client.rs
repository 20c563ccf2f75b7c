//! The connection to Redis: one multiplexed, self-reconnecting connection per client.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, Pipeline, Value};

use super::error::{Error, Result, describe};

/// Where and how to connect. Built by the front-ends from flags and environment.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `redis://`, `rediss://`, `unix://` or `redis+unix://` URL, possibly with credentials and db.
    pub url: String,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
}

impl ConnectOptions {
    pub const DEFAULT_URL: &'static str = "redis://127.0.0.1:6379/0";

    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle on one Redis database holding RQ data. Cheap to clone.
#[derive(Clone)]
pub struct RqClient {
    conn: ConnectionManager,
    /// Kept to open the separate connection a keyspace subscription needs.
    client: redis::Client,
    url: String,
    db: i64,
}

impl std::fmt::Debug for RqClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RqClient").field("url", &self.url).finish()
    }
}

impl RqClient {
    /// Connects and checks the server answers, so that a bad URL, a server that is down or
    /// a wrong password is one clear error here rather than a failure later.
    pub async fn connect(opts: &ConnectOptions) -> Result<Self> {
        let shown = redact_url(&opts.url);
        // rediss:// needs a crypto provider; installing it twice is harmless (Err ignored).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let invalid = |e: redis::RedisError| Error::InvalidUrl {
            url: shown.clone(),
            reason: describe(&e).replace(&opts.url, &shown),
        };
        let info =
            redis::IntoConnectionInfo::into_connection_info(opts.url.as_str()).map_err(invalid)?;
        // No CLIENT SETINFO on connect: it would cost a round trip before every command.
        let settings = info.redis_settings().clone().set_skip_set_lib_name();
        let client = redis::Client::open(info.set_redis_settings(settings)).map_err(invalid)?;
        let db = client.get_connection_info().redis_settings().db();
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(opts.connect_timeout))
            .set_response_timeout(Some(opts.response_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let connect = ConnectionManager::new_with_config(client.clone(), config);
        let conn = match tokio::time::timeout(opts.connect_timeout, connect).await {
            Err(_) => {
                return Err(Error::Connect {
                    url: shown,
                    reason: format!(
                        "timed out after {}",
                        humantime::format_duration(opts.connect_timeout)
                    ),
                });
            }
            Ok(Err(e)) => return Err(classify_connect_error(&shown, &e)),
            Ok(Ok(c)) => c,
        };
        // The connection is made eagerly, AUTH and SELECT included, so a wrong password or
        // db fails above; no extra PING round trip is needed.
        Ok(Self {
            conn,
            client,
            url: shown,
            db,
        })
    }

    /// The URL with any password replaced by `***`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The logical database number (also the `<db>` in keyspace channel names).
    #[must_use]
    pub fn db(&self) -> i64 {
        self.db
    }

    /// Runs one command.
    pub(crate) async fn cmd(&mut self, op: &'static str, cmd: Cmd) -> Result<Value> {
        cmd.query_async(&mut self.conn)
            .await
            .map_err(|e| Error::redis(op, &e))
    }

    /// Runs a pipeline in one round trip. Per-command server errors come back as
    /// `Value::ServerError` in place, so one refused command does not hide the others.
    pub(crate) async fn pipeline(
        &mut self,
        op: &'static str,
        mut pipe: Pipeline,
    ) -> Result<Vec<Value>> {
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        pipe.ignore_errors();
        pipe.query_async(&mut self.conn)
            .await
            .map_err(|e| Error::redis(op, &e))
    }

    pub(crate) fn redis_client(&self) -> &redis::Client {
        &self.client
    }

    pub(crate) fn connection(&mut self) -> &mut ConnectionManager {
        &mut self.conn
    }
}

fn is_auth_reason(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("wrongpass")
        || r.contains("noauth")
        || r.contains("invalid password")
        || r.contains("authentication")
        || r.contains("invalid username-password")
}

fn classify_connect_error(url: &str, e: &redis::RedisError) -> Error {
    let reason = describe(e);
    if e.kind() == redis::ErrorKind::AuthenticationFailed || is_auth_reason(&reason) {
        Error::Auth {
            url: url.to_string(),
            reason,
        }
    } else {
        Error::Connect {
            url: url.to_string(),
            reason,
        }
    }
}

/// Hides the password part of a URL's user info: `redis://user:***@host:6379/0`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return redact_query(url);
    };
    let userinfo = &authority[..at];
    let shown_user = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None => userinfo.to_string(),
    };
    redact_query(&format!(
        "{}{}@{}",
        &url[..scheme_end + 3],
        shown_user,
        &rest[at..].trim_start_matches('@')
    ))
}

/// `?password=...` is also accepted by redis URLs.
fn redact_query(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let params: Vec<String> = url[q + 1..]
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    format!("{}?{}", &url[..q], params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_shown() {
        assert_eq!(
            redact_url("redis://:s3cret@h:6379/0"),
            "redis://:***@h:6379/0"
        );
        assert_eq!(redact_url("rediss://app:p@ss@h/2"), "rediss://app:***@h/2");
        assert_eq!(redact_url("redis://h:6379/0"), "redis://h:6379/0");
        assert_eq!(redact_url("redis://u@h"), "redis://u@h");
        assert_eq!(
            redact_url("unix:///tmp/r.sock?db=1&password=x"),
            "unix:///tmp/r.sock?db=1&password=***"
        );
        assert_eq!(redact_url("garbage"), "garbage");
    }
}
