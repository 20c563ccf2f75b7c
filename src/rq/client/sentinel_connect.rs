//! Connecting through Sentinel, and following the master after a failover.

use std::sync::Arc;
use std::time::Duration;

use redis::Value;

use super::{ConnectOptions, RqClient};
use crate::rq::error::{Error, Result};
use crate::rq::sentinel::SentinelTarget;

/// Between two looks while a failover settles.
const SETTLE: Duration = Duration::from_millis(200);

impl RqClient {
    /// Asks the sentinels for the master, connects to it and checks it says it is a master
    /// (during a failover a sentinel may name the old one for a moment: ask again).
    pub(super) async fn connect_sentinel(
        target: SentinelTarget,
        opts: &ConnectOptions,
        shown: String,
    ) -> Result<Self> {
        let deadline = tokio::time::Instant::now() + opts.connect_timeout;
        loop {
            let (host, port) = target
                .find_master(&opts.sentinel, opts.connect_timeout)
                .await
                .map_err(|reason| Error::Connect {
                    url: shown.clone(),
                    reason: scrub(&reason, opts),
                })?;
            let info = target.master_info(
                &host,
                port,
                opts.username.as_deref(),
                opts.password.as_ref(),
            )?;
            let mut c = Self::open(info, opts, shown.clone()).await?;
            let role = c.role().await?;
            if role == "master" {
                c.master = Some(format!("{host}:{port}"));
                c.sentinel = Some(Arc::new((target, opts.clone())));
                return Ok(c);
            }
            if tokio::time::Instant::now() + SETTLE > deadline {
                return Err(Error::Connect {
                    url: shown,
                    reason: format!(
                        "the sentinels name {host}:{port} as master {:?} but it says it is a {role} (a failover in progress?)",
                        target.master
                    ),
                });
            }
            tokio::time::sleep(SETTLE).await;
        }
    }

    /// `host:port` of the master, when it was found through Sentinel.
    #[must_use]
    pub fn master(&self) -> Option<&str> {
        self.master.as_deref()
    }

    /// Asks the sentinels which server is the master now; when it is another one than this
    /// client's, connects to it and returns its `host:port`. `None` when nothing changed or
    /// the target is not a Sentinel one.
    pub async fn follow_master(&mut self) -> Result<Option<String>> {
        let Some(sentinel) = self.sentinel.clone() else {
            return Ok(None);
        };
        let (target, opts) = &*sentinel;
        let (host, port) = target
            .find_master(&opts.sentinel, opts.connect_timeout)
            .await
            .map_err(|reason| Error::Connect {
                url: self.url.clone(),
                reason: scrub(&reason, opts),
            })?;
        if self.master.as_deref() == Some(format!("{host}:{port}").as_str()) {
            return Ok(None);
        }
        *self = Self::connect(opts).await?;
        Ok(self.master.clone())
    }

    /// `master`, `slave` or `sentinel`, from `ROLE`.
    async fn role(&mut self) -> Result<String> {
        let reply = self.cmd("role", redis::cmd("ROLE")).await?;
        let first = match reply {
            Value::Array(items) => items.into_iter().next(),
            _ => None,
        };
        Ok(match first {
            Some(Value::BulkString(b)) => String::from_utf8_lossy(&b).into_owned(),
            Some(Value::SimpleString(s)) => s,
            other => format!("{other:?}"),
        })
    }
}

/// Error text from the sentinels without any password of the options in it.
fn scrub(reason: &str, opts: &ConnectOptions) -> String {
    let mut out = super::scrub_url_secrets(reason, &opts.url);
    for pw in [&opts.password, &opts.sentinel.password]
        .into_iter()
        .flatten()
    {
        if !pw.expose().is_empty() {
            out = out.replace(pw.expose(), "***");
        }
    }
    out
}
