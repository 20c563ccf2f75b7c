//! Scale and memory: tables read a bounded prefix of each job, dry runs stream, oversized
//! tracebacks are named as such. The memory bounds are peak RSS of one rqctl run.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use redis::Commands;
use rqtop::demo::jobs::zlib;
use rqtop::demo::pickle_out::{self, s};
use rqtop::rq::pickle::PyValue;
use support::{RedisServer, rqctl_json};

/// Runs rqctl under GNU time and returns its output and peak RSS in MiB.
fn rqctl_peak_rss(url: &str, args: &[&str]) -> (Output, f64) {
    let report = tempfile_path("rss");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_rqctl"))
        .args(["--url", url])
        .args(args)
        .env_remove("RQ_REDIS_URL")
        .env_remove("REDIS_URL")
        .stdin(Stdio::null())
        .output()
        .expect("/usr/bin/time (GNU time) is needed to measure peak RSS");
    let kb: f64 = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .expect("time printed the peak RSS");
    let _ = std::fs::remove_file(&report);
    (out, kb / 1024.0)
}

fn tempfile_path(tag: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("rqtop-scale-{}-{tag}-{n}", std::process::id()))
}

/// `data` as RQ 2.x writes it: zlib(pickle protocol 5 of (func, None, args, {})).
fn data(func: &str, args: Vec<PyValue>) -> Vec<u8> {
    zlib(
        &pickle_out::dumps(&PyValue::Tuple(vec![
            s(func),
            PyValue::None,
            PyValue::Tuple(args),
            PyValue::Dict(Vec::new()),
        ]))
        .unwrap(),
    )
}

fn noise(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed & 0xff) as u8
        })
        .collect()
}

/// A 2 MB traceback of a deep recursion, as Python prints it (compresses well).
fn recursion_traceback(last: &str) -> String {
    let frame = "  File \"/srv/app/tasks.py\", line 12, in walk\n    return walk(node.child)\n";
    let mut tb = String::from("Traceback (most recent call last):\n");
    while tb.len() < 2_000_000 {
        tb.push_str(frame);
    }
    tb.push_str(last);
    tb.push('\n');
    tb
}

fn b64(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn failed_job(c: &mut redis::Connection, queue: &str, id: &str, fields: &[(&str, Vec<u8>)]) {
    let key = format!("rq:job:{id}");
    let mut cmd = redis::cmd("HSET");
    cmd.arg(&key)
        .arg("status")
        .arg("failed")
        .arg("origin")
        .arg(queue)
        .arg("created_at")
        .arg("2026-01-02T03:04:05.000000Z")
        .arg("ended_at")
        .arg("2026-01-02T03:04:06.000000Z");
    for (f, v) in fields {
        cmd.arg(*f).arg(v.as_slice());
    }
    cmd.exec(c).unwrap();
    let _: () = c.zadd(format!("rq:failed:{queue}"), id, 4.0e9).unwrap();
    let _: () = c.sadd("rq:queues", format!("rq:queue:{queue}")).unwrap();
}

fn result_entry(c: &mut redis::Connection, id: &str, exc_string: &str) {
    redis::cmd("XADD")
        .arg(format!("rq:results:{id}"))
        .arg("*")
        .arg("type")
        .arg("2")
        .arg("worker_name")
        .arg("w1")
        .arg("exc_string")
        .arg(exc_string)
        .exec(c)
        .unwrap();
}

fn row<'a>(page: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from the page"))
}

/// A user with rq-data-model.md 6.6's read-only rqtop rights: no EVAL, HSTRLEN or MEMORY,
/// so rows are read without the script.
fn viewer(server: &RedisServer) -> String {
    let mut c = server.conn();
    let rights = "+select +ping +info +scan +type +exists +ttl +pttl +get +llen +lrange +lpos \
        +smembers +scard +sismember +zcard +zrange +zrangebyscore +zrevrange +zscore +zcount \
        +hgetall +hget +hmget +hexists +xrange +xrevrange +xlen +hello";
    redis::cmd("ACL")
        .arg(&["SETUSER", "viewer", "on", ">pw", "~rq:*", "resetchannels"])
        .arg(rights.split_whitespace().collect::<Vec<_>>())
        .exec(&mut c)
        .unwrap();
    format!("redis://viewer:pw@127.0.0.1:{}/0", server.port)
}

