//! `rqtop --demo`: the private server and its workload. The data must be real RQ 2.12 data:
//! checked with this project's reader and with real Python RQ (2.12, rq-scheduler 0.14).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use rqtop::demo::jobs::Call;
use rqtop::demo::pickle_out::{self, dict, s};
use rqtop::demo::{DemoServer, run_workload};
use rqtop::rq::pickle::PyValue;
use rqtop::rq::{
    ConnectOptions, JobQuery, JobSource, JobStatus, Overview, Registry, RqClient, ScheduleSource,
    decode, keys,
};
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rq 2.12 venv's python (built by scripts/test-env.sh when missing).
fn rq2_python() -> PathBuf {
    let py = repo_root().join(".venv/rq2/bin/python");
    if !py.exists() {
        let st = Command::new("bash")
            .arg(repo_root().join("scripts/test-env.sh"))
            .status()
            .expect("run scripts/test-env.sh");
        assert!(st.success(), "scripts/test-env.sh failed");
    }
    py
}

/// Runs `code` with `python`, passing `args`; returns stdout, panics with stderr.
fn python(python: &std::path::Path, code: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Values and the Python literal that builds the same value.
fn samples() -> Vec<(PyValue, String)> {
    let int = PyValue::Int;
    let mut v: Vec<(PyValue, String)> = vec![
        (PyValue::None, "None".into()),
        (PyValue::Bool(true), "True".into()),
        (PyValue::Bool(false), "False".into()),
        (PyValue::Float(0.0), "0.0".into()),
        (PyValue::Float(-1.5), "-1.5".into()),
        (PyValue::Float(1e300), "1e300".into()),
        (
            PyValue::Float(std::f64::consts::PI),
            "3.141592653589793".into(),
        ),
        (s(""), "''".into()),
        (s("héllo ✓ 🚀"), "'héllo ✓ 🚀'".into()),
        (s("x".repeat(300)), "'x' * 300".into()),
        (PyValue::Bytes(b"".to_vec()), "b''".into()),
        (PyValue::Bytes(b"\x00ab".to_vec()), "b'\\x00ab'".into()),
        (PyValue::Tuple(vec![]), "()".into()),
        (PyValue::Tuple(vec![int(1)]), "(1,)".into()),
        (PyValue::Tuple(vec![int(1), int(2)]), "(1, 2)".into()),
        (
            PyValue::Tuple(vec![int(1), int(2), int(3)]),
            "(1, 2, 3)".into(),
        ),
        (
            PyValue::Tuple((1..=5).map(int).collect()),
            "(1, 2, 3, 4, 5)".into(),
        ),
        (PyValue::List(vec![]), "[]".into()),
        (PyValue::List(vec![s("a")]), "['a']".into()),
        (
            PyValue::List(vec![int(1), PyValue::None, s("b")]),
            "[1, None, 'b']".into(),
        ),
        (
            PyValue::List((0..2500).map(int).collect()),
            "list(range(2500))".into(),
        ),
        (PyValue::Dict(vec![]), "{}".into()),
        (dict(vec![("a", int(1))]), "{'a': 1}".into()),
        (
            dict(vec![
                ("a", int(1)),
                (
                    "b",
                    PyValue::List(vec![PyValue::Tuple(vec![int(2), PyValue::None])]),
                ),
            ]),
            "{'a': 1, 'b': [(2, None)]}".into(),
        ),
        (
            PyValue::Dict((0..1001).map(|i| (s(format!("k{i}")), int(i))).collect()),
            "{f'k{i}': i for i in range(1001)}".into(),
        ),
    ];
    for i in [
        0,
        255,
        256,
        65535,
        65536,
        -1,
        -129,
        2_147_483_647,
        -2_147_483_648,
        2_147_483_648,
        -2_147_483_649,
        1 << 40,
        -(1 << 40),
        -(1 << 47) - 1,
        i64::MAX,
        i64::MIN,
    ] {
        v.push((int(i), i.to_string()));
    }
    v
}

#[test]
fn pickle_encoder_matches_cpython() {
    let samples = samples();
    let mut args = Vec::new();
    for (value, literal) in &samples {
        let bytes = pickle_out::dumps(value).unwrap();
        // This project's decoder reads it back as the same value.
        assert_eq!(
            &rqtop::rq::pickle::decode(&bytes).unwrap(),
            value,
            "{literal}"
        );
        args.push(literal.clone());
        args.push(hex(&bytes));
    }
    let code = r#"
import pickle, pickletools, sys
a = sys.argv[1:]
for lit, h in zip(a[::2], a[1::2]):
    want = eval(lit)
    mine = bytes.fromhex(h)
    got = pickle.loads(mine)
    assert got == want and type(got) is type(want), (lit, got)
    ref = pickletools.optimize(pickle.dumps(want, protocol=5))
    if ref != mine:
        at = next((i for i, (x, y) in enumerate(zip(ref, mine)) if x != y), min(len(ref), len(mine)))
        raise AssertionError(f'{lit}: differs at byte {at} of {len(ref)}/{len(mine)}: '
                             f'cpython {ref[max(0, at - 8):at + 8].hex()} mine {mine[max(0, at - 8):at + 8].hex()}')
print('ok', len(a) // 2)
"#;
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = python(std::path::Path::new("python3"), code, &refs);
    assert_eq!(out.trim(), format!("ok {}", samples.len()));
}

#[test]
fn call_data_and_description_round_trip() {
    let call = Call::new("app.tasks.send_email")
        .arg(s("alice@example.com"))
        .kw("template", s("welcome"))
        .kw(
            "context",
            dict(vec![("n", PyValue::Int(3)), ("x", PyValue::Float(2.5))]),
        );
    assert_eq!(
        call.description(),
        "app.tasks.send_email('alice@example.com', context={'n': 3, 'x': 2.5}, template='welcome')"
    );
    let data = call.data();
    assert_eq!(&data[..2], b"\x78\x9c");
    let info = decode::call(&data).unwrap();
    assert_eq!(info.func_name.as_deref(), Some("app.tasks.send_email"));
    assert_eq!(info.args, vec![json!("alice@example.com")]);
    assert_eq!(info.kwargs["template"], json!("welcome"));
    assert_eq!(info.kwargs["context"], json!({"n": 3, "x": 2.5}));
    let code = r#"
import pickle, zlib, sys
print(repr(pickle.loads(zlib.decompress(bytes.fromhex(sys.argv[1])))))
"#;
    let out = python(std::path::Path::new("python3"), code, &[&hex(&data)]);
    assert_eq!(
        out.trim(),
        "('app.tasks.send_email', None, ('alice@example.com',), {'template': 'welcome', 'context': {'n': 3, 'x': 2.5}})"
    );
}

#[test]
fn key_builders_added_for_the_demo() {
    assert_eq!(
        keys::Keys::default().scheduler_lock("default"),
        b"rq:scheduler-lock:default"
    );
    assert_eq!(keys::Keys::default().scheduler("abc"), b"rq:scheduler:abc");
    assert_eq!(
        keys::Keys::default().cron_job_history("adder"),
        b"rq:cron_job:adder:jobs"
    );
}

async fn client(url: &str) -> RqClient {
    RqClient::connect(&ConnectOptions::new(url)).await.unwrap()
}

fn busy(o: &Overview) -> bool {
    o.workers
        .iter()
        .any(|w| w.state == "busy" && w.current_job.is_some())
}

async fn first_id(c: &mut RqClient, queue: &str, source: JobSource) -> Option<String> {
    let page = c
        .jobs(&JobQuery {
            queue: queue.to_string(),
            source,
            offset: 0,
            limit: 5,
            newest_first: false,
        })
        .await
        .unwrap();
    page.jobs.into_iter().find(|j| !j.missing).map(|j| j.id)
}

const RQ_CHECK: &str = r#"
import json, sys
from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.cron import CronScheduler
from rq.registry import StartedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry
from rq.utils import get_call_string
from rq_scheduler import Scheduler
url, queued_id, failed_id = sys.argv[1:4]
r = Redis.from_url(url)
out = {}
qs = Queue.all(connection=r)
out['queues'] = sorted(q.name for q in qs)
out['total'] = sum(len(q) for q in qs)
out['workers'] = sorted([w.name, w.state, w.get_current_job_id()] for w in Worker.all(connection=r))
j = Job.fetch(queued_id, connection=r)
out['queued'] = {'func_name': j.func_name, 'args': list(j.args), 'kwargs': j.kwargs,
                 'description': j.description, 'status': j.get_status(),
                 'call_string': get_call_string(j.func_name, j.args, j.kwargs, max_length=75)}
f = Job.fetch(failed_id, connection=r)
res = f.latest_result()
out['failed'] = {'status': f.get_status(), 'type': res.type.name, 'exc_string': res.exc_string,
                 'worker': res.worker_name}
# A result is created when its job ends, never hours later (the seeded past included).
from rq.registry import FinishedJobRegistry, FailedJobRegistry
gaps = []
for q in qs:
    for reg in (FinishedJobRegistry(queue=q), FailedJobRegistry(queue=q)):
        for jid in reg.get_job_ids(cleanup=False)[:50]:
            if not Job.exists(jid, connection=r):
                continue
            job = Job.fetch(jid, connection=r)
            res = job.latest_result()
            if res and job.ended_at:
                gaps.append(abs((res.created_at.replace(tzinfo=None) - job.ended_at.replace(tzinfo=None)).total_seconds()))
out['result_gap_max'] = max(gaps) if gaps else None
started = []
for q in qs:
    for jid, xid in StartedJobRegistry(queue=q).get_job_and_execution_ids(cleanup=False):
        job = Job.fetch(jid, connection=r)
        started.append([job.get_status(), job.worker_name, [e.id for e in job.get_executions()] == [xid]])
out['started'] = started
out['scheduled'] = sorted({Job.fetch(i, connection=r).get_status()
                           for q in qs for i in ScheduledJobRegistry(queue=q).get_job_ids()})
deferred = [Job.fetch(i, connection=r) for q in qs for i in DeferredJobRegistry(queue=q).get_job_ids()]
out['deferred'] = sorted({(d.get_status(), len(d.dependency_ids)) for d in deferred})
out['rq_scheduler'] = sorted((j.func_name, json.dumps(j.meta, sort_keys=True), j.result_ttl)
                             for j in Scheduler(connection=r).get_jobs())
out['cron'] = [[c.name, sorted(j.name for j in c.get_jobs())] for c in CronScheduler.all(connection=r)]
print(json.dumps(out, default=str))
"#;

#[test]
fn demo_workload_is_real_rq() {
    let server = DemoServer::start().unwrap();
    let url = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let run_url = url.clone();
    let workload = rt.spawn(async move { run_workload(&run_url, rx).await });

    // While it runs (~3 s): workers pick jobs up.
    let saw_busy = rt.block_on(async {
        let mut c = client(&url).await;
        let start = Instant::now();
        let mut saw = false;
        while start.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(250)).await;
            saw |= c.overview().await.map(|o| busy(&o)).unwrap_or(false);
        }
        saw
    });
    stop.send(true).unwrap();
    let ended =
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), workload).await });
    assert!(
        ended.unwrap().unwrap().is_ok(),
        "run_workload ends cleanly on stop"
    );
    assert!(saw_busy, "a worker was busy with a current job");

    let (queued_id, failed_id) = rt.block_on(async {
        let mut c = client(&url).await;
        let o = c.overview().await.unwrap();
        let mut names: Vec<&str> = o.queues.iter().map(|q| q.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["default", "emails", "high", "low"]);
        let sum = |r: Registry| o.queues.iter().map(|q| q.count(r)).sum::<u64>();
        assert!(sum(Registry::Finished) > 0, "finished jobs");
        assert!(sum(Registry::Failed) > 0, "failed jobs");
        assert!(sum(Registry::Scheduled) > 0 && sum(Registry::Deferred) > 0);
        assert!(sum(Registry::Canceled) > 0);
        let low = o.queues.iter().find(|q| q.name == "low").unwrap();
        assert!(low.queued > 1000, "a backlog in low: {}", low.queued);
        assert!(o.workers.len() >= 6, "{:?}", o.workers);
        assert!(
            o.workers
                .iter()
                .all(|w| w.rq_version.as_deref() == Some("2.12.0"))
        );

        let queued = first_id(&mut c, "low", JobSource::Queue).await.unwrap();
        let job = c.job(&queued).await.unwrap();
        assert_eq!(job.status, JobStatus::Queued);
        assert!(job.data_error.is_none(), "{:?}", job.data_error);
        assert!(
            job.func_name.as_deref().unwrap().starts_with("app."),
            "{:?}",
            job.func_name
        );
        assert!(!job.args.is_empty());
        assert!(job.enqueued_at.is_some() && job.timeout == Some(180));

        let mut failed = None;
        for q in ["default", "high", "low", "emails"] {
            if let Some(id) = first_id(&mut c, q, JobSource::Registry(Registry::Failed)).await {
                let job = c.job(&id).await.unwrap();
                if job.status == JobStatus::Failed {
                    let exc = job.exc_info.clone().unwrap_or_default();
                    assert!(
                        exc.starts_with("Traceback (most recent call last)"),
                        "{exc}"
                    );
                    failed = Some(id);
                    break;
                }
            }
        }

        let sched = c.schedules(50).await.unwrap();
        for source in [
            ScheduleSource::Scheduled,
            ScheduleSource::RqScheduler,
            ScheduleSource::RqCron,
        ] {
            assert!(
                sched.entries.iter().any(|e| e.source == source),
                "{source:?} in {:?}",
                sched.entries
            );
        }
        let rqs = sched
            .entries
            .iter()
            .find(|e| e.interval == Some(300.0))
            .unwrap();
        assert_eq!(rqs.repeat, Some(10));
        assert!(
            sched
                .entries
                .iter()
                .any(|e| e.cron.as_deref() == Some("0 3 * * *"))
        );
        (queued, failed.expect("a failed job"))
    });

    // Real RQ reads the same state.
    let py = rq2_python();
    let out = python(&py, RQ_CHECK, &[&url, &queued_id, &failed_id]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["queues"], json!(["default", "emails", "high", "low"]));
    assert!(v["total"].as_u64().unwrap() > 1000);
    let workers = v["workers"].as_array().unwrap();
    assert!(workers.len() >= 6, "{workers:?}");
    let gap = v["result_gap_max"].as_f64().expect("results to compare");
    assert!(
        gap < 5.0,
        "a result created {gap} s away from its job's end"
    );
    assert!(
        workers.iter().any(|w| w[1] == "busy" && w[2].is_string()),
        "{workers:?}"
    );

    let rust_job = rt.block_on(async { client(&url).await.job(&queued_id).await.unwrap() });
    let q = &v["queued"];
    assert_eq!(q["func_name"].as_str(), rust_job.func_name.as_deref());
    assert_eq!(q["args"], Value::Array(rust_job.args.clone()));
    assert_eq!(q["status"], "queued");
    assert_eq!(
        q["description"], q["call_string"],
        "description as RQ builds it"
    );

    let f = &v["failed"];
    assert_eq!(f["status"], "failed");
    assert_eq!(f["type"], "FAILED");
    let exc = f["exc_string"].as_str().unwrap();
    assert!(
        exc.starts_with("Traceback (most recent call last):\n"),
        "{exc}"
    );
    let rust_failed = rt.block_on(async { client(&url).await.job(&failed_id).await.unwrap() });
    assert_eq!(Some(exc), rust_failed.exc_info.as_deref());

    for s in v["started"].as_array().unwrap() {
        assert_eq!(
            s,
            &json!(["started", s[1], true]),
            "started job with its execution"
        );
    }
    assert!(!v["started"].as_array().unwrap().is_empty());
    assert_eq!(v["scheduled"], json!(["scheduled"]));
    assert_eq!(v["deferred"], json!([["deferred", 1]]));
    let rqs = v["rq_scheduler"].to_string();
    assert!(
        rqs.contains(r#"{\"interval\": 300, \"repeat\": 10}"#),
        "{rqs}"
    );
    assert!(
        rqs.contains(r#"{\"cron_string\": \"0 3 * * *\", \"use_local_timezone\": false}"#),
        "{rqs}"
    );
    assert_eq!(
        v["cron"],
        json!([[
            "demo-host:4242:a1b2c3",
            [
                "app.reports.rollup_metrics",
                "nightly-session-purge",
                "refresh-exchange-rates"
            ]
        ]])
    );

    // `rq info` (which also runs RQ's registry cleanup) is happy with it.
    let info = Command::new(&py)
        .args(["-m", "rq.cli", "info", "--url", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "rq info: {}{}",
        text,
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(text.contains("4 queues"), "{text}");
    assert!(text.contains("high-1"), "{text}");

    // A real `rq worker` runs the demo's jobs (stub `app` modules accept any call).
    let app = std::env::temp_dir().join(format!("rqtop-demo-app-{}", std::process::id()));
    let pkg = app.join("app");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "").unwrap();
    let stub = "def __getattr__(name):\n    return lambda *args, **kwargs: {'ran': name}\n";
    for m in [
        "tasks",
        "billing",
        "webhooks",
        "auth",
        "search",
        "integrations",
        "reports",
        "maintenance",
        "media",
        "notifications",
    ] {
        std::fs::write(pkg.join(format!("{m}.py")), stub).unwrap();
    }
    let before = rt.block_on(async { client(&url).await.overview().await.unwrap() });
    let worker = Command::new(&py)
        .args([
            "-m",
            "rq.cli",
            "worker",
            "--burst",
            "--max-jobs",
            "15",
            "--url",
            &url,
            "low",
        ])
        .env("PYTHONPATH", &app)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&app);
    assert!(
        worker.status.success(),
        "{}",
        String::from_utf8_lossy(&worker.stderr)
    );
    let after = rt.block_on(async { client(&url).await.overview().await.unwrap() });
    let low = |o: &Overview| o.queues.iter().find(|q| q.name == "low").unwrap().clone();
    assert_eq!(
        low(&before).queued - low(&after).queued,
        15,
        "the real worker took 15 jobs"
    );
    assert_eq!(
        low(&after).finished,
        low(&before).finished + 15,
        "and all 15 succeeded"
    );
    assert_eq!(low(&after).failed, low(&before).failed);
    drop(server);
}

#[test]
fn server_is_gone_after_drop() {
    let server = DemoServer::start().unwrap();
    let port = server.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let dirs = |p: u16| {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(&format!("-{p}")))
    };
    assert!(dirs(port));
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    assert!(!dirs(port), "temp dir removed");
}

