//! Where a password comes from: a file, an environment variable or a command. The value is
//! read at connect time and goes only into the connection, never into argv, errors or output.

use std::path::{Path, PathBuf};

use crate::rq::Password;

/// One of the three sources a context may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    File(PathBuf),
    Env(String),
    Command(String),
}

/// A password read, with a warning for the person when its file is open to others.
#[derive(Debug)]
pub struct Secret {
    pub password: Password,
    pub warning: Option<String>,
}

impl PasswordSource {
    /// At most one source: two would leave the reader guessing which one wins.
    pub fn one_of(
        file: Option<&PathBuf>,
        env: Option<&String>,
        command: Option<&String>,
    ) -> Result<Option<Self>, String> {
        let mut all = Vec::new();
        if let Some(f) = file {
            all.push(Self::File(f.clone()));
        }
        if let Some(e) = env {
            all.push(Self::Env(e.clone()));
        }
        if let Some(c) = command {
            all.push(Self::Command(c.clone()));
        }
        if all.len() > 1 {
            return Err(
                "password_file, password_env and password_command: name only one".to_string(),
            );
        }
        Ok(all.pop())
    }

    /// `file`, `env` or `command`, as `rqctl contexts` shows it.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::File(_) => "file",
            Self::Env(_) => "env",
            Self::Command(_) => "command",
        }
    }

    /// Where, without the secret: the path, the variable's name or the command line.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => format!("file {}", p.display()),
            Self::Env(v) => format!("env {v}"),
            Self::Command(c) => format!("command `{c}`"),
        }
    }

    /// Reads the password. `env` looks up environment variables (a parameter for tests).
    pub fn read(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Secret, String> {
        let (value, warning) = match self {
            Self::File(p) => {
                let path = expand_home(p, env);
                let text = crate::config::read_limited(&path, 64 << 10)
                    .map_err(|e| format!("password_file {}: {e}", path.display()))?;
                (first_line(&text), open_to_others(&path))
            }
            Self::Env(name) => {
                let v = env(name).ok_or_else(|| format!("password_env {name} is not set"))?;
                (v, None)
            }
            Self::Command(cmd) => (run_command(cmd)?, None),
        };
        if value.is_empty() {
            return Err(format!("{} gave an empty password", self.describe()));
        }
        Ok(Secret {
            password: Password::new(value),
            warning,
        })
    }
}

