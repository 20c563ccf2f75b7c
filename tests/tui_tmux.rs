//! End to end: the real rqtop binary in tmux at 80x24 against a real redis-server, while
//! real RQ enqueues jobs. Start, see counts, see them change, open help, quit cleanly.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::Duration;

use support::tmux::Tmux;
use support::{RedisServer, Rq, wait_for};

fn row_count(screen: &str, queue: &str) -> Option<String> {
    let row = screen
        .lines()
        .find(|l| l.starts_with(&format!("│{queue} ")))?;
    row.trim_start_matches('│')
        .split_whitespace()
        .nth(1)
        .map(str::to_string)
}

#[test]
fn rqtop_in_tmux_follows_real_rq() {
    let server = RedisServer::start();
    let url = server.url();
    let enqueue = |n: usize| {
        Rq::V2.script(&url, &format!("from rq import Queue\nimport labjobs\nq = Queue('default', connection=r)\nfor i in range({n}):\n    q.enqueue(labjobs.add, i, i)"));
    };
    enqueue(3);
    let dir = std::env::temp_dir().join(format!("rqtop-tmux-{}", server.port));
    std::fs::create_dir_all(&dir).unwrap();
    let exit_file = dir.join("exit");
    let cmd = format!(
        "{} --url {url}; echo EXIT=$? > {}",
        env!("CARGO_BIN_EXE_rqtop"),
        exit_file.display()
    );
    let tmux = Tmux::start(&format!("rqtop-test-{}", server.port), 80, 24, &cmd);
    tmux.run(&["set-option", "-t", "t", "remain-on-exit", "on"]);

    let s = tmux.wait_screen("3 queued", |s| {
        row_count(s, "default").as_deref() == Some("3")
    });
    assert!(s.contains("1 Queues") && s.contains("? help"), "{s}");
    enqueue(2);
    tmux.wait_screen("5 queued", |s| {
        row_count(s, "default").as_deref() == Some("5")
    });

    tmux.run(&["send-keys", "-t", "t", "?"]);
    tmux.wait_screen("help", |s| {
        s.contains("Keys (Esc closes") && s.contains("Quit (also Ctrl-C)")
    });
    tmux.run(&["send-keys", "-t", "t", "Escape"]);
    tmux.wait_screen("help closed", |s| !s.contains("Keys (Esc closes"));
    tmux.run(&["send-keys", "-t", "t", "q"]);
    // The shell creates the file before it writes to it: wait for the line itself.
    let code = wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&exit_file)
            .ok()
            .filter(|s| s.ends_with('\n'))
    })
    .expect("rqtop exits");
    assert_eq!(code.trim(), "EXIT=0");
    // The alternate screen is gone: nothing of the UI is left on the normal screen.
    let after = tmux.screen();
    assert!(
        !after.contains("Queues") && !after.contains("rqtop │"),
        "UI left behind:\n{after}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_terminal_ends_rqtop_demo_and_its_server() {
    support::ensure_test_env();
    let socket = format!("rqtop-demo-test-{}", std::process::id());
    let code_file = std::env::temp_dir().join(format!("rqtop-demo-exit-{}", std::process::id()));
    let _ = std::fs::remove_file(&code_file);
    // The shell ignores SIGHUP so that it can record rqtop's exit code; rqtop installs its
    // own handler. stderr stays on the pty, which dies under rqtop.
    let cmd = format!(
        "trap '' HUP; {} --demo; echo $? > {}",
        env!("CARGO_BIN_EXE_rqtop"),
        code_file.display()
    );
    let tmux = Tmux::start(&socket, 80, 24, &cmd);
    let s = tmux.wait_screen("the demo", |s| s.contains("● live") && s.contains("low"));
    let port = s
        .lines()
        .next()
        .and_then(|l| l.split("127.0.0.1:").nth(1))
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse::<u16>().ok())
        .expect("demo port in the header");
    // Closing the terminal (SSH gone) sends SIGHUP and kills the pty under rqtop.
    tmux.run(&["kill-server"]);
    let gone = wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .is_err()
            .then_some(())
    });
    assert!(
        gone.is_some(),
        "the demo's redis-server on {port} outlived rqtop"
    );
    let code = wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&code_file)
            .ok()
            .filter(|s| !s.trim().is_empty())
    })
    .expect("rqtop's exit code");
    assert_eq!(
        code.trim(),
        "0",
        "rqtop must end cleanly, not panic, when its terminal goes"
    );
    let _ = std::fs::remove_file(&code_file);
}

/// Widening the terminal and quitting leaves no trace of the last frame on the normal
/// screen or in its history (tmux carries a full alternate screen over on a resize).
#[test]
fn quitting_after_a_resize_leaves_the_normal_screen_clean() {
    let server = RedisServer::start();
    support::ensure_test_env();
    let socket = format!("rqtop-resize-test-{}", std::process::id());
    let tmux = Tmux::start(&socket, 80, 24, "bash --norc");
    let cmd = format!(
        "clear; {} --url {}; echo rqtop-ended",
        env!("CARGO_BIN_EXE_rqtop"),
        server.url()
    );
    tmux.run(&["send-keys", "-t", "t", &cmd, "Enter"]);
    tmux.wait_screen("rqtop", |s| s.contains("● live"));
    tmux.run(&["resize-window", "-t", "t", "-x", "110", "-y", "32"]);
    tmux.wait_screen("the wider frame", |s| {
        s.lines()
            .any(|l| l.chars().count() >= 110 && l.starts_with('┌'))
    });
    tmux.run(&["send-keys", "-t", "t", "q"]);
    tmux.wait_screen("the shell", |s| s.contains("rqtop-ended"));
    let all = tmux.run(&["capture-pane", "-p", "-S", "-200", "-t", "t"]);
    assert!(
        !all.contains('│') && !all.contains('┌'),
        "a frame leaked onto the normal screen:\n{all}"
    );
}
