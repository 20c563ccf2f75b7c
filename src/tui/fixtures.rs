//! Fixed data for reducer and screen tests: a fixed clock and a small, realistic overview.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::rq::{
    JobStatus, JobSummary, KeyspaceEvents, Liveness, Overview, QueueInfo, ServerInfo, Timestamp,
    WorkerInfo,
};

/// 2026-11-26T12:00:00Z.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_694_400)
}

pub fn ago(secs: u64) -> Option<Timestamp> {
    Some(Timestamp(now() - Duration::from_secs(secs)))
}

fn queue(name: &str, queued: u64, failed: u64, workers: u64) -> QueueInfo {
    QueueInfo {
        name: name.into(),
        queued,
        started: workers.min(1),
        deferred: 1,
        finished: 340,
        failed,
        scheduled: 2,
        canceled: 0,
        ready: 0,
        rate_limited: 0,
        workers,
        oldest_queued_at: if queued > 0 { ago(312) } else { None },
        expired: 0,
        next_scheduled_at: None,
        problem: None,
    }
}

fn worker(name: &str, state: &str, job: Option<&str>, beat: u64) -> WorkerInfo {
    WorkerInfo {
        name: name.into(),
        state: state.into(),
        liveness: Liveness::Alive,
        queues: vec!["default".into(), "emails".into()],
        current_job: job.map(str::to_string),
        current_jobs: job.map(str::to_string).into_iter().collect(),
        current_job_started_at: job.and(ago(42)),
        current_job_working_time: None,
        hostname: Some("app-1".into()),
        pid: Some(4242),
        ip_address: Some("10.0.0.5:51234".into()),
        birth: ago(86_400),
        last_heartbeat: ago(beat),
        death: None,
        shutdown_requested_at: None,
        successful_job_count: 1520,
        failed_job_count: 3,
        total_working_time: 812.5,
        rq_version: Some("2.12.0".into()),
        python_version: Some("3.11.7".into()),
        expires_in: Some(400),
    }
}

pub fn overview() -> Overview {
    Overview {
        redis: ServerInfo {
            url: "redis://127.0.0.1:6379/0".into(),
            prefix: "rq".into(),
            version: Some("7.0.15".into()),
            db: 0,
            keyspace_events: KeyspaceEvents::On {
                flags: "KEA".into(),
            },
        },
        suspended: false,
        resumes_in: None,
        queues: vec![
            queue("default", 1204, 17, 2),
            queue("emails", 3, 0, 1),
            queue("low", 0, 0, 0),
        ],
        workers: vec![
            worker(
                "w-busy",
                "busy",
                Some("9f1c2d3e-aaaa-bbbb-cccc-000000000001"),
                12,
            ),
            worker("w-idle", "idle", None, 200),
            worker("w-stale", "busy", Some("job-stuck"), 600),
        ],
        rate_limits: Vec::new(),
        cron: Vec::new(),
        cron_schedulers: 0,
        rq_scheduler: crate::rq::RqSchedulerSummary::default(),
        problems: Vec::new(),
    }
}

pub fn job_row(id: &str) -> JobSummary {
    JobSummary {
        id: id.into(),
        status: Some(JobStatus::Failed),
        missing: false,
        func_name: Some("app.tasks.send_email".into()),
        description: Some("app.tasks.send_email('alice@example.com')".into()),
        description_truncated: false,
        origin: Some("default".into()),
        created_at: ago(600),
        enqueued_at: ago(590),
        started_at: ago(100),
        ended_at: ago(99),
        worker_name: Some("w-busy".into()),
        error: Some("ConnectionError: SMTP server refused connection".into()),
        score: None,
        score_at: None,
        execution_id: None,
    }
}

pub fn job() -> crate::rq::Job {
    use std::collections::BTreeMap;
    crate::rq::Job {
        id: "9f1c2d3e-aaaa-bbbb-cccc-000000000001".into(),
        status: JobStatus::Failed,
        origin: Some("emails".into()),
        func_name: Some("app.tasks.send_email".into()),
        args: vec![serde_json::json!("alice@example.com")],
        kwargs: BTreeMap::from([("template".to_string(), serde_json::json!("welcome"))]),
        args_repr: vec!["'alice@example.com'".into()],
        kwargs_repr: BTreeMap::from([
            ("template".to_string(), "'welcome'".to_string()),
            ("when".to_string(), "datetime.datetime(2026, 11, 26, 11, 50)".to_string()),
        ]),
        instance: None,
        serializer: Some("pickle"),
        data_error: None,
        data_size: 112,
        description: Some("app.tasks.send_email('alice@example.com', template='welcome')".into()),
        created_at: ago(600),
        enqueued_at: ago(590),
        started_at: ago(100),
        ended_at: ago(99),
        last_heartbeat: ago(99),
        worker_name: Some("w-busy".into()),
        timeout: Some(180),
        result_ttl: None,
        failure_ttl: None,
        ttl: None,
        retries_left: None,
        group_id: None,
        meta: None,
        meta_error: None,
        result: None,
        latest_result: None,
        exc_info: Some(
            "Traceback (most recent call last):\n  File \"/srv/app/tasks.py\", line 42, in send_email\n    smtp.send(msg)\nConnectionError: SMTP server refused connection\n"
                .into(),
        ),
        dependency_ids: Vec::new(),
        dependents: Vec::new(),
        dependents_total: 0,
        expires_in: Some(31_535_900),
        rq_scheduler_next_run: None,
        scheduled_for: None,
        fields: BTreeMap::from([
            ("status".to_string(), "failed".to_string()),
            ("origin".to_string(), "emails".to_string()),
            ("data".to_string(), "<112 bytes: 789c6b60…>".to_string()),
        ]),
    }
}

pub fn schedules() -> crate::rq::Schedules {
    use crate::rq::{Schedule, ScheduleSource};
    let entry =
        |source, id: &str, queue: &str, func: &str, next: i64, interval, cron: Option<&str>| {
            Schedule {
                source,
                id: id.into(),
                queue: Some(queue.into()),
                func_name: Some(func.into()),
                description: None,
                next_run: Some(Timestamp(if next >= 0 {
                    now() + Duration::from_secs(next.unsigned_abs())
                } else {
                    now() - Duration::from_secs(next.unsigned_abs())
                })),
                interval,
                cron: cron.map(str::to_string),
                repeat: None,
                missing: false,
                status: Some(JobStatus::Scheduled),
            }
        };
    crate::rq::Schedules {
        entries: vec![
            entry(
                ScheduleSource::Scheduled,
                "retry-77",
                "default",
                "app.tasks.resize_image",
                -5,
                None,
                None,
            ),
            entry(
                ScheduleSource::RqCron,
                "nightly-report",
                "low",
                "app.reports.nightly",
                3_600,
                None,
                Some("0 3 * * *"),
            ),
            entry(
                ScheduleSource::RqScheduler,
                "sync-crm",
                "default",
                "app.crm.sync",
                240,
                Some(300.0),
                None,
            ),
        ],
        truncated: false,
    }
}
