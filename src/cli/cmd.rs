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

/// The named queues, or every queue in `rq:queues` when none is named.
pub async fn queues_or_all(client: &mut RqClient, named: &[String]) -> anyhow::Result<Vec<String>> {
    if !named.is_empty() {
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
