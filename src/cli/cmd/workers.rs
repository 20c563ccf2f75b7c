//! `rqctl workers`.

use std::process::ExitCode;
use std::time::SystemTime;

use crate::cli::output::Output;
use crate::present::{self, TextTable, thousands};
use crate::rq::{Liveness, RqClient, WorkerInfo};

pub async fn run(client: &mut RqClient, out: &mut Output) -> anyhow::Result<ExitCode> {
    let ov = client.overview().await?;
    super::info::note_server_problems(&ov, out);
    if out.json {
        out.json(&ov.workers)?;
    } else {
        print_workers(&ov.workers, out);
    }
    Ok(super::info::exit_code(&ov))
}

/// `rqctl workers`' text for one server.
pub fn print_workers(workers: &[WorkerInfo], out: &mut Output) {
    if workers.is_empty() {
        out.line("no workers");
    } else {
        out.text(&workers_table(workers, SystemTime::now()));
        out.line(&crate::cli::report::count(workers.len() as u64, "worker"));
    }
}

pub fn workers_table(workers: &[WorkerInfo], now: SystemTime) -> String {
    let mut t = TextTable::new(&[
        "WORKER",
        "STATE",
        "QUEUES",
        "CURRENT JOB",
        ">RUNNING FOR",
        "HOST",
        ">PID",
        "HEARTBEAT",
        ">OK",
        ">FAILED",
        ">BUSY TIME",
        "RQ",
    ]);
    for w in workers {
        let state = match w.liveness {
            Liveness::Alive => w.state.clone(),
            Liveness::Stopping => format!("{} (stopping)", w.state),
            Liveness::Dead => "dead".to_string(),
        };
        t.row(vec![
            w.name.clone(),
            state,
            w.queues.join(","),
            w.current_job.clone().unwrap_or_else(|| "-".into()),
            match (&w.current_job, w.current_job_started_at) {
                (Some(_), Some(t)) => present::span(t.age_secs(now).max(0.0)),
                _ => "-".into(),
            },
            w.hostname.clone().unwrap_or_else(|| "-".into()),
            w.pid.map_or_else(|| "-".into(), |p| p.to_string()),
            present::ago(w.last_heartbeat, now),
            thousands(w.successful_job_count),
            thousands(w.failed_job_count),
            present::span(w.total_working_time),
            w.rq_version.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.render()
}
