//! The config file's shape (`config.toml`) and its parsing. Unknown keys are errors and every
//! error names the file, line and column, so that a typo is never silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::ConfigError;
use super::secret::PasswordSource;
use crate::rq::keys::Keys;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The context used when none is named; else the one called `default`, if any.
    pub default_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// One named target and how to use it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// `redis://`, `rediss://`, `unix://` or `redis+sentinel://` URL; a password in it is
    /// allowed but a password source below keeps it out of the file.
    pub url: Option<String>,
    /// The Redis ACL user (the password comes from one of the three sources).
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    pub password_command: Option<String>,
    /// Sentinel: where to find the master (instead of `url`).
    pub sentinel: Option<SentinelConfig>,
    /// TLS to the master found through Sentinel (a `url` says it with `rediss://`).
    #[serde(default)]
    pub tls: bool,
    /// Refuse every write through this context, whatever the flags say.
    #[serde(default)]
    pub read_only: bool,
    /// rqtop's header colour (`red`, `lightgreen`, `#ff8800`, ...).
    pub accent: Option<Accent>,
    /// rqtop's poll period.
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub connect_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub timeout: Option<Duration>,
    /// The queues rqtop shows (all when empty).
    #[serde(default)]
    pub queues: Vec<String>,
    /// RQ 3.0's RQ_KEY_PREFIX.
    #[serde(default, deserialize_with = "keys")]
    pub prefix: Option<Keys>,
}

/// A Sentinel-managed master: the sentinels to ask and the name they know it by.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentinelConfig {
    /// `host:port` of each sentinel.
    pub hosts: Vec<String>,
    /// The master's name in the sentinels' configuration.
    pub master: String,
    #[serde(default)]
    pub db: i64,
    /// TLS to the sentinels (the master's TLS is the context's `tls`).
    #[serde(default)]
    pub tls: bool,
    /// The sentinels' own credentials, separate from the master's.
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    pub password_command: Option<String>,
}

/// A colour name ratatui knows, checked when the file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accent(pub String);

impl<'de> Deserialize<'de> for Accent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<ratatui::style::Color>().map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown colour {s:?} (a name such as red, lightgreen, yellow, or #rrggbb)"
            ))
        })?;
        Ok(Self(s))
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map(Some).map_err(|e| {
        serde::de::Error::custom(format!("{s:?} is not a duration like 2s or 500ms ({e})"))
    })
}

fn keys<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Keys>, D::Error> {
    let s = String::deserialize(d)?;
    Keys::new(&s).map(Some).map_err(serde::de::Error::custom)
}

impl Context {
    /// The one place the master's password comes from, if the context names one.
    pub fn password_source(&self) -> Result<Option<PasswordSource>, String> {
        PasswordSource::one_of(
            self.password_file.as_ref(),
            self.password_env.as_ref(),
            self.password_command.as_ref(),
        )
    }
}

impl SentinelConfig {
    pub fn password_source(&self) -> Result<Option<PasswordSource>, String> {
        PasswordSource::one_of(
            self.password_file.as_ref(),
            self.password_env.as_ref(),
            self.password_command.as_ref(),
        )
    }
}

impl ConfigFile {
    /// Reads and checks a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        // A config file is a few kilobytes; 1 MiB leaves room and stops `--config /dev/zero`.
        let text = super::read_limited(path, 1 << 20).map_err(|reason| ConfigError::Read {
            path: path.to_path_buf(),
            reason,
        })?;
        Self::parse(path, &text)
    }

    /// Parses `text` as read from `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let file: Self = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                reason: e.message().trim().to_string(),
            }
        })?;
        file.check(path)?;
        Ok(file)
    }

    /// What serde cannot say: one password source at most, a target in every context.
    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |name: &str, reason: String| ConfigError::Context {
            path: path.to_path_buf(),
            context: name.to_string(),
            reason,
        };
        for (name, ctx) in &self.contexts {
            ctx.password_source().map_err(|r| bad(name, r))?;
            if let Some(s) = &ctx.sentinel {
                s.password_source()
                    .map_err(|r| bad(name, format!("sentinel: {r}")))?;
                if s.hosts.is_empty() {
                    return Err(bad(name, "sentinel.hosts is empty".into()));
                }
                if ctx.url.is_some() {
                    return Err(bad(name, "both url and sentinel: keep one".into()));
                }
            }
        }
        if let Some(d) = &self.default_context
            && !self.contexts.contains_key(d)
        {
            return Err(ConfigError::UnknownContext {
                name: d.clone(),
                known: self.names(),
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }

    /// Context names, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.contexts.keys().cloned().collect()
    }

    /// The context used when none is named.
    #[must_use]
    pub fn default_name(&self) -> Option<&str> {
        self.default_context
            .as_deref()
            .or_else(|| self.contexts.contains_key("default").then_some("default"))
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
