//! Connecting: clear one-line errors, exit code 1, and passwords never shown.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use support::{RedisServer, rqctl, rqctl_json};

#[test]
fn server_down_is_one_clear_line() {
    let mut server = RedisServer::start();
    let url = server.url();
    server.kill();
    let out = rqctl(&url, &["info"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("rqctl: error: cannot connect to redis://127.0.0.1:"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn wrong_password_is_reported_without_the_password() {
    let server = RedisServer::start_with(&["--requirepass", "right-one"]);
    let url = format!("redis://:wrong-one@127.0.0.1:{}/0", server.port);
    let out = rqctl(&url, &["info"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("authentication"), "{err}");
    assert!(!err.contains("wrong-one"), "password leaked: {err}");
    assert!(err.contains(":***@"), "{err}");
}

#[test]
fn password_hidden_in_json() {
    let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
    let url = format!("redis://:s3cret@127.0.0.1:{}/0", server.port);
    let info = rqctl_json(&url, &["info"]);
    let shown = info["redis"]["url"].as_str().unwrap();
    assert_eq!(shown, format!("redis://:***@127.0.0.1:{}/0", server.port));
    assert!(!info.to_string().contains("s3cret"));
}

#[test]
fn refused_config_is_unknown_not_an_error() {
    let server = RedisServer::start_with(&["--rename-command", "CONFIG", "\"\""]);
    let info = rqctl_json(&server.url(), &["info"]);
    assert_eq!(info["redis"]["keyspace_events"]["state"], "unknown");
    assert!(info["redis"]["version"].is_string());
    assert_eq!(info["suspended"], false);
}

#[test]
fn notifications_reported() {
    let on = RedisServer::start();
    assert_eq!(
        rqctl_json(&on.url(), &["info"])["redis"]["keyspace_events"]["state"],
        "on"
    );
    let off = RedisServer::start_plain();
    assert_eq!(
        rqctl_json(&off.url(), &["info"])["redis"]["keyspace_events"]["state"],
        "off"
    );
}

#[test]
fn url_from_environment_and_usage_errors() {
    let server = RedisServer::start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["info", "--json"])
        .env_remove("REDIS_URL")
        .env("RQ_REDIS_URL", server.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let usage = rqctl(&server.url(), &["jobs"]);
    assert_eq!(usage.status.code(), Some(2));
    let bad_registry = rqctl(&server.url(), &["jobs", "q", "--registry", "nope"]);
    assert_eq!(bad_registry.status.code(), Some(2));
}

#[test]
fn completions_need_no_server() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", "redis://127.0.0.1:1/0", "completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("rqctl") && script.contains("requeue"),
        "{script}"
    );
}

#[test]
fn typos_in_queue_names_are_errors_and_json_errors_are_documents() {
    let server = RedisServer::start();
    let url = server.url();
    for args in [
        vec!["jobs", "nosuchq"],
        vec!["empty", "nosuchq", "--yes"],
        vec!["requeue", "--all", "failed", "--queue", "nosuchq"],
        vec!["compact", "nosuchq"],
    ] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("no such queue: nosuchq"),
            "{args:?}"
        );
    }
    let out = rqctl(&url, &["job", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"], "no such job: nope");
}

/// Generated passwords hold `/`, `@`, `?`, `#` and `%`: whatever the URL looks like, and
/// whether it parses or not, the password appears nowhere (text, `--json`, rqtop).
#[test]
fn passwords_with_url_delimiters_never_printed() {
    for pw in ["s3cr/et9", "p@ss/w0rd", "a?b#c/d", "x%2Fy/z@"] {
        let url = format!("redis://app:{pw}@127.0.0.1:1/0");
        for args in [vec!["info"], vec!["info", "--json"]] {
            let out = rqctl(&url, &args);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.contains(pw), "{url} {args:?}: {all}");
            assert!(all.contains("app:***@"), "{url} {args:?}: {all}");
        }
        let top = std::process::Command::new(env!("CARGO_BIN_EXE_rqtop"))
            .args(["--url", &url])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&top.stdout),
            String::from_utf8_lossy(&top.stderr)
        );
        assert!(!all.contains(pw), "rqtop {url}: {all}");
    }
}

/// A URL without a scheme is a usage error that shows what a URL looks like; a server that
/// is not Redis (HTTP, silent) or plain Redis asked for TLS is named for what it is.
#[test]
fn connection_errors_say_what_the_other_side_seems_to_be() {
    let out = rqctl("127.0.0.1:6380", &["info"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("redis://[user:password@]host")
            && err.contains("did you mean redis://127.0.0.1:6380"),
        "{err}"
    );

    // An HTTP server and a silent one, on loopback.
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http_port = http.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in http.incoming().flatten() {
            let mut conn = conn;
            let _ = std::io::Write::write_all(
                &mut conn,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming().flatten() {
            held.push(conn); // accepted, never answered
        }
    });
    let cases = [
        (
            format!("redis://127.0.0.1:{http_port}/0"),
            "is an HTTP server, not Redis",
        ),
        (
            format!("redis://127.0.0.1:{silent_port}/0"),
            "answered nothing",
        ),
    ];
    for (url, expect) in cases {
        let out = rqctl(
            &url,
            &["--connect-timeout", "1s", "--timeout", "1s", "info"],
        );
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains(expect), "{url}: {err}");
    }
    let server = RedisServer::start();
    let url = format!("rediss://127.0.0.1:{}/0", server.port);
    let out = rqctl(&url, &["--connect-timeout", "1s", "info"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("speaks plain Redis, not TLS: use redis://"),
        "{err}"
    );
}

/// A server that needs a password, asked without one, is an authentication error on every
/// command (exit 1), never an empty server.
#[test]
fn a_missing_password_is_an_error_not_an_empty_server() {
    let server = RedisServer::start_with(&["--requirepass", "s3cret"]);
    let url = format!("redis://127.0.0.1:{}/0", server.port);
    for args in [
        vec!["info"],
        vec!["schedules"],
        vec!["ratelimits"],
        vec!["workers", "--json"],
    ] {
        let out = rqctl(&url, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("needs a password"), "{args:?}: {err}");
    }
}
