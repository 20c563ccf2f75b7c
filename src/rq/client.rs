//! The connection to Redis: one multiplexed, self-reconnecting connection per client.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, Pipeline, Value};

use super::error::{Error, Result, describe};

mod diagnose;

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

/// Hides the password of a URL, whatever it holds (`/`, `@`, `:`, `?`, `#`, `%`...):
/// `redis://user:***@host:6379/0`. The user info runs to the last `@` before the query, so a
/// password with `/` or `@` in it is still found; user info without a `:` is kept only when
/// it looks like a user name.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return scrub(url, &secrets(url));
    };
    let head = &url[..scheme_end + 3];
    let rest = &url[scheme_end + 3..];
    let Some(at) = userinfo_end(rest) else {
        return redact_query(url);
    };
    let userinfo = &rest[..at];
    let shown_user = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None if looks_like_user(userinfo) => userinfo.to_string(),
        None => "***".to_string(),
    };
    redact_query(&format!("{head}{shown_user}{}", &rest[at..]))
}

/// Where the user info ends (its `@`): the last `@`, unless it sits in a query
/// (`?key=...@...`), then the last one before the query.
fn userinfo_end(rest: &str) -> Option<usize> {
    let at = rest.rfind('@')?;
    match rest.find('?') {
        Some(q) if q < at && rest[q..at].contains('=') => rest[..q].rfind('@'),
        _ => Some(at),
    }
}

/// A password holding URL delimiters must be percent-encoded: say so when that may be why.
fn delimiter_hint(url: &str) -> &'static str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match userinfo_end(rest) {
        Some(at) if rest[..at].contains(['/', '?', '#', '@']) => {
            " (a password holding / ? # or @ must be percent-encoded in the URL, e.g. / as %2F)"
        }
        _ => "",
    }
}

fn looks_like_user(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `?password=...` is also accepted by redis URLs. A password holding `&` continues into
/// what looks like further parameters: everything up to the next known parameter is hidden.
fn redact_query(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let mut params: Vec<String> = Vec::new();
    let mut in_password = false;
    for p in url[q + 1..].split('&') {
        let key = p.split_once('=').map_or(p, |(k, _)| k);
        if key.eq_ignore_ascii_case("password") {
            in_password = true;
            params.push(format!("{key}=***"));
        } else if in_password && !is_known_param(key) {
            // still the password
        } else {
            in_password = false;
            params.push(p.to_string());
        }
    }
    format!("{}?{}", &url[..q], params.join("&"))
}

fn is_known_param(key: &str) -> bool {
    ["db", "protocol", "username", "user", "insecure"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
}

/// The values of `password=` in a query, each up to the next `&` (as a parser reads it)
/// and up to the next known parameter (as a person meant it).
fn query_passwords(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = query.split('&').collect();
    for (i, p) in parts.iter().enumerate() {
        if let Some((k, v)) = p.split_once('=')
            && k.eq_ignore_ascii_case("password")
        {
            out.push(v.to_string());
            let tail: Vec<&str> = parts[i + 1..]
                .iter()
                .take_while(|p| !is_known_param(p.split_once('=').map_or(p, |(k, _)| k)))
                .copied()
                .collect();
            if !tail.is_empty() {
                out.push(format!("{v}&{}", tail.join("&")));
            }
        }
    }
    out
}

/// Every form in which the URL's password could appear in someone's error text: as
/// written, percent-decoded, and the user info whole.
fn secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let after = userinfo_end(rest).map_or(0, |at| at + 1);
    let query_at = rest[after..].find('?').map_or(rest.len(), |q| q + after);
    if let Some(at) = userinfo_end(rest) {
        let userinfo = &rest[..at];
        let password = userinfo.split_once(':').map_or(userinfo, |(_, p)| p);
        out.push(userinfo.to_string());
        out.push(password.to_string());
    }
    out.extend(query_passwords(rest[query_at..].trim_start_matches('?')));
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    // Longest first, so that a password inside the user info is not left half-replaced.
    out.retain(|s| s.len() >= 3);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

/// Error text about `url` with its password removed in every form it could take.
pub(crate) fn scrub_url_secrets(text: &str, url: &str) -> String {
    scrub(&text.replace(url, &redact_url(url)), &secrets(url))
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

    /// Passwords made of every character class, in every place a URL can hold one: the
    /// redacted form and scrubbed error text never contain them.
    #[test]
    fn passwords_of_every_character_class_never_shown() {
        let classes = [
            "plainpass",
            "pa/ss/word",
            "p@ss@word",
            "pa:ss:word",
            "pa?ss",
            "pa#ss",
            "pa%2Fss",
            "pa ss",
            "pä$$wörd",
            "p&ss=x",
            "sl/ash@and:colon?q#f",
            "////",
            "@@@@",
        ];
        for pw in classes {
            for url in [
                format!("redis://:{pw}@h:6379/0"),
                format!("redis://user:{pw}@h/1"),
                format!("rediss://u:{pw}@h:6380/0#insecure"),
                format!("redis://{pw}@h:6379"),
                format!("unix:///tmp/r.sock?db=1&password={pw}"),
            ] {
                if url.contains(&format!("//{pw}@")) && super::looks_like_user(pw) {
                    continue; // `redis://name@host` names a user, not a password
                }
                let shown = redact_url(&url);
                let decoded = super::percent_decode(pw);
                assert!(!shown.contains(pw), "{url} -> {shown}");
                let err = format!("bad URL {url}: near '{pw}' ({decoded})");
                let scrubbed = super::scrub_url_secrets(&err, &url);
                assert!(!scrubbed.contains(pw), "{err} -> {scrubbed}");
                assert!(!scrubbed.contains(&decoded), "{err} -> {scrubbed}");
            }
        }
    }
}
