//! Connection flags shared by rqtop and rqctl, and their resolution with the config file's
//! contexts (flag, then environment, then context, then default: see `crate::config`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::{self, Flags, Resolved};
use crate::rq::keys::Keys;

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Config file with named contexts. Default: $XDG_CONFIG_HOME/rqtop/config.toml, else
    /// ~/.config/rqtop/config.toml (a missing default file is no config).
    #[arg(long, global = true, env = "RQTOP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Named context from the config file. Default: its default_context, else `default`.
    /// Repeat it (or use --all-contexts) to read several targets at once (info, queues,
    /// workers).
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "RQTOP_CONTEXT",
        value_name = "NAME"
    )]
    pub context: Vec<String>,
    /// Every context of the config file at once (as repeating --context).
    #[arg(long, global = true, conflicts_with = "context")]
    pub all_contexts: bool,
    /// Redis URL (redis://, rediss://, unix://, redis+sentinel://), with user, password and
    /// db. Default: $RQ_REDIS_URL, else $REDIS_URL, else the context, else
    /// redis://127.0.0.1:6379/0. Without a password in it, $REDISCLI_AUTH is used.
    #[arg(short = 'u', long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// How long to wait for the connection, e.g. 5s or 500ms [default: 5s].
    #[arg(long, global = true, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub connect_timeout: Option<Duration>,
    /// How long to wait for Redis to answer one command before giving up on it, e.g. 10s
    /// [default: 10s]. A bulk change that times out says how many jobs' outcome is unknown.
    #[arg(long, global = true, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// RQ's key prefix, as RQ 3.0's RQ_KEY_PREFIX (letters, digits, _ . : - { }) [default: rq].
    #[arg(long, global = true, env = "RQ_KEY_PREFIX", value_name = "PREFIX", value_parser = Keys::new)]
    pub prefix: Option<Keys>,
}

impl ConnectArgs {
    /// The flags as the resolver sees them.
    #[must_use]
    pub fn flags(&self, interval: Option<Duration>, read_only: bool) -> Flags {
        Flags {
            config: self.config.clone(),
            context: self.context.first().cloned(),
            url: self.url.clone(),
            prefix: self.prefix.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            interval,
            read_only,
        }
    }

    /// Reads the config file and resolves the connection and the context's settings.
    pub fn resolve(&self, interval: Option<Duration>, read_only: bool) -> anyhow::Result<Resolved> {
        let env = config::process_env;
        let (path, file) = config::load(self.config.as_deref(), &env)?;
        Ok(config::resolve(
            &self.flags(interval, read_only),
            &env,
            path.as_deref(),
            &file,
        )?)
    }

    /// Context `name` for rqtop's `:ctx`: the context's own target, so a `--url` or
    /// `REDIS_URL` that chose the first target does not override every later choice. The
    /// config file is read again (it may have been edited meanwhile).
    pub fn resolve_switch(
        &self,
        name: &str,
        interval: Option<Duration>,
        read_only: bool,
    ) -> anyhow::Result<Resolved> {
        let env = |k: &str| match k {
            "RQ_REDIS_URL" | "REDIS_URL" => None,
            _ => config::process_env(k),
        };
        let (path, file) = config::load(self.config.as_deref(), &env)?;
        let mut flags = self.flags(interval, read_only);
        flags.context = Some(name.to_string());
        flags.url = None;
        Ok(config::resolve(&flags, &env, path.as_deref(), &file)?)
    }

    /// True when several targets are asked for (`-c a -c b` or `--all-contexts`).
    #[must_use]
    pub fn is_fleet(&self) -> bool {
        self.all_contexts || self.context.len() > 1
    }

    /// Every context asked for, each resolved as `resolve_switch` does (its own target: a
    /// `--url` makes no sense beside several contexts and is refused by the caller).
    pub fn resolve_fleet(
        &self,
        interval: Option<Duration>,
        read_only: bool,
    ) -> anyhow::Result<Vec<Resolved>> {
        let names = if self.all_contexts {
            let (path, file) = config::load(self.config.as_deref(), &config::process_env)?;
            if file.contexts.is_empty() {
                let at = path.map_or_else(|| "no config file".into(), |p| p.display().to_string());
                return Err(crate::cli::report::UsageError(format!(
                    "--all-contexts: the config file defines no contexts ({at})"
                ))
                .into());
            }
            file.names()
        } else {
            let mut seen: Vec<String> = Vec::new();
            for n in &self.context {
                if !seen.contains(n) {
                    seen.push(n.clone());
                }
            }
            seen
        };
        names
            .iter()
            .map(|n| self.resolve_switch(n, interval, read_only))
            .collect()
    }
}
