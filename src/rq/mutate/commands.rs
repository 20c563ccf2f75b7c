//! Commands to workers (RQ's pub/sub channel) and the suspension flag.

use std::time::Duration;

use super::super::client::RqClient;
use super::super::error::Result;
use super::super::model::JobStatus;
use super::super::reply::{self, Replies};
use super::Report;

/// What RQ workers obey on `rq:pubsub:<worker>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerCommand {
    /// Warm shutdown: finish the current job, then exit.
    Shutdown,
    /// SIGKILL the work-horse: the current job fails.
    KillHorse,
}

impl WorkerCommand {
    fn payload(self) -> &'static str {
        match self {
            Self::Shutdown => r#"{"command": "shutdown"}"#,
            Self::KillHorse => r#"{"command": "kill-horse"}"#,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Shutdown => "shutdown",
            Self::KillHorse => "kill-horse",
        }
    }
}

impl RqClient {
    /// Sends a command to each named worker. A worker must exist in this database (pub/sub
    /// is server-wide, so a name from another db would otherwise receive it) and be listening.
    pub async fn worker_command(
        &mut self,
        names: &[String],
        command: WorkerCommand,
        dry_run: bool,
    ) -> Result<Report> {
        let names = &super::unique(names);
        let mut report = Report::new(command.action(), "the named workers", dry_run);
        report.sample_from(names.iter().map(String::as_str));
        let mut pipe = redis::pipe();
        for n in names {
            pipe.cmd("HGET").arg(self.keys.worker(n)).arg("death");
            pipe.cmd("EXISTS").arg(self.keys.worker(n));
        }
        let mut r = Replies::new(self.pipeline("read workers", pipe).await?);
        let mut live = Vec::new();
        for n in names {
            let dead = reply::text(&r.next()).is_some();
            let exists = reply::int(&r.next()).unwrap_or(0) > 0;
            if !exists {
                report.skip(n, "no such worker in this database");
            } else if dead {
                report.skip(n, "worker has already stopped");
            } else {
                live.push(n);
            }
        }
        report.matched = live.len() as u64;
        if dry_run {
            return Ok(report);
        }
        for n in live {
            let got = self
                .cmd(
                    "publish",
                    redis::cmd("PUBLISH")
                        .arg(self.keys.pubsub(n))
                        .arg(command.payload())
                        .clone(),
                )
                .await?;
            if reply::int(&got).unwrap_or(0) > 0 {
                report.done += 1;
            } else {
                report.skip(
                    n,
                    "no worker is listening on its channel (it may have died without cleanup)",
                );
            }
        }
        Ok(report)
    }

    /// Asks the worker running `id` to stop it. RQ then marks the job `stopped` (in the
    /// failed registry), with no retry and no dependents enqueued.
    pub async fn stop_job(&mut self, id: &str, dry_run: bool) -> Result<Report> {
        let mut report = Report::new("stop-job", format!("job {id}"), dry_run);
        let v = self
            .cmd(
                "read job",
                redis::cmd("HMGET")
                    .arg(self.keys.job(id))
                    .arg("status")
                    .arg("worker_name")
                    .clone(),
            )
            .await?;
        let f = reply::items(&v);
        let status = f.first().and_then(reply::text);
        let worker = f.get(1).and_then(reply::text);
        // Refusals are reported like every other command's skipped jobs (one document shape).
        if status.is_none() && worker.is_none() {
            report.skip(id, super::reason(-1));
            return Ok(report);
        }
        let status = JobStatus::parse(status.as_deref());
        let Some(worker) = worker.filter(|_| status == JobStatus::Started) else {
            report.skip(id, format!("not running (status {status})"));
            return Ok(report);
        };
        // RQ < 3 names the job in the worker hash; RQ 3.0 indexes the worker's executions
        // (`<id>:<execution id>` members of `<p>:worker:<name>:executions`).
        let mut pipe = redis::pipe();
        pipe.cmd("HGET")
            .arg(self.keys.worker(&worker))
            .arg("current_job");
        pipe.cmd("SMEMBERS")
            .arg(self.keys.worker_executions(&worker));
        let mut r = Replies::new(self.pipeline("read worker", pipe).await?);
        let current = reply::text(&r.next());
        let executions = reply::members(&r.next());
        let runs_it = current.as_deref() == Some(id)
            || executions.iter().any(|m| {
                super::super::decode::wip_member(&super::super::keys::name_from_bytes(m)).0 == id
            });
        if !runs_it {
            report.skip(
                id,
                format!("worker {worker} is not running it any more (or is gone)"),
            );
            return Ok(report);
        }
        report.matched = 1;
        report.destination = Some(format!("worker {worker}"));
        if dry_run {
            return Ok(report);
        }
        let payload = serde_json::json!({"command": "stop-job", "job_id": id}).to_string();
        let got = self
            .cmd(
                "publish",
                redis::cmd("PUBLISH")
                    .arg(self.keys.pubsub(&worker))
                    .arg(payload)
                    .clone(),
            )
            .await?;
        if reply::int(&got).unwrap_or(0) > 0 {
            report.done = 1;
        } else {
            report.skip(
                id,
                format!("worker {worker} is not listening on its channel"),
            );
        }
        Ok(report)
    }

    /// `rq suspend`: workers stop taking new jobs (an idle worker runs one more first).
    /// The value is the UNIX time of the suspension where RQ writes `1`: workers only check
    /// that the key exists, and `rqctl check --suspended-for` can then say for how long.
    pub async fn suspend(&mut self, duration: Option<Duration>) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs());
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.keys.suspended()).arg(now);
        if let Some(d) = duration {
            // PX keeps the duration to the millisecond, as the caller asked (EX would round).
            cmd.arg("PX")
                .arg(u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1));
        }
        self.cmd("suspend", cmd).await.map(|_| ())
    }

    /// `rq resume`.
    pub async fn resume(&mut self) -> Result<bool> {
        let v = self
            .cmd(
                "resume",
                redis::cmd("DEL").arg(self.keys.suspended()).clone(),
            )
            .await?;
        Ok(reply::int(&v).unwrap_or(0) > 0)
    }
}
