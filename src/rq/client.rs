//! The connection to Redis: one multiplexed, self-reconnecting connection per client.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, Pipeline, Value};

use super::error::{Error, Result, describe};

mod diagnose;
mod redact;
pub(crate) use redact::percent_decode;
mod sentinel_connect;

use redact::delimiter_hint;
pub use redact::redact_url;
pub(crate) use redact::scrub_url_secrets;

/// Where and how to connect. Built by the front-ends from flags and environment.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `redis://`, `rediss://`, `unix://` or `redis+unix://` URL, possibly with credentials and db.
    pub url: String,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    /// RQ's key names (`rq`, or RQ 3.0's `RQ_KEY_PREFIX`).
    pub keys: super::keys::Keys,
    /// User and password given apart from the URL (they replace the URL's own).
    pub username: Option<String>,
    pub password: Option<super::Password>,
    /// The sentinels' credentials and TLS, for `redis+sentinel://` URLs.
    pub sentinel: super::sentinel::SentinelAuth,
}

impl ConnectOptions {
    pub const DEFAULT_URL: &'static str = "redis://127.0.0.1:6379/0";

    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(10),
            keys: super::keys::Keys::default(),
            username: None,
            password: None,
            sentinel: super::sentinel::SentinelAuth::default(),
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
    pub(crate) keys: super::keys::Keys,
    /// Host, port and whether TLS was asked for, to explain a first failure.
    peer: Option<(String, u16, bool)>,
    /// Set once the server has answered: after that, a failure is not about who it is.
    answered: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// `host:port` of the master, when it was found through Sentinel.
    master: Option<String>,
    /// How to find the master again after a failover.
    sentinel: Option<std::sync::Arc<(super::sentinel::SentinelTarget, ConnectOptions)>>,
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
            reason: format!(
                "{}{}",
                scrub_url_secrets(&describe(&e), &opts.url),
                delimiter_hint(&opts.url)
            ),
        };
        match super::sentinel::parse(&opts.url) {
            Err(reason) => return Err(Error::InvalidUrl { url: shown, reason }),
            Ok(Some(target)) => return Self::connect_sentinel(target, opts, shown).await,
            Ok(None) => {}
        }
        if !opts.url.contains("://") {
            return Err(Error::InvalidUrl {
                url: shown.clone(),
                reason: format!(
                    "no scheme; a URL looks like redis://[user:password@]host[:port][/db], rediss://… (TLS) or unix:///path/redis.sock (did you mean redis://{shown}?)"
                ),
            });
        }
        let info =
            redis::IntoConnectionInfo::into_connection_info(opts.url.as_str()).map_err(invalid)?;
        Self::open(info, opts, shown).await
    }

    /// Connects to the server `info` names, with the options' own credentials and timeouts.
    async fn open(
        info: redis::ConnectionInfo,
        opts: &ConnectOptions,
        shown: String,
    ) -> Result<Self> {
        let invalid = |e: redis::RedisError| Error::InvalidUrl {
            url: shown.clone(),
            reason: scrub_url_secrets(&describe(&e), &opts.url),
        };
        let peer = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => Some((host.clone(), *port, false)),
            redis::ConnectionAddr::TcpTls { host, port, .. } => Some((host.clone(), *port, true)),
            _ => None,
        };
        // No CLIENT SETINFO on connect: it would cost a round trip before every command.
        let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
        if let Some(user) = &opts.username {
            settings = settings.set_username(user);
        }
        if let Some(pw) = &opts.password {
            settings = settings.set_password(pw.expose());
        }
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
                let reason = format!(
                    "timed out after {}",
                    humantime::format_duration(opts.connect_timeout)
                );
                return Err(Error::Connect {
                    url: shown,
                    reason: explained(reason, peer).await,
                });
            }
            Ok(Err(e)) => {
                return Err(match classify_connect_error(&shown, &e, opts) {
                    Error::Connect { url, reason } => Error::Connect {
                        url,
                        reason: explained(reason, peer).await,
                    },
                    other => other,
                });
            }
            Ok(Ok(c)) => c,
        };
        // The connection is made eagerly, AUTH and SELECT included, so a wrong password or
        // db fails above; no extra PING round trip is needed.
        Ok(Self {
            conn,
            client,
            url: shown,
            db,
            keys: opts.keys.clone(),
            peer,
            answered: std::sync::Arc::default(),
            master: None,
            sentinel: None,
        })
    }

    /// RQ's key names on this server.
    #[must_use]
    pub fn keys(&self) -> &super::keys::Keys {
        &self.keys
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
        let result = cmd.query_async(&mut self.conn).await;
        self.checked(op, result).await
    }

    /// On db 0 without a password nothing is sent before the first command, so a peer that
    /// is not Redis shows up only here: the first failure gets the same explanation as a
    /// failed connect.
    async fn checked<T>(&self, op: &'static str, result: redis::RedisResult<T>) -> Result<T> {
        use std::sync::atomic::Ordering;
        match result {
            Ok(v) => {
                self.answered.store(true, Ordering::Relaxed);
                Ok(v)
            }
            Err(e) if is_auth_reason(&describe(&e)) => Err(Error::Auth {
                url: self.url.clone(),
                reason: describe(&e),
            }),
            // A server error reply means a Redis server answered: nothing to explain.
            Err(e)
                if !self.answered.load(Ordering::Relaxed)
                    && !matches!(e.kind(), redis::ErrorKind::Server(_)) =>
            {
                Err(Error::Redis {
                    op,
                    reason: explained(describe(&e), self.peer.clone()).await,
                })
            }
            Err(e) => Err(Error::redis(op, &e)),
        }
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
        let result: redis::RedisResult<Vec<Value>> = pipe.query_async(&mut self.conn).await;
        let replies = self.checked(op, result).await?;
        // Without a password, a server that needs one refuses every command with NOAUTH
        // (nothing is sent at connect time on db 0): that is an authentication failure, not
        // a list of empty replies that would read as an empty server.
        if let Some(Value::ServerError(e)) = replies.iter().find(
            |v| matches!(v, Value::ServerError(e) if matches!(e.code(), "NOAUTH" | "WRONGPASS")),
        ) {
            return Err(Error::Auth {
                url: self.url.clone(),
                reason: format!(
                    "{}: the server needs a password (redis://:PASSWORD@host/… or a user with one)",
                    e.code()
                ),
            });
        }
        Ok(replies)
    }

    pub(crate) fn redis_client(&self) -> &redis::Client {
        &self.client
    }

    pub(crate) fn connection(&mut self) -> &mut ConnectionManager {
        &mut self.conn
    }
}

/// The error's own words, then what the other side seems to be when a look can tell.
async fn explained(reason: String, peer: Option<(String, u16, bool)>) -> String {
    let Some((host, port, tls)) = peer else {
        return reason;
    };
    match diagnose::what_answers(&host, port, tls).await {
        Some(seen) => format!("{reason}: {seen}"),
        None => reason,
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

fn classify_connect_error(url: &str, e: &redis::RedisError, opts: &ConnectOptions) -> Error {
    let mut reason = scrub_url_secrets(&describe(e), &opts.url);
    if let Some(pw) = opts.password.as_ref().filter(|p| !p.expose().is_empty()) {
        reason = reason.replace(pw.expose(), "***");
    }
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
