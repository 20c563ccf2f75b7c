//! The data layer's error type. Front-ends add their own context; this layer never does.

/// Everything that can go wrong while talking to Redis about RQ data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL could not be parsed or names an unsupported scheme.
    #[error("invalid Redis URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// No connection could be made (server down, wrong host, TLS, timeout).
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The server refused our credentials.
    #[error("authentication to {url} failed: {reason}")]
    Auth { url: String, reason: String },
    /// A command failed (refused by an ACL, connection dropped, unexpected reply).
    #[error("Redis {op} failed: {reason}")]
    Redis { op: &'static str, reason: String },
    /// A job, queue or worker named by the user does not exist.
    #[error("no such {kind}: {id}")]
    NotFound { kind: &'static str, id: String },
    /// RQ would not allow this operation (e.g. requeue a running job).
    #[error("{0}")]
    Refused(String),
    /// The operation needs a confirmation or flag the caller did not give.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub(crate) fn redis(op: &'static str, err: &redis::RedisError) -> Self {
        Self::Redis {
            op,
            reason: describe(err),
        }
    }

    /// True when retrying later may succeed (connection trouble, timeouts).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. } => true,
            Self::Redis { reason, .. } => {
                let r = reason.to_ascii_lowercase();
                r.contains("connection") || r.contains("timed out") || r.contains("broken pipe")
            }
            _ => false,
        }
    }
}

/// A one-line description of a redis error, without the crate's debug noise. A refusal by
/// an ACL says what is missing and what to do, since "run it again" cannot help there.
pub(crate) fn describe(err: &redis::RedisError) -> String {
    let text = err.to_string();
    // redis-rs repeats the kind in front ("ResponseError: ..."); keep it, it helps with ACL errors.
    let line = text.lines().next().unwrap_or_default().trim().to_string();
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("noperm") || lower.contains("no permissions") {
        format!(
            "{line} (the Redis user lacks a permission this needs: see ACL WHOAMI and ACL GETUSER; README lists the ACL rqctl and rqtop need)"
        )
    } else if lower.contains("readonly") || lower.contains("read only replica") {
        // A replica: typically the old master after a Sentinel failover.
        format!(
            "{line} (this server is a read-only replica: changes must go to the master; with Sentinel, connect through a redis+sentinel:// URL, which always finds the master)"
        )
    } else {
        line
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
