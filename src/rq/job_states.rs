//! Where a few jobs are in their life, for `rqctl wait --job` and `rqctl watch`: the hash
//! fields that change as a job moves, for every id in one pipeline.

use serde::Serialize;

use super::client::RqClient;
use super::decode;
use super::error::Result;
use super::model::{JobStatus, Timestamp};
use super::reply;

/// One job's status and the fields that change with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobState {
    pub id: String,
    pub status: JobStatus,
    pub origin: Option<String>,
    pub worker_name: Option<String>,
    pub enqueued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
}

impl JobState {
    /// True once the job will not run again by itself (RQ's end states).
    #[must_use]
    pub fn ended(&self) -> bool {
        matches!(
            self.status,
            JobStatus::Finished | JobStatus::Failed | JobStatus::Stopped | JobStatus::Canceled
        )
    }

    /// Ended, and not with success.
    #[must_use]
    pub fn ended_badly(&self) -> bool {
        matches!(
            self.status,
            JobStatus::Failed | JobStatus::Stopped | JobStatus::Canceled
        )
    }
}

const FIELDS: [&str; 6] = [
    "status",
    "origin",
    "worker_name",
    "enqueued_at",
    "started_at",
    "ended_at",
];

impl RqClient {
    /// Each job's state, in the order of `ids`; None where the hash does not exist.
    pub async fn job_states(&mut self, ids: &[String]) -> Result<Vec<Option<JobState>>> {
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("EXISTS").arg(self.keys.job(id));
            let mut c = redis::cmd("HMGET");
            c.arg(self.keys.job(id));
            for f in FIELDS {
                c.arg(f);
            }
            pipe.add_command(c);
        }
        let replies = self.pipeline("read job states", pipe).await?;
        let mut r = reply::Replies::new(replies);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let exists = reply::int(&r.next()).unwrap_or(0) > 0;
            let fields = r.next();
            if !exists {
                out.push(None);
                continue;
            }
            let values: Vec<Option<String>> =
                reply::items(&fields).iter().map(reply::text).collect();
            let get = |i: usize| values.get(i).cloned().flatten().filter(|v| !v.is_empty());
            let ts = |i: usize| get(i).and_then(|v| decode::timestamp(&v));
            out.push(Some(JobState {
                id: id.clone(),
                status: JobStatus::parse(get(0).as_deref()),
                origin: get(1),
                worker_name: get(2),
                enqueued_at: ts(3),
                started_at: ts(4),
                ended_at: ts(5),
            }));
        }
        Ok(out)
    }
}
