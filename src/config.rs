//! Named contexts from `config.toml` and how flags, environment and context combine into one
//! connection. Front-end code (it knows flags and environment variables); `rq` knows none of it.
//!
//! Precedence, per setting: the flag, then the environment, then the context, then the
//! built-in default. One exception: a context marked `read_only` stays read-only whatever
//! the flags and environment say.

pub mod file;
pub mod resolve;
pub mod secret;

use std::path::{Path, PathBuf};

pub use file::{ConfigFile, Context, SentinelConfig};
pub use resolve::{Flags, Resolved, resolve};

/// What went wrong with the config file or a context; never holds a password.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("config file {}:{line}:{column}: {reason}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("config file {}: context {context:?}: {reason}", path.display())]
    Context {
        path: PathBuf,
        context: String,
        reason: String,
    },
    #[error("no context {name:?} in {} ({})", path.display(), known_list(known))]
    UnknownContext {
        name: String,
        known: Vec<String>,
        path: PathBuf,
    },
    #[error("context {name:?}: {reason}")]
    Password { name: String, reason: String },
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "it defines no contexts".to_string()
    } else {
        format!("known: {}", known.join(", "))
    }
}

/// The file to read: `--config`/`RQTOP_CONFIG` when given (then it must exist), else
/// `$XDG_CONFIG_HOME/rqtop/config.toml`, else `~/.config/rqtop/config.toml`.
#[must_use]
pub fn config_path(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    // The XDG spec ignores a relative XDG_CONFIG_HOME.
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some((base.join("rqtop").join("config.toml"), false))
}

/// Reads the config: a missing file at the default place is no config; a missing file that
/// was named is an error.
pub fn load(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<PathBuf>, ConfigFile), ConfigError> {
    let Some((path, named)) = config_path(explicit, env) else {
        return Ok((None, ConfigFile::default()));
    };
    if !named && !path.exists() {
        return Ok((Some(path), ConfigFile::default()));
    }
    let file = ConfigFile::load(&path)?;
    Ok((Some(path), file))
}

/// Reads at most `limit` bytes of UTF-8 text: a path that names `/dev/zero` or a log file
/// by mistake is an error, not a hang that eats memory.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "larger than {limit} bytes: not a config or password file"
        ));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// The process environment, empty values treated as unset.
#[must_use]
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests;
