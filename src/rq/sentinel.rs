//! Redis Sentinel: `redis+sentinel://host1:26379,host2:26379/MASTER/DB` targets.

use super::Password;

/// The sentinels' own credentials and TLS, separate from the master's.
#[derive(Debug, Clone, Default)]
pub struct SentinelAuth {
    pub username: Option<String>,
    pub password: Option<Password>,
    /// TLS to the sentinels; `None` follows the URL's scheme (`rediss+sentinel://`).
    pub tls: Option<bool>,
}
