//! Connection flags shared by rqtop and rqctl.

use std::time::Duration;

use clap::Args;

use crate::rq::ConnectOptions;
use crate::rq::keys::Keys;

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Redis URL (redis://, rediss://, unix://), with user, password and db.
    /// Default: $RQ_REDIS_URL, else $REDIS_URL, else redis://127.0.0.1:6379/0.
    #[arg(short = 'u', long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// How long to wait for the connection, e.g. 5s or 500ms.
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub connect_timeout: Duration,
    /// How long to wait for Redis to answer one command before giving up on it, e.g. 10s.
    /// A bulk change that times out says how many jobs' outcome is unknown.
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// RQ's key prefix, as RQ 3.0's RQ_KEY_PREFIX (letters, digits, _ . : - { }).
    #[arg(long, global = true, env = "RQ_KEY_PREFIX", value_name = "PREFIX", default_value = "rq", value_parser = Keys::new)]
    pub prefix: Keys,
}

impl ConnectArgs {
    /// The URL from the flag, then `RQ_REDIS_URL` (what `rq` reads), then `REDIS_URL`.
    #[must_use]
    pub fn resolved_url(&self) -> String {
        self.url
            .clone()
            .or_else(|| env_nonempty("RQ_REDIS_URL"))
            .or_else(|| env_nonempty("REDIS_URL"))
            .unwrap_or_else(|| ConnectOptions::DEFAULT_URL.to_string())
    }

    pub fn options(&self) -> anyhow::Result<ConnectOptions> {
        let mut opts = ConnectOptions::new(self.resolved_url());
        opts.connect_timeout = self.connect_timeout;
        opts.response_timeout = self.timeout;
        opts.keys = self.prefix.clone();
        Ok(opts)
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
