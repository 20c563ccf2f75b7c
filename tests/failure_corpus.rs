//! Signatures over a corpus of real tracebacks, collected from real RQ 1.16 and 2.12
//! workers by tests/interop/make_failures.py (files `rq<major>-<cause>-<n>.txt`): one
//! signature per cause whatever varies between its jobs, the same in both RQ versions,
//! and different causes apart.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};

use rqtop::rq::failures::{Source, signature};

/// The function each cause's jobs ran (make_failures.py).
fn function_of(cause: &str) -> &'static str {
    match cause {
        "zerodiv" => "failjobs.divide",
        "zerodiv-average" => "failjobs.average",
        "connection" => "failjobs.sync_cache",
        "keyerror" => "failjobs.lookup",
        "appexc" => "failjobs.charge",
        "timeout" => "failjobs.slow",
        "killed" => "failjobs.die",
        other => panic!("unknown cause {other}"),
    }
}

#[test]
fn one_signature_per_cause_in_both_rq_versions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tracebacks");
    let mut by_cause: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut versions: BTreeSet<String> = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (version, rest) = name.split_once('-').unwrap();
        let cause = rest.rsplit_once('-').unwrap().0.to_string();
        versions.insert(version.to_string());
        let text = std::fs::read_to_string(&path).unwrap();
        let sig = signature::of(Some(function_of(&cause)), Some(&text));
        by_cause.entry(cause).or_default().insert(sig.id.clone());
    }
    assert_eq!(versions, BTreeSet::from(["rq1".into(), "rq2".into()]));
    assert_eq!(by_cause.len(), 7, "{by_cause:?}");
    for (cause, ids) in &by_cause {
        assert_eq!(ids.len(), 1, "{cause} split into {ids:?}");
    }
    let all: BTreeSet<&String> = by_cause.values().flatten().collect();
    assert_eq!(all.len(), 7, "causes merged: {by_cause:?}");
}

#[test]
fn real_causes_read_as_a_person_would() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tracebacks");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let conn = signature::of(
        Some("failjobs.sync_cache"),
        Some(&read("rq2-connection-1.txt")),
    );
    assert_eq!(conn.source, Source::Traceback);
    assert_eq!(conn.exc_type, "redis.exceptions.ConnectionError");
    assert_eq!(
        conn.message,
        "Error <n> connecting to <host:port>. Connection refused."
    );
    // The innermost frame of the application, not redis-py's.
    assert_eq!(
        conn.frame.as_deref(),
        Some("interop/failjobs.py:sync_cache")
    );
    let key = signature::of(Some("failjobs.lookup"), Some(&read("rq1-keyerror-3.txt")));
    assert_eq!(key.error(), "KeyError: '<str>'");
    let timeout = signature::of(Some("failjobs.slow"), Some(&read("rq2-timeout-1.txt")));
    assert_eq!(
        timeout.error(),
        "rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (<n> seconds)"
    );
    assert_eq!(timeout.frame.as_deref(), Some("interop/failjobs.py:slow"));
    let killed = signature::of(Some("failjobs.die"), Some(&read("rq2-killed-0.txt")));
    assert_eq!(killed.source, Source::Text);
    assert_eq!(
        killed.error(),
        "Work-horse terminated unexpectedly; waitpid returned <n> (signal <n>);"
    );
    let app = signature::of(Some("failjobs.charge"), Some(&read("rq2-appexc-2.txt")));
    assert_eq!(app.exc_type, "failjobs.PaymentDeclined");
}

#[test]
fn bad_tracebacks_get_signatures_of_their_own() {
    let huge = "x".repeat(1024 * 1024);
    let binary =
        String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x80, 0x1b, b'[', b'2', b'J']).into_owned();
    let texts = [
        "",
        "   \n ",
        "garbage !@#$ no traceback here",
        huge.as_str(),
        binary.as_str(),
        "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n",
        "<html><body>502 Bad Gateway</body></html>",
    ];
    let ids: BTreeSet<String> = texts
        .iter()
        .map(|t| signature::of(Some("app.f"), Some(t)).id)
        .collect();
    // Empty and whitespace-only are one cause; every other text is its own.
    assert_eq!(ids.len(), texts.len() - 1);
    let sig = signature::of(Some("app.f"), Some(&huge));
    assert!(sig.message.len() <= 300);
}
