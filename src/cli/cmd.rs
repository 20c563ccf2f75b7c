//! One file per rqctl subcommand.

pub mod completions;
pub mod empty;
pub mod info;
pub mod job;
pub mod jobs;
pub mod jobs_ops;
pub mod requeue;
pub mod schedules;
pub mod worker;
pub mod workers;

use crate::rq::RqClient;

/// The named queues (each must exist: a typo is an error, not "0 jobs"), or every queue
/// in `rq:queues` when none is named.
pub async fn queues_or_all(client: &mut RqClient, named: &[String]) -> anyhow::Result<Vec<String>> {
    if !named.is_empty() {
        for q in named {
            known_queue(client, q).await?;
        }
        return Ok(named.to_vec());
    }
    Ok(client
        .overview()
        .await?
        .queues
        .into_iter()
        .map(|q| q.name)
        .collect())
}

/// Fails with "no such queue" unless RQ knows `queue`.
pub async fn known_queue(client: &mut RqClient, queue: &str) -> anyhow::Result<()> {
    if client.queue_exists(queue).await? {
        Ok(())
    } else {
        Err(crate::rq::Error::NotFound {
            kind: "queue",
            id: format!("{queue} (rqctl queues lists them)"),
        }
        .into())
    }
}