/// The first line without its line ending (`pass show` prints notes after the password).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// `~/x` as the shell would read it.
fn expand_home(p: &Path, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    match (p.strip_prefix("~"), env("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

#[cfg(unix)]
fn open_to_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: password file {} can be read by group or others (mode {:o}); chmod 600 it",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(not(unix))]
fn open_to_others(_path: &Path) -> Option<String> {
    None
}

/// Set while rqtop's screen is up: a password command run then (`:ctx`) must not write on it.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, password commands' stderr is dropped instead of shown (rqtop's full screen).
pub fn quiet_commands(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// How long a password command may take: long enough for a person to unlock a secret store
/// (a pinentry prompt), short enough that a hung one is an error, not a frozen start.
pub const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `sh -c CMD` (stdin closed, stderr to the person unless quiet) and takes the first
/// line it prints. Its output is never repeated in an error.
fn run_command(cmd: &str) -> Result<String, String> {
    run_command_within(cmd, COMMAND_TIMEOUT)
}

/// `run_command` with a deadline: past it the command is killed and the answer is an error.
fn run_command_within(cmd: &str, timeout: std::time::Duration) -> Result<String, String> {
    use std::io::Read;
    let deadline = std::time::Instant::now() + timeout;
    let stderr = if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        std::process::Stdio::null()
    } else {
        std::process::Stdio::inherit()
    };
    let mut child = std::process::Command::new("sh")
        .args(["-c", cmd])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("password_command `{cmd}` could not start: {e}"))?;
    // At most 64 KiB: a command that prints without end (`yes`) is stopped, not buffered.
    // Read on a thread of its own, so that a command that prints nothing and never ends
    // (a hung secret store) meets the deadline; a child that outlives the command and keeps
    // the pipe open only keeps that thread.
    let limit = 64 << 10;
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.take(limit + 1).read_to_end(&mut bytes);
            let _ = tx.send(bytes);
        });
    }
    let late = || {
        format!(
            "password_command `{cmd}` did not finish within {} s; it was stopped",
            timeout.as_secs()
        )
    };
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let Ok(bytes) = rx.recv_timeout(left) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(late());
    };
    if bytes.len() as u64 > limit {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "password_command `{cmd}` printed more than {limit} bytes"
        ));
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(late());
            }
            Err(e) => return Err(format!("password_command `{cmd}`: {e}")),
        }
    };
    if !status.success() {
        return Err(format!("password_command `{cmd}` failed ({status})"));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("password_command `{cmd}` printed bytes that are not UTF-8"))?;
    Ok(first_line(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn one_source_at_most() {
        let f = PathBuf::from("/x");
        let e = "E".to_string();
        assert!(PasswordSource::one_of(Some(&f), Some(&e), None).is_err());
        assert_eq!(
            PasswordSource::one_of(None, Some(&e), None),
            Ok(Some(PasswordSource::Env("E".into())))
        );
        assert_eq!(PasswordSource::one_of(None, None, None), Ok(None));
    }

    #[test]
    fn reads_each_source_without_leaking_it() {
        let dir = std::env::temp_dir().join(format!("rqtop-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw");
        std::fs::write(&file, "s3cret-file\nnotes\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let s = PasswordSource::File(file.clone()).read(&no_env).unwrap();
        assert_eq!(s.password.expose(), "s3cret-file");
        let warning = s.warning.clone().unwrap();
        assert!(warning.contains("group or others") && !warning.contains("s3cret"));
        assert!(
            !format!("{s:?}").contains("s3cret"),
            "Debug shows the password"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(
                PasswordSource::File(file.clone())
                    .read(&no_env)
                    .unwrap()
                    .warning
                    .is_none()
            );
        }
        let env = |k: &str| (k == "PW").then(|| "s3cret-env".to_string());
        let s = PasswordSource::Env("PW".into()).read(&env).unwrap();
        assert_eq!(s.password.expose(), "s3cret-env");
        let err = PasswordSource::Env("NOPE".into()).read(&env).unwrap_err();
        assert_eq!(err, "password_env NOPE is not set");
        let s = PasswordSource::Command("printf 's3cret-cmd\\n'".into())
            .read(&no_env)
            .unwrap();
        assert_eq!(s.password.expose(), "s3cret-cmd");
        let err = PasswordSource::Command("printf 's3cret-%s' out; exit 3".into())
            .read(&no_env)
            .unwrap_err();
        assert!(
            err.contains("failed") && !err.contains("s3cret-out"),
            "{err}"
        );
        let err = PasswordSource::Command("yes".into())
            .read(&no_env)
            .unwrap_err();
        assert!(err.contains("more than"), "{err}");
        let err = PasswordSource::File(dir.join("missing"))
            .read(&no_env)
            .unwrap_err();
        assert!(err.starts_with("password_file "), "{err}");
        let err = PasswordSource::File("/dev/zero".into())
            .read(&no_env)
            .unwrap_err();
        assert!(err.contains("larger than"), "{err}");
        std::fs::write(&file, "\n").unwrap();
        assert!(
            PasswordSource::File(file)
                .read(&no_env)
                .unwrap_err()
                .contains("empty")
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_command_that_hangs_is_stopped_at_the_deadline() {
        let short = std::time::Duration::from_millis(300);
        for cmd in [
            "sleep 30",                            // prints nothing, never ends
            "printf 's3cret'; sleep 30",           // prints, keeps the pipe open
            "printf 's3cret'; exec >&-; sleep 30", // closes the pipe, never ends
        ] {
            let started = std::time::Instant::now();
            let err = run_command_within(cmd, short).unwrap_err();
            assert!(err.contains("did not finish within"), "{cmd}: {err}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{cmd}"
            );
        }
        assert_eq!(
            run_command_within("printf 'ok\\n'", short).as_deref(),
            Ok("ok")
        );
    }
}
