//! Text stored in Redis never drives the operator's terminal: escape sequences (window
//! title, OSC 52 clipboard, clear screen, C1 controls) and bidi overrides in every name and
//! field come out of rqctl as visible escapes, prompts included, while `--json` keeps the
//! exact values.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use redis::Commands;
use support::{RedisServer, Rq, rqctl, rqctl_json};

const TITLE: &str = "\x1b]0;pwned\x07";
const CLIPBOARD: &str = "\x1b]52;c;cm0gLXJmIH4=\x07";
const CLEAR: &str = "\x1b[2J\x1b[H";
const C1: &str = "\u{9b}31m";
const BIDI: &str = "\u{202e}gpj.exe";

/// No byte a terminal would act on: ESC, BEL, C1 controls, CR, bidi controls.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c as u32, 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069);
        assert!(!bad, "{what}: {:?} reached the terminal in:\n{text}", c);
    }
}

#[test]
fn names_and_fields_from_redis_are_shown_not_obeyed() {
    let server = RedisServer::start();
    let url = server.url();
    let queue = format!("evil{CLEAR}q");
    Rq::V2.script(
        &url,
        &format!(
            r#"
from rq import Queue
import labjobs
q = Queue({queue}, connection=r)
q.enqueue(labjobs.fail, 'x', job_id='hostile', description={desc})
q.enqueue(labjobs.add, 1, 2, job_id='plain')
"#,
            // JSON string literals are Python string literals too.
            queue = serde_json::to_string(&queue).unwrap(),
            desc = serde_json::to_string(&format!("{TITLE}{CLIPBOARD}{BIDI}")).unwrap()
        ),
    );
    let mut con = server.conn();
    // What a messy or hostile writer could leave: a worker, a traceback, meta, odd ids.
    let _: () = con
        .hset_multiple(
            "rq:worker:w\x1b[31mred",
            &[
                ("state", "busy"),
                ("queues", queue.as_str()),
                ("hostname", CLIPBOARD),
                ("birth", "2026-11-23T19:35:51.040728Z"),
                ("current_job", "hostile"),
            ],
        )
        .unwrap();
    let _: () = con.sadd("rq:workers", "rq:worker:w\x1b[31mred").unwrap();
    let _: () = con
        .hset(
            "rq:job:hostile",
            "exc_info",
            format!("Traceback:\n  boom {CLEAR}{C1}\nValueError: {BIDI}"),
        )
        .unwrap();
    let _: () = con.hset("rq:job:hostile", "status", "failed").unwrap();
    let _: () = con
        .zadd(format!("rq:failed:{queue}"), "hostile", 9_999_999_999_i64)
        .unwrap();
    let _: () = con
        .rpush(format!("rq:queue:{queue}"), format!("id{TITLE}"))
        .unwrap();

    for args in [
        vec!["info"],
        vec!["queues"],
        vec!["workers"],
        vec!["jobs", queue.as_str()],
        vec!["jobs", queue.as_str(), "--registry", "failed"],
        vec!["job", "hostile"],
        vec!["schedules"],
        vec!["empty", queue.as_str()],
        vec!["empty", "--all"],
        vec!["delete", "hostile"],
        vec!["requeue", "--all", "failed", "--dry-run"],
        vec!["compact", queue.as_str(), "--dry-run"],
        vec!["job", &format!("nope{TITLE}")],
    ] {
        let out = rqctl(&url, &args);
        assert_inert(&format!("{args:?} stdout"), &out.stdout);
        assert_inert(&format!("{args:?} stderr"), &out.stderr);
    }
    // They are shown, visibly.
    let job = rqctl(&url, &["job", "hostile"]);
    let text = String::from_utf8_lossy(&job.stdout);
    assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
    assert!(text.contains("\\u202egpj.exe"), "{text}");
    let prompt = rqctl(&url, &["empty", "--all"]);
    let prompt = String::from_utf8_lossy(&prompt.stderr);
    assert!(prompt.contains("evil\\x1b[2J\\x1b[Hq"), "{prompt}");

    // JSON stays exact.
    let doc = rqctl_json(&url, &["job", "hostile"]);
    assert_eq!(
        doc["description"].as_str().unwrap(),
        format!("{TITLE}{CLIPBOARD}{BIDI}"),
        "{doc}"
    );
    let info = rqctl_json(&url, &["info"]);
    let names: Vec<&str> = info["queues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["name"].as_str())
        .collect();
    assert!(names.contains(&queue.as_str()), "{names:?}");
}

#[test]
fn table_columns_line_up_after_escaping() {
    let mut t = rqtop::present::TextTable::new(&["NAME", ">N"]);
    t.row(vec!["a\x1bb".into(), "1".into()]);
    t.row(vec!["日本".into(), "22".into()]);
    let out = t.render();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1], "a\\x1bb   1");
    assert_eq!(lines[2], "日本    22");
}

/// A queue name typed as rqctl shows it (escapes and all) gets the exact shell-quoted form
/// back, and that form reaches the queue.
#[test]
fn an_escaped_name_typed_back_is_answered_with_its_quoted_form() {
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nQueue('evil\\x1b[31m', connection=r).enqueue(labjobs.add, 1, 1)",
    );
    let shown = rqctl(&url, &["queues"]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("evil\\x1b[31m"));
    let out = rqctl(&url, &["jobs", "evil\\x1b[31m"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$'evil\\x1b[31m'"), "{err}");
    // What bash makes of $'evil\x1b[31m' is the real name: the queue answers.
    let real = rqctl(&url, &["jobs", "evil\u{1b}[31m"]);
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    assert!(String::from_utf8_lossy(&real.stdout).contains("labjobs.add"));
}