#[test]
fn a_page_of_huge_failed_jobs_is_read_in_bounded_memory() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let description = format!("process({})", "a".repeat(2_000_000));
    let random_tb = {
        let mut tb = b64(&noise(&mut seed, 1_500_000));
        tb.push_str("\nValueError: random tail\n");
        zlib(tb.as_bytes())
    };
    for i in 0..200 {
        let id = format!("big-{i:03}");
        // Every tenth job carries 500 KB of incompressible arguments: its function still shows.
        let args = if i % 10 == 2 {
            vec![PyValue::Bytes(noise(&mut seed, 500_000))]
        } else {
            vec![PyValue::Int(i)]
        };
        let mut fields = vec![
            ("description", description.clone().into_bytes()),
            ("data", data("labjobs.process", args)),
        ];
        if i % 10 == 1 {
            // RQ 1.x kept the traceback in the hash.
            fields.push((
                "exc_info",
                zlib(recursion_traceback(&format!("RecursionError: legacy {i}")).as_bytes()),
            ));
        }
        failed_job(&mut c, "big", &id, &fields);
        match i % 10 {
            0 => result_entry(&mut c, &id, &b64(&random_tb)),
            1 => {}
            _ => result_entry(
                &mut c,
                &id,
                &b64(&zlib(
                    recursion_traceback(&format!("RecursionError: depth {i}")).as_bytes(),
                )),
            ),
        }
    }

    let (out, rss) = rqctl_peak_rss(
        &url,
        &[
            "jobs",
            "big",
            "--registry",
            "failed",
            "--limit",
            "200",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("rqctl jobs --limit 200 over 2 MB jobs: peak RSS {rss:.1} MiB");
    assert!(rss < 100.0, "peak RSS {rss:.1} MiB");
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["jobs"].as_array().unwrap().len(), 200);
    for i in 0..200 {
        let j = row(&page, &format!("big-{i:03}"));
        let desc = j["description"].as_str().unwrap();
        assert!(desc.starts_with("process(aaaa"), "{desc:.40}");
        assert!(
            desc.len() < 4096,
            "description clipped: {} bytes",
            desc.len()
        );
        assert_eq!(j["description_truncated"], true);
        assert_eq!(j["func_name"], "labjobs.process", "job {i}");
        let err = j["error"].as_str().unwrap();
        match i % 10 {
            0 => assert!(
                err.starts_with("traceback too large to show here (") && err.contains(" MiB"),
                "job {i}: {err}"
            ),
            1 => assert_eq!(err, format!("RecursionError: legacy {i}")),
            _ => assert_eq!(err, format!("RecursionError: depth {i}")),
        }
    }

    // Without the script (an ACL refusing EVAL) fields come whole, a few rows at a time.
    let (plain, rss) = rqctl_peak_rss(
        &viewer(&server),
        &[
            "jobs",
            "big",
            "--registry",
            "failed",
            "--limit",
            "200",
            "--json",
        ],
    );
    assert!(plain.status.success());
    eprintln!("the same without scripting: peak RSS {rss:.1} MiB");
    assert!(rss < 100.0, "peak RSS {rss:.1} MiB");
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    for (a, b) in page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(plain["jobs"].as_array().unwrap())
    {
        // Only the size named for a stream too large to read differs (stream vs field).
        let mut b = b.clone();
        b["error"] = a["error"].clone();
        assert_eq!(*a, b);
    }

    // The text table says the same.
    let text = support::rqctl(&url, &["jobs", "big", "-r", "failed", "-n", "3"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("labjobs.process"), "{text}");
    assert!(text.contains("RecursionError: depth 2"), "{text}");

    // The job view still reads one job whole.
    let whole = rqctl_json(&url, &["job", "big-002"]);
    assert_eq!(
        whole["description"].as_str().unwrap().len(),
        description.len()
    );
    assert!(
        whole["exc_info"]
            .as_str()
            .unwrap()
            .ends_with("RecursionError: depth 2\n")
    );
}

#[test]
fn the_function_comes_from_data_never_from_the_description() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    let custom = "Nightly report for ACME (custom description)";
    // Pickle as CPython writes it (protocol 5 with MEMOIZE), JSON, protocol 2, and garbage.
    let cpython = {
        let mut p = vec![0x80, 0x05, 0x95];
        let body: Vec<u8> = [
            &[0x28, 0x8c, 15][..],
            b"reports.nightly",
            &[
                0x94, 0x4e, 0x4b, 0x02, 0x85, 0x94, 0x7d, 0x94, 0x74, 0x94, 0x2e,
            ],
        ]
        .concat();
        p.extend_from_slice(&(body.len() as u64).to_le_bytes());
        p.extend_from_slice(&body);
        zlib(&p)
    };
    let proto2 = zlib(b"\x80\x02(X\x0b\x00\x00\x00legacy.taskq\x00N)}q\x01tq\x02.");
    let json = zlib(br#"["app.tasks.hello", null, ["json"], {}]"#);
    let cases: [(&str, Vec<u8>, Option<&str>); 5] = [
        ("pickled", cpython, Some("reports.nightly")),
        ("json", json, Some("app.tasks.hello")),
        ("proto2", proto2, Some("legacy.task")),
        ("garbage", b"\x78\x9c not zlib at all".to_vec(), None),
        ("nodata", Vec::new(), None),
    ];
    for (id, d, _) in &cases {
        let mut fields = vec![("description", custom.as_bytes().to_vec())];
        if !d.is_empty() {
            fields.push(("data", d.clone()));
        }
        failed_job(&mut c, "fn", id, &fields);
        let _: () = c.rpush("rq:queue:fn", *id).unwrap();
    }
    for source in [&["jobs", "fn"][..], &["jobs", "fn", "-r", "failed"][..]] {
        let page = rqctl_json(&url, source);
        for (id, _, want) in &cases {
            let j = row(&page, id);
            assert_eq!(j["func_name"].as_str(), *want, "{id} in {source:?}");
            assert_eq!(j["description"], custom);
            assert_eq!(j["description_truncated"], false);
        }
    }
    for (id, _, want) in &cases {
        let job = rqctl_json(&url, &["job", id]);
        assert_eq!(job["func_name"].as_str(), *want, "job view of {id}");
    }
    let text = support::rqctl(&url, &["jobs", "fn"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(!text.contains("Nightly"), "{text}");
}

#[test]
fn an_oversized_traceback_says_too_large_never_raw_bytes() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    // 70 MiB of text compresses to ~70 KiB: past the 64 MiB decompression limit.
    let bomb = {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let line = [b'x'; 1024 * 1024];
        for _ in 0..70 {
            enc.write_all(&line).unwrap();
        }
        enc.finish().unwrap()
    };
    let kib = format!("{:.1} KiB compressed", bomb.len() as f64 / 1024.0);
    failed_job(
        &mut c,
        "tb",
        "legacy",
        &[
            ("data", data("labjobs.boom", vec![])),
            ("exc_info", bomb.clone()),
        ],
    );
    failed_job(
        &mut c,
        "tb",
        "stream",
        &[("data", data("labjobs.boom", vec![]))],
    );
    result_entry(&mut c, "stream", &b64(&bomb));

    for id in ["legacy", "stream"] {
        let job = rqctl_json(&url, &["job", id]);
        let exc = job["exc_info"].as_str().unwrap();
        assert!(
            exc.starts_with("traceback too large to show"),
            "{id}: {exc}"
        );
        assert!(exc.contains(&kib), "{id}: {exc} (want {kib})");
        assert!(exc.contains("64 MiB"), "{id}: {exc}");
        let text = support::rqctl(&url, &["job", id]);
        assert!(text.status.success());
        assert!(!text.stdout.contains(&0), "{id}: NUL bytes in the job text");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("traceback too large to show"), "{text}");
    }
    let page = rqctl_json(&url, &["jobs", "tb", "-r", "failed"]);
    for id in ["legacy", "stream"] {
        let err = row(&page, id)["error"].as_str().unwrap();
        assert!(
            err.contains("too large") && err.contains("KiB compressed"),
            "{id}: {err}"
        );
        assert!(!err.contains('\0'), "{id}: {err:?}");
    }
    let text = support::rqctl(&url, &["jobs", "tb", "-r", "failed"]);
    assert!(!text.stdout.contains(&0), "NUL bytes in the table");
}

#[test]
fn a_dry_run_over_many_dangling_ids_streams() {
    let server = RedisServer::start();
    let url = server.url();
    let mut c = server.conn();
    const DANGLING: usize = 300_000;
    for chunk in (0..DANGLING).collect::<Vec<_>>().chunks(10_000) {
        let mut cmd = redis::cmd("ZADD");
        cmd.arg("rq:failed:many");
        for i in chunk {
            // Failure expiries in the future, as RQ scores them (past ones are left out).
            cmd.arg(4_000_000_000_u64 + *i as u64)
                .arg(format!("{i:08x}-dead-4000-8000-000000000000"));
        }
        cmd.exec(&mut c).unwrap();
    }
    // Three real jobs, two of them first in score order, one among the dangling ids.
    for (id, score) in [
        ("real-a", 3.9e9),
        ("real-b", 3.9e9 + 1.0),
        ("real-c", 4e9 + 5.5),
    ] {
        failed_job(&mut c, "many", id, &[("data", data("labjobs.add", vec![]))]);
        let _: () = c.zadd("rq:failed:many", id, score).unwrap();
    }

    let before: u64 = c.zcard("rq:failed:many").unwrap();
    assert_eq!(before, DANGLING as u64 + 3);
    let (out, rss) = rqctl_peak_rss(
        &url,
        &[
            "requeue",
            "--all",
            "failed",
            "--queue",
            "many",
            "--dry-run",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("requeue --all --dry-run over {DANGLING} dangling ids: peak RSS {rss:.1} MiB");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &doc["reports"][0];
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["matched"], 3, "{r}");
    // Dangling ids are counted (a real run removes them, as RQ's cleanup would).
    assert_eq!(r["dangling_removed"], DANGLING);
    assert_eq!(r["skipped_count"], 0);
    let sample: Vec<&str> = r["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(sample.len(), 10);
    assert_eq!(
        &sample[..3],
        ["real-a", "real-b", "00000000-dead-4000-8000-000000000000"]
    );
    let left: u64 = c.zcard("rq:failed:many").unwrap();
    assert_eq!(left, DANGLING as u64 + 3, "a dry run changes nothing");
    // What the 300,000 ids add to what any command holds (the allocator's own arenas, the
    // runtime): holding them all would take well over this.
    let (_, base) = rqctl_peak_rss(&url, &["info", "--json"]);
    eprintln!("rqctl info --json: peak RSS {base:.1} MiB");
    assert!(
        rss - base < 20.0,
        "peak RSS {rss:.1} MiB, {base:.1} MiB for info"
    );
}

#[test]
fn without_scripting_rows_are_read_plainly_and_still_cut() {
    let server = RedisServer::start();
    let mut c = server.conn();
    let viewer = viewer(&server);
    let description = format!("process({})", "é".repeat(100_000));
    for i in 0..20 {
        let id = format!("plain-{i:02}");
        failed_job(
            &mut c,
            "plain",
            &id,
            &[
                ("description", description.clone().into_bytes()),
                ("data", data("labjobs.process", vec![PyValue::Int(i)])),
            ],
        );
        result_entry(
            &mut c,
            &id,
            &b64(&zlib(
                recursion_traceback(&format!("RecursionError: plain {i}")).as_bytes(),
            )),
        );
    }
    failed_job(
        &mut c,
        "plain",
        "custom",
        &[("description", b"Custom words".to_vec())],
    );
    let page = rqctl_json(&viewer, &["jobs", "plain", "-r", "failed", "-n", "50"]);
    assert_eq!(page["jobs"].as_array().unwrap().len(), 21);
    for i in 0..20 {
        let j = row(&page, &format!("plain-{i:02}"));
        let desc = j["description"].as_str().unwrap();
        assert!(
            desc.starts_with("process(éé") && desc.len() <= 1024,
            "{desc:.40}"
        );
        assert_eq!(j["description_truncated"], true);
        assert_eq!(j["func_name"], "labjobs.process");
        assert_eq!(j["error"], format!("RecursionError: plain {i}"));
    }
    assert_eq!(row(&page, "custom")["func_name"], serde_json::Value::Null);
    // The same rows as a user who may run the script reads them.
    let scripted = rqctl_json(
        &server.url(),
        &["jobs", "plain", "-r", "failed", "-n", "50"],
    );
    assert_eq!(page, scripted);
}

/// Calls of `command` the server counted (INFO commandstats), scripts' inner calls included.
fn calls(c: &mut redis::Connection, command: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn rereading_an_unchanged_page_copies_no_big_field_again() {
    use rqtop::rq::{ConnectOptions, JobQuery, JobSource, Registry, RqClient};
    let server = RedisServer::start();
    let mut c = server.conn();
    let mut seed = 0x0bad_cafe_u64;
    let description = format!("report({})", "b".repeat(2_000_000));
    for i in 0..20 {
        failed_job(
            &mut c,
            "again",
            &format!("again-{i:02}"),
            &[
                ("description", description.clone().into_bytes()),
                (
                    "data",
                    data(
                        "labjobs.report",
                        vec![PyValue::Bytes(noise(&mut seed, 300_000))],
                    ),
                ),
            ],
        );
    }
    let mut client = RqClient::connect(&ConnectOptions::new(server.url()))
        .await
        .unwrap();
    let query = JobQuery {
        queue: "again".into(),
        source: JobSource::Registry(Registry::Failed),
        offset: 0,
        limit: 200,
        newest_first: false,
    };
    let first = client.jobs(&query).await.unwrap();
    let hgets = calls(&mut c, "hget");
    // status, origin, created_at, ended_at, description and data of each job.
    assert_eq!(hgets, 20 * 6);
    let again = client.jobs(&query).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(
        calls(&mut c, "hget") - hgets,
        20 * 4,
        "only the short fields again"
    );
    assert_eq!(again.jobs[0].func_name.as_deref(), Some("labjobs.report"));
    assert!(again.jobs[0].description_truncated);

    // A field that changed length is read again.
    let _: () = c
        .hset(
            "rq:job:again-00",
            "description",
            format!("other({})", "c".repeat(100_000)),
        )
        .unwrap();
    let changed = client.jobs(&query).await.unwrap();
    let d = changed.jobs[0].description.as_deref().unwrap();
    assert!(d.starts_with("other(ccc"), "{d:.20}");
    assert!(
        changed.jobs[1]
            .description
            .as_deref()
            .unwrap()
            .starts_with("report(bbb")
    );
}

#[test]
fn real_rq_jobs_show_their_function_in_the_table() {
    for rq in [support::Rq::V2, support::Rq::V1] {
        let server = RedisServer::start();
        let url = server.url();
        // A custom description, big arguments, JSON serializer: the function comes from data.
        rq.script(
            &url,
            "from rq import Queue\nfrom rq.serializers import JSONSerializer\nimport labjobs\n\
             q = Queue('real', connection=r)\n\
             q.enqueue(labjobs.add, 2, 3, description='Custom words', job_id='custom')\n\
             q.enqueue(labjobs.echo, 'x' * 3000000, job_id='bigargs')\n\
             Queue('real', connection=r, serializer=JSONSerializer).enqueue(labjobs.say, 'j', job_id='json')\n",
        );
        let page = rqctl_json(&url, &["jobs", "real"]);
        assert_eq!(row(&page, "custom")["func_name"], "labjobs.add", "{rq:?}");
        assert_eq!(row(&page, "custom")["description"], "Custom words");
        assert_eq!(row(&page, "bigargs")["func_name"], "labjobs.echo", "{rq:?}");
        assert_eq!(row(&page, "json")["func_name"], "labjobs.say", "{rq:?}");
    }
}
