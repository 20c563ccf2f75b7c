//! Contexts end to end: a real redis-server that needs a password, a config file whose
//! contexts take it from a file, the environment or a command, and the real binaries. The
//! password never shows: not in output, errors, `--json`, `rqctl contexts`, rqtop's header,
//! nor in the processes' argument lists.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::tmux::Tmux;
use support::{RedisServer, text, wait_for};

const PW: &str = "s3cret-Pw-42";

struct Setup {
    server: RedisServer,
    dir: PathBuf,
    config: PathBuf,
}

fn setup() -> Setup {
    let server = RedisServer::start_with(&["--requirepass", PW]);
    let dir = std::env::temp_dir().join(format!("rqtop-ctx-{}", server.port));
    std::fs::create_dir_all(&dir).unwrap();
    let pw_file = dir.join("pw");
    std::fs::write(&pw_file, format!("{PW}\n")).unwrap();
    chmod(&pw_file, 0o600);
    let open_file = dir.join("open-pw");
    std::fs::write(&open_file, PW).unwrap();
    chmod(&open_file, 0o644);
    let url = format!("redis://127.0.0.1:{}/0", server.port);
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"default_context = "local"

[contexts.local]
url = "{url}"
password_file = "{pw}"
accent = "red"

[contexts.envpw]
url = "{url}"
password_env = "RQTEST_PW"

[contexts.cmdpw]
url = "{url}"
password_command = "printf '%s' '{PW}'"

[contexts.ro]
url = "{url}"
password_file = "{pw}"
read_only = true

[contexts.wrong]
url = "{url}"
password_env = "RQTEST_WRONG"

[contexts.openfile]
url = "{url}"
password_file = "{open}"
"#,
            pw = pw_file.display(),
            open = open_file.display(),
        ),
    )
    .unwrap();
    Setup {
        server,
        dir,
        config,
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// rqctl with only the environment given (no ambient Redis variables).
fn rqctl(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rqctl"));
    c.args(args)
        .env_remove("RQ_REDIS_URL")
        .env_remove("REDIS_URL")
        .env_remove("RQTOP_READ_ONLY")
        .env_remove("RQTOP_CONTEXT")
        .env_remove("RQTOP_CONFIG")
        .env_remove("REDISCLI_AUTH")
        .env_remove("RQ_KEY_PREFIX")
        .env("XDG_CONFIG_HOME", "/nonexistent-rqtop-test-config")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    c.output().unwrap()
}

fn no_secret(o: &Output) {
    let all = format!("{}{}", text(o), String::from_utf8_lossy(&o.stderr));
    assert!(!all.contains(PW), "the password was printed:\n{all}");
}

#[test]
fn every_password_source_connects_and_none_is_ever_shown() {
    let s = setup();
    let cfg = s.config.to_str().unwrap();
    // The default context (password from a file).
    let o = rqctl(&[], &["--config", cfg, "queues", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    no_secret(&o);
    // From the environment, named by flag.
    let o = rqctl(
        &[("RQTEST_PW", PW)],
        &["--config", cfg, "-c", "envpw", "workers"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    no_secret(&o);
    // From a command, named by RQTOP_CONTEXT, the file by RQTOP_CONFIG.
    let o = rqctl(
        &[("RQTOP_CONTEXT", "cmdpw"), ("RQTOP_CONFIG", cfg)],
        &["info", "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    no_secret(&o);
    // REDISCLI_AUTH with a URL that holds no password, as redis-cli does.
    let url = format!("redis://127.0.0.1:{}/0", s.server.port);
    let o = rqctl(&[("REDISCLI_AUTH", PW)], &["--url", &url, "queues"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A wrong password: an authentication error that shows neither password.
    let o = rqctl(
        &[("RQTEST_WRONG", "wr0ng-Pw-99")],
        &["--config", cfg, "-c", "wrong", "queues", "--json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("authentication"), "{err}");
    assert!(
        !err.contains("wr0ng") && !text(&o).contains("wr0ng"),
        "{err}"
    );
    no_secret(&o);
    // A password source that fails names the source, not a password.
    let o = rqctl(&[], &["--config", cfg, "-c", "envpw", "queues"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("password_env RQTEST_PW is not set"), "{err}");
}

#[test]
fn a_password_file_open_to_others_gets_a_warning() {
    let s = setup();
    let o = rqctl(
        &[],
        &[
            "--config",
            s.config.to_str().unwrap(),
            "-c",
            "openfile",
            "queues",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("can be read by group or others"), "{err}");
    no_secret(&o);
}

#[test]
fn contexts_lists_targets_and_sources_never_passwords() {
    let s = setup();
    let cfg = s.config.to_str().unwrap();
    let o = rqctl(&[], &["--config", cfg, "contexts"]);
    assert!(o.status.success());
    no_secret(&o);
    let out = text(&o);
    let local = out.lines().find(|l| l.contains(" local ")).unwrap();
    assert!(local.starts_with('*') && local.contains("file"), "{out}");
    let ro = out.lines().find(|l| l.contains(" ro ")).unwrap();
    assert!(ro.trim_end().ends_with("yes"), "{out}");
    let o = rqctl(&[], &["--config", cfg, "contexts", "--json"]);
    no_secret(&o);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["default"], "local");
    let by_name = |n: &str| {
        doc["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("cmdpw")["password_source"], "command");
    assert_eq!(by_name("envpw")["password_source"], "env");
    assert_eq!(by_name("ro")["read_only"], true);
    assert_eq!(by_name("local")["accent"], "red");
    // A password written into a URL is hidden too.
    let inline = s.dir.join("inline.toml");
    std::fs::write(
        &inline,
        format!("[contexts.x]\nurl = \"redis://:{PW}@h:6379/0\"\n"),
    )
    .unwrap();
    let o = rqctl(
        &[],
        &["--config", inline.to_str().unwrap(), "contexts", "--json"],
    );
    no_secret(&o);
    assert!(text(&o).contains("redis://:***@h:6379/0"), "{}", text(&o));
}

#[test]
fn a_read_only_context_refuses_writes_whatever_the_flags_say() {
    let s = setup();
    let cfg = s.config.to_str().unwrap();
    for env in [&[][..], &[("RQTOP_READ_ONLY", "0")][..]] {
        let o = rqctl(
            env,
            &["--config", cfg, "-c", "ro", "empty", "default", "--yes"],
        );
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("context ro is read-only"), "{err}");
    }
    // Reads still work through it.
    let o = rqctl(&[], &["--config", cfg, "-c", "ro", "queues"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn config_errors_are_usage_errors_with_file_line_and_column() {
    let s = setup();
    let bad = s.dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[contexts.a]\nurl = \"redis://x\"\npasword_file = \"/p\"\n",
    )
    .unwrap();
    let o = rqctl(
        &[],
        &["--config", bad.to_str().unwrap(), "queues", "--json"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{}:3:1", bad.display())), "{err}");
    assert!(err.contains("unknown field `pasword_file`"), "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    let o = rqctl(
        &[],
        &[
            "--config",
            s.config.to_str().unwrap(),
            "-c",
            "prod",
            "queues",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no context \"prod\"") && err.contains("known: cmdpw, envpw, local"),
        "{err}"
    );
    let o = rqctl(&[], &["--config", "/nonexistent/rq.toml", "queues"]);
    assert_eq!(o.status.code(), Some(2));
}

/// rqtop in tmux on a context whose password is in a file: the header names the context,
/// and neither the screen nor the process's arguments hold the password.
#[test]
fn rqtop_shows_the_context_and_keeps_the_password_off_argv() {
    let s = setup();
    let socket = format!("rqtop-ctx-{}", s.server.port);
    let cmd = format!(
        "env -u REDIS_URL -u RQ_REDIS_URL -u REDISCLI_AUTH {} --config {} -c ro",
        env!("CARGO_BIN_EXE_rqtop"),
        s.config.display()
    );
    let tmux = Tmux::start(&socket, 80, 24, &cmd);
    let screen = wait_for(Duration::from_secs(15), || {
        let sc = tmux.screen();
        (sc.contains("polling") || sc.contains("live")).then_some(sc)
    });
    let screen = screen.unwrap_or_else(|| tmux.screen());
    let pids = rqtop_pids(&s.config);
    tmux.kill();
    let head = screen.lines().next().unwrap_or_default();
    assert!(
        head.contains("ctx ro") && head.contains("read-only"),
        "{screen}"
    );
    assert!(!screen.contains(PW), "{screen}");
    assert!(!pids.is_empty(), "rqtop's process was not found");
    for (pid, argv) in pids {
        assert!(
            !argv.contains(PW),
            "/proc/{pid}/cmdline holds the password: {argv}"
        );
    }
}

/// The rqtop processes started with this config file, and their argument lists.
fn rqtop_pids(config: &Path) -> Vec<(u32, String)> {
    let want = config.to_string_lossy().into_owned();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let argv = String::from_utf8_lossy(&raw).replace('\0', " ");
        if argv.contains(&want) && argv.contains("rqtop ") && !argv.contains("tmux") {
            out.push((pid, argv));
        }
    }
    out
}

/// `:ctx NAME` in the real rqtop: it reconnects to the other context's server (with that
/// context's password and read-only state) and shows only its data; an unknown context is a
/// message, and rqtop keeps running.
#[test]
fn rqtop_switches_context_from_the_command_bar() {
    let s = setup();
    let other = RedisServer::start();
    let mut c = other.conn();
    let _: () = redis::cmd("SADD")
        .arg("rq:queues")
        .arg("rq:queue:beta")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("RPUSH")
        .arg("rq:queue:beta")
        .arg("j1")
        .query(&mut c)
        .unwrap();
    let mut a = s.server.conn();
    let _: () = redis::cmd("AUTH").arg(PW).query(&mut a).unwrap();
    let _: () = redis::cmd("SADD")
        .arg("rq:queues")
        .arg("rq:queue:alpha")
        .query(&mut a)
        .unwrap();
    let config = s.dir.join("two.toml");
    std::fs::write(
        &config,
        format!(
            "default_context = \"a\"\n[contexts.a]\nurl = \"redis://127.0.0.1:{}/0\"\npassword_env = \"RQTEST_PW\"\n\
             [contexts.b]\nurl = \"redis://127.0.0.1:{}/0\"\nread_only = true\naccent = \"red\"\n",
            s.server.port, other.port
        ),
    )
    .unwrap();
    let socket = format!("rqtop-ctxsw-{}", s.server.port);
    let cmd = format!(
        "env -u REDIS_URL -u RQ_REDIS_URL -u REDISCLI_AUTH RQTEST_PW={PW} {} --config {}",
        env!("CARGO_BIN_EXE_rqtop"),
        config.display()
    );
    let tmux = Tmux::start(&socket, 80, 24, &cmd);
    tmux.wait_screen("context a", |sc: &str| {
        sc.contains("ctx a") && sc.contains("│alpha")
    });
    tmux.run(&["send-keys", "-t", "t", ":ctx nope", "Enter"]);
    tmux.wait_screen("the unknown-context message", |sc: &str| {
        sc.contains("no context nope (known: a, b)")
    });
    tmux.run(&["send-keys", "-t", "t", ":ctx b", "Enter"]);
    let sc = tmux.wait_screen("context b", |sc: &str| {
        sc.contains("ctx b") && sc.contains("│beta")
    });
    tmux.kill();
    let head = sc.lines().next().unwrap_or_default();
    assert!(head.contains("read-only"), "{sc}");
    assert!(head.contains(&other.port.to_string()), "{sc}");
    assert!(
        !sc.contains("│alpha"),
        "the old server's rows stayed:\n{sc}"
    );
    assert!(!sc.contains(PW), "{sc}");
}
