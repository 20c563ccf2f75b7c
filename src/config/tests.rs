//! Parsing (good, bad, unknown keys, missing file) and precedence.

#[cfg(test)] // the whole file is the test module (declared under #[cfg(test)])
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const GOOD: &str = r##"
default_context = "staging"

[contexts.staging]
url = "redis://staging.internal:6379/1"
password_env = "STAGING_PW"
interval = "5s"
queues = ["default", "high"]
accent = "green"

[contexts.prod]
url = "rediss://prod.internal:6380/0"
username = "rqtop"
password_command = "printf 's3cret-prod'"
read_only = true
accent = "#cc0000"
prefix = "myapp"
timeout = "30s"

[contexts.prod-ha]
tls = true
[contexts.prod-ha.sentinel]
hosts = ["10.0.0.1:26379", "10.0.0.2:26379"]
master = "mymaster"
db = 2
password_env = "SENTINEL_PW"
"##;

fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
    ConfigFile::parse(Path::new("/etc/rq.toml"), text)
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn run(flags: &Flags, env: &[(&str, &str)]) -> Result<Resolved, ConfigError> {
    let file = parse(GOOD).unwrap();
    resolve(flags, &env_of(env), Some(Path::new("/etc/rq.toml")), &file)
}

#[test]
fn good_file_parses() {
    let f = parse(GOOD).unwrap();
    assert_eq!(f.names(), ["prod", "prod-ha", "staging"]);
    assert_eq!(f.default_name(), Some("staging"));
    let s = &f.contexts["staging"];
    assert_eq!(s.interval, Some(Duration::from_secs(5)));
    assert_eq!(s.queues, ["default", "high"]);
    assert!(f.contexts["prod"].read_only);
    assert_eq!(f.contexts["prod-ha"].sentinel.as_ref().unwrap().db, 2);
    // Empty file: no contexts, no default; a context called `default` is the default.
    assert!(parse("").unwrap().default_name().is_none());
    let d = parse("[contexts.default]\nurl = \"redis://x\"\n").unwrap();
    assert_eq!(d.default_name(), Some("default"));
}

