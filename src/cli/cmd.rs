//! One file per rqctl subcommand.

pub mod check;
pub mod completions;
pub mod empty;
pub mod info;
pub mod job;
pub mod jobs;
pub mod jobs_ops;
pub mod metrics;
pub mod ratelimits;
pub mod requeue;
pub mod schedules;
pub mod wait;
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

/// Fails with "no such queue" unless RQ knows `queue`, suggesting a known queue whose name
/// differs only in case or by one letter.
pub async fn known_queue(client: &mut RqClient, queue: &str) -> anyhow::Result<()> {
    if client.queue_exists(queue).await? {
        return Ok(());
    }
    let names = client.queue_names().await.unwrap_or_default();
    let hint = match names.iter().find(|n| near(n, queue)) {
        Some(n) => format!("did you mean `{n}`? "),
        None => String::new(),
    };
    Err(crate::rq::Error::NotFound {
        kind: "queue",
        id: format!("{queue} ({hint}rqctl queues lists them)"),
    }
    .into())
}

/// Same name but for case, or one letter added, dropped or changed.
fn near(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn near_names() {
        use super::near;
        assert!(near("emails", "Emails"));
        assert!(near("emails", "email"));
        assert!(near("emails", "emails2"));
        assert!(near("emails", "emaols"));
        assert!(!near("emails", "high"));
        assert!(!near("emails", "emails"[..3].as_ref()));
    }
}