#[test]
fn workload_errs_only_when_it_cannot_connect() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let url = format!("redis://127.0.0.1:{port}/0");
    assert!(rt.block_on(run_workload(&url, rx)).is_err());
}

/// rqtop's worker commands reach the simulated workers: stop-job, shutdown, suspension.
#[test]
fn workers_obey_commands_and_suspension() {
    let server = DemoServer::start().unwrap();
    let url = server.url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let run_url = url.clone();
    let workload = rt.spawn(async move { run_workload(&run_url, rx).await });
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    rt.block_on(async {
        let mut c = client(&url).await;
        let wait = |secs: u64| Instant::now() + Duration::from_secs(secs);

        // stop-job: the running job becomes `stopped`, in the failed registry.
        let deadline = wait(8);
        let (worker, job_id) = loop {
            let o = c.overview().await.unwrap();
            let busy = o.workers.iter().find_map(|w| {
                let job = w.current_job.clone()?;
                (w.state == "busy" && w.name != "emails-1").then(|| (w.name.clone(), job))
            });
            if let Some(b) = busy {
                break b;
            }
            assert!(Instant::now() < deadline, "no busy worker");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let payload = format!(r#"{{"command": "stop-job", "job_id": "{job_id}"}}"#);
        let listeners: i64 = redis::cmd("PUBLISH")
            .arg(keys::Keys::default().pubsub(&worker))
            .arg(payload)
            .query(&mut redis)
            .unwrap();
        assert_eq!(listeners, 1, "the worker listens on its channel");
        let deadline = wait(5);
        let job = loop {
            let job = c.job(&job_id).await.unwrap();
            // It may also have finished just before the command arrived.
            if matches!(
                job.status,
                JobStatus::Stopped | JobStatus::Finished | JobStatus::Failed
            ) {
                break job;
            }
            assert!(
                Instant::now() < deadline,
                "job {job_id} still {:?}",
                job.status
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        if job.status == JobStatus::Stopped {
            assert_eq!(
                job.exc_info.as_deref(),
                Some("Job stopped by user, work-horse terminated.")
            );
            assert!(job.ended_at.is_none());
        }

        // shutdown: the worker registers its death and leaves the worker sets.
        let _: i64 = redis::cmd("PUBLISH")
            .arg(keys::Keys::default().pubsub("emails-1"))
            .arg(r#"{"command": "shutdown"}"#)
            .query(&mut redis)
            .unwrap();
        let deadline = wait(40);
        loop {
            let o = c.overview().await.unwrap();
            if o.workers.iter().all(|w| w.name != "emails-1") {
                let death: Option<String> = redis::cmd("HGET")
                    .arg(keys::Keys::default().worker("emails-1"))
                    .arg("death")
                    .query(&mut redis)
                    .unwrap();
                assert!(death.is_some(), "death registered");
                break;
            }
            assert!(Instant::now() < deadline, "emails-1 did not shut down");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // rq suspend: idle workers switch to `suspended` and take no more jobs.
        let _: () = redis::cmd("SET")
            .arg(keys::Keys::default().suspended())
            .arg(1)
            .query(&mut redis)
            .unwrap();
        let deadline = wait(40);
        loop {
            let o = c.overview().await.unwrap();
            if o.workers
                .iter()
                .filter(|w| w.name != "batch-2")
                .all(|w| w.state == "suspended")
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "not all suspended: {:?}",
                o.workers
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    stop.send(true).unwrap();
    assert!(rt.block_on(workload).unwrap().is_ok());
}