#[test]
fn errors_name_file_line_and_column() {
    let e = parse("[contexts.a]\nurl = \"redis://x\"\nurll = \"y\"\n").unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("config file /etc/rq.toml:3:1: "), "{msg}");
    assert!(msg.contains("unknown field `urll`"), "{msg}");
    let e = parse("[contexts.a]\ninterval = \"soon\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("config file /etc/rq.toml:2:12: "), "{e}");
    assert!(e.contains("not a duration"), "{e}");
    let e = parse("[contexts.a]\naccent = \"blurple\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:") && e.contains("unknown colour"), "{e}");
    let e = parse("[contexts.a]\nprefix = \"a b\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:"), "{e}");
    let e = parse("[contexts.a\nurl = 1").unwrap_err().to_string();
    assert!(e.contains("/etc/rq.toml:1:"), "{e}");
    let e = parse("colour = 1").unwrap_err().to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = parse("[contexts.a]\npassword_env = \"A\"\npassword_file = \"/b\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("context \"a\"") && e.contains("only one"), "{e}");
    let e = parse("default_context = \"nope\"\n[contexts.a]\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no context \"nope\"") && e.contains("known: a"),
        "{e}"
    );
    // Garbage never panics.
    for junk in [
        "\u{0}\u{1b}[2J",
        "[[[",
        "contexts = 3",
        "=",
        "\u{feff}x = 1",
    ] {
        assert!(parse(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn missing_files() {
    let env = env_of(&[("HOME", "/nonexistent-home")]);
    // The default place missing: no config at all.
    let (path, file) = load(None, &env).unwrap();
    assert_eq!(
        path,
        Some(PathBuf::from("/nonexistent-home/.config/rqtop/config.toml"))
    );
    assert!(file.contexts.is_empty());
    // A file that was named must exist.
    let e = load(Some(Path::new("/nonexistent/x.toml")), &env).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config file /nonexistent/x.toml: "),
        "{e}"
    );
    // Not a config file at all: an error, never a hang.
    let e = load(Some(Path::new("/dev/zero")), &env)
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than"), "{e}");
    // XDG_CONFIG_HOME wins over HOME; a relative one is ignored.
    let env = env_of(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/xdg")]);
    assert_eq!(
        config_path(None, &env),
        Some((PathBuf::from("/xdg/rqtop/config.toml"), false))
    );
    let env = env_of(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")]);
    assert_eq!(
        config_path(None, &env),
        Some((PathBuf::from("/h/.config/rqtop/config.toml"), false))
    );
}

#[test]
fn unknown_context_lists_the_known_ones() {
    let flags = Flags {
        context: Some("prdo".into()),
        ..Flags::default()
    };
    let e = run(&flags, &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "no context \"prdo\" in /etc/rq.toml (known: prod, prod-ha, staging)"
    );
}

#[test]
fn precedence_flag_then_environment_then_context_then_default() {
    // The default context, with its password from the environment.
    let r = run(&Flags::default(), &[("STAGING_PW", "s3cret-env")]).unwrap();
    assert_eq!(r.context.as_deref(), Some("staging"));
    assert_eq!(r.connect.url, "redis://staging.internal:6379/1");
    assert_eq!(r.connect.password.as_ref().unwrap().expose(), "s3cret-env");
    assert_eq!(r.interval, Duration::from_secs(5));
    assert_eq!(r.connect.response_timeout, Duration::from_secs(10));
    assert_eq!(r.accent.as_deref(), Some("green"));
    assert!(!r.read_only);
    // A named context; its settings beat the defaults.
    let prod = Flags {
        context: Some("prod".into()),
        ..Flags::default()
    };
    let r = run(&prod, &[]).unwrap();
    assert_eq!(r.connect.password.as_ref().unwrap().expose(), "s3cret-prod");
    assert_eq!(r.connect.username.as_deref(), Some("rqtop"));
    assert_eq!(r.connect.keys.prefix(), "myapp");
    assert_eq!(r.connect.response_timeout, Duration::from_secs(30));
    assert_eq!(r.interval, Duration::from_secs(2));
    assert!(r.read_only && r.read_only_by_context);
    // The environment beats the context: REDISCLI_AUTH, and a URL (with a warning), whose
    // server never gets the context's password.
    let r = run(&prod, &[("REDISCLI_AUTH", "from-env")]).unwrap();
    assert_eq!(r.connect.password.as_ref().unwrap().expose(), "from-env");
    let r = run(&prod, &[("REDIS_URL", "redis://other:6379/0")]).unwrap();
    assert_eq!(r.connect.url, "redis://other:6379/0");
    assert!(
        r.connect.password.is_none(),
        "the context's password went elsewhere"
    );
    assert!(r.warnings[0].contains("REDIS_URL"), "{:?}", r.warnings);
    // Flags beat both; a URL's own password beats REDISCLI_AUTH.
    let flags = Flags {
        context: Some("prod".into()),
        url: Some("redis://:inurl@flag:1/0".into()),
        prefix: Some(crate::rq::keys::Keys::new("flagp").unwrap()),
        timeout: Some(Duration::from_secs(1)),
        interval: Some(Duration::from_millis(500)),
        ..Flags::default()
    };
    let r = run(
        &flags,
        &[("REDIS_URL", "redis://env/0"), ("REDISCLI_AUTH", "x")],
    )
    .unwrap();
    assert_eq!(r.connect.url, "redis://:inurl@flag:1/0");
    assert!(r.connect.password.is_none());
    assert_eq!(r.connect.keys.prefix(), "flagp");
    assert_eq!(r.connect.response_timeout, Duration::from_secs(1));
    assert_eq!(r.interval, Duration::from_millis(500));
    // A URL alone (flag or environment) leaves the default context out entirely.
    let flags = Flags {
        url: Some("redis://elsewhere:6379/0".into()),
        ..Flags::default()
    };
    let r = run(&flags, &[("STAGING_PW", "x")]).unwrap();
    assert!(r.context.is_none() && r.queues.is_empty() && r.accent.is_none());
    let r = run(&Flags::default(), &[("REDIS_URL", "redis://e/0")]).unwrap();
    assert!(r.context.is_none() && r.warnings.is_empty());
    // No config and nothing set: the built-in default.
    let r = resolve(
        &Flags::default(),
        &env_of(&[]),
        None,
        &ConfigFile::default(),
    )
    .unwrap();
    assert_eq!(r.connect.url, crate::rq::ConnectOptions::DEFAULT_URL);
    assert!(r.context.is_none() && r.connect.password.is_none());
}

#[test]
fn a_read_only_context_stays_read_only() {
    let flags = Flags {
        context: Some("prod".into()),
        read_only: false,
        ..Flags::default()
    };
    assert!(run(&flags, &[("RQTOP_READ_ONLY", "0")]).unwrap().read_only);
    // The flag can add read-only to a writable context.
    let flags = Flags {
        read_only: true,
        ..Flags::default()
    };
    let r = run(&flags, &[("STAGING_PW", "x")]).unwrap();
    assert!(r.read_only && !r.read_only_by_context);
}

#[test]
fn sentinel_contexts_carry_both_credentials() {
    let flags = Flags {
        context: Some("prod-ha".into()),
        ..Flags::default()
    };
    let r = run(&flags, &[("SENTINEL_PW", "s3cret-sentinel")]).unwrap();
    assert_eq!(
        r.connect.url,
        "rediss+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/2"
    );
    assert_eq!(
        r.connect.sentinel.password.as_ref().unwrap().expose(),
        "s3cret-sentinel"
    );
    assert!(r.connect.password.is_none());
    assert!(
        !format!("{r:?}").contains("s3cret"),
        "Debug shows a password"
    );
    let e = run(&flags, &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "context \"prod-ha\": password_env SENTINEL_PW is not set"
    );
}
