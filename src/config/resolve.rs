//! Flags, environment, context and defaults into one connection (see the module docs for the
//! precedence).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ConfigError, ConfigFile, Context};
use crate::rq::ConnectOptions;
use crate::rq::keys::Keys;

/// What the command line said. clap has already merged a flag with its own environment
/// variable (`--prefix`/`RQ_KEY_PREFIX`, `--context`/`RQTOP_CONTEXT`, ...).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub context: Option<String>,
    pub url: Option<String>,
    pub prefix: Option<Keys>,
    pub connect_timeout: Option<Duration>,
    pub timeout: Option<Duration>,
    pub interval: Option<Duration>,
    pub read_only: bool,
}

/// Everything a front-end needs to connect and behave as the context asks.
#[derive(Debug)]
pub struct Resolved {
    /// The context in use, if any.
    pub context: Option<String>,
    pub connect: ConnectOptions,
    pub read_only: bool,
    /// Read-only because the context says so (flags cannot lift it).
    pub read_only_by_context: bool,
    pub interval: Duration,
    pub accent: Option<String>,
    /// Queues to show (all when empty).
    pub queues: Vec<String>,
    /// Notes for the person (a password file open to others, an overridden context).
    pub warnings: Vec<String>,
    /// Every context of the config file (for rqtop's `:ctx`).
    pub contexts: Vec<String>,
}

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Where the URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Flag,
    Env(&'static str),
    Context,
    Default,
}

/// Picks the context and applies the precedence. `path` is the config file read (for errors).
pub fn resolve(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    path: Option<&Path>,
    file: &ConfigFile,
) -> Result<Resolved, ConfigError> {
    // The default context stands in only when nothing else names a target: `--url` or
    // REDIS_URL alone must not pick up its prefix, queues or read-only state.
    let url_elsewhere =
        flags.url.is_some() || env("RQ_REDIS_URL").is_some() || env("REDIS_URL").is_some();
    let name = flags.context.clone().or_else(|| {
        (!url_elsewhere)
            .then(|| file.default_name().map(str::to_string))
            .flatten()
    });
    let ctx = match &name {
        Some(n) => Some(
            file.contexts
                .get(n)
                .ok_or_else(|| ConfigError::UnknownContext {
                    name: n.clone(),
                    known: file.names(),
                    path: path.map_or_else(|| PathBuf::from("(no config file)"), Path::to_path_buf),
                })?,
        ),
        None => None,
    };
    let mut warnings = Vec::new();
    let (url, origin) = pick_url(flags, env, ctx);
    if let (Some(n), Some(_), Origin::Env(var)) = (&flags.context, ctx, origin) {
        warnings.push(format!(
            "warning: {var} from the environment overrides context {n}'s target (flag, then environment, then context); unset it to use the context"
        ));
    }
    let mut connect = ConnectOptions::new(url);
    connect.keys = flags
        .prefix
        .clone()
        .or_else(|| ctx.and_then(|c| c.prefix.clone()))
        .unwrap_or_default();
    connect.connect_timeout = flags
        .connect_timeout
        .or_else(|| ctx.and_then(|c| c.connect_timeout))
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    connect.response_timeout = flags
        .timeout
        .or_else(|| ctx.and_then(|c| c.timeout))
        .unwrap_or(DEFAULT_TIMEOUT);
    let pw_err = |reason: String| ConfigError::Password {
        name: name.clone().unwrap_or_default(),
        reason,
    };
    // A context's credentials go only to the context's own target, never to a URL that
    // came from elsewhere.
    let from_context = (origin == Origin::Context).then_some(ctx).flatten();
    if let Some(c) = from_context {
        connect.username.clone_from(&c.username);
        if let Some(s) = &c.sentinel {
            connect.sentinel.username.clone_from(&s.username);
            connect.sentinel.tls = Some(s.tls);
            if let Some(src) = s.password_source().map_err(&pw_err)? {
                let secret = src.read(env).map_err(&pw_err)?;
                warnings.extend(secret.warning);
                connect.sentinel.password = Some(secret.password);
            }
        }
    }
    if !url_has_password(&connect.url) {
        if let Some(pw) = env("REDISCLI_AUTH") {
            // redis-cli's convention: the password when the URL holds none.
            connect.password = Some(crate::rq::Password::new(pw));
        } else if let Some(src) = from_context
            .map(Context::password_source)
            .transpose()
            .map_err(&pw_err)?
            .flatten()
        {
            let secret = src.read(env).map_err(&pw_err)?;
            warnings.extend(secret.warning);
            connect.password = Some(secret.password);
        }
    }
    let interval = flags
        .interval
        .or_else(|| ctx.and_then(|c| c.interval))
        .unwrap_or(DEFAULT_INTERVAL);
    if interval < MIN_INTERVAL {
        return Err(pw_err("interval must be at least 100ms".into()));
    }
    let by_context = ctx.is_some_and(|c| c.read_only);
    Ok(Resolved {
        context: name,
        connect,
        read_only: flags.read_only || by_context,
        read_only_by_context: by_context,
        interval,
        accent: ctx.and_then(|c| c.accent.as_ref().map(|a| a.0.clone())),
        queues: ctx.map(|c| c.queues.clone()).unwrap_or_default(),
        warnings,
        contexts: file.names(),
    })
}

fn pick_url(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    ctx: Option<&Context>,
) -> (String, Origin) {
    if let Some(u) = &flags.url {
        return (u.clone(), Origin::Flag);
    }
    for var in ["RQ_REDIS_URL", "REDIS_URL"] {
        if let Some(u) = env(var) {
            return (u, Origin::Env(var));
        }
    }
    if let Some(c) = ctx {
        if let Some(u) = &c.url {
            return (u.clone(), Origin::Context);
        }
        if let Some(s) = &c.sentinel {
            return (sentinel_url(c, s), Origin::Context);
        }
    }
    (ConnectOptions::DEFAULT_URL.to_string(), Origin::Default)
}

/// The `redis+sentinel://` form of a `[contexts.X.sentinel]` table (no credentials in it).
#[must_use]
pub fn sentinel_url(ctx: &Context, s: &super::SentinelConfig) -> String {
    let scheme = if ctx.tls {
        "rediss+sentinel"
    } else {
        "redis+sentinel"
    };
    format!("{scheme}://{}/{}/{}", s.hosts.join(","), s.master, s.db)
}

/// True when the URL carries its own password (it then wins over every other source).
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let userinfo_has_pw = authority.rsplit_once('@').is_some_and(|(ui, _)| {
        ui.contains(':')
            || !ui.is_empty()
                && !ui
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    });
    userinfo_has_pw || url.to_ascii_lowercase().contains("password=")
}

/// What `rqctl contexts` shows for a context's target: the redacted URL, or the sentinels.
#[must_use]
pub fn shown_target(ctx: &Context) -> String {
    match (&ctx.url, &ctx.sentinel) {
        (Some(u), _) => crate::rq::redact_url(u),
        (None, Some(s)) => crate::rq::redact_url(&sentinel_url(ctx, s)),
        (None, None) => format!("{} (built-in default)", ConnectOptions::DEFAULT_URL),
    }
}

/// The password source shown for a context (`file`, `env`, `command`, `url`, or none).
#[must_use]
pub fn password_kind(ctx: &Context) -> Option<&'static str> {
    match ctx.password_source() {
        Ok(Some(s)) => Some(s.kind()),
        _ if ctx.url.as_deref().is_some_and(url_has_password) => Some("url"),
        _ => None,
    }
}
