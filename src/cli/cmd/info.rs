//! `rqctl info` and `rqctl queues`.

use std::time::SystemTime;

use crate::cli::output::Output;
use crate::present::{self, TextTable, thousands};
use crate::rq::{KeyspaceEvents, Overview, QueueInfo, RqClient};

use super::workers::workers_table;

pub async fn info(client: &mut RqClient, out: &mut Output) -> anyhow::Result<()> {
    let ov = client.overview().await?;
    if out.json {
        return out.json(&ov);
    }
    let now = SystemTime::now();
    out.line(&server_line(&ov));
    out.line("");
    out.text(&queues_table(&ov.queues, now));
    out.line(&queues_summary(&ov.queues));
    note_problems(&ov.queues, out);
    out.line("");
    if ov.workers.is_empty() {
        out.line("no workers");
    } else {
        out.text(&workers_table(&ov.workers, now));
        out.line(&format!("{} workers", ov.workers.len()));
    }
    Ok(())
}

pub async fn queues(client: &mut RqClient, out: &mut Output) -> anyhow::Result<()> {
    let ov = client.overview().await?;
    if out.json {
        return out.json(&ov.queues);
    }
    out.text(&queues_table(&ov.queues, SystemTime::now()));
    out.line(&queues_summary(&ov.queues));
    note_problems(&ov.queues, out);
    Ok(())
}

fn server_line(ov: &Overview) -> String {
    let events = match &ov.redis.keyspace_events {
        KeyspaceEvents::On { .. } => "keyspace events on".to_string(),
        KeyspaceEvents::Off { flags } if flags.is_empty() => "keyspace events off".to_string(),
        KeyspaceEvents::Off { flags } => format!("keyspace events incomplete ({flags})"),
        KeyspaceEvents::Unknown { .. } => "keyspace events unknown (CONFIG refused)".to_string(),
    };
    let suspended = if ov.suspended {
        "SUSPENDED"
    } else {
        "not suspended"
    };
    format!(
        "Redis {} ({}), {events}, workers {suspended}",
        ov.redis.url,
        ov.redis.version.as_deref().unwrap_or("version unknown"),
    )
}

fn queues_table(queues: &[QueueInfo], now: SystemTime) -> String {
    let mut t = TextTable::new(&[
        "QUEUE",
        ">QUEUED",
        ">STARTED",
        ">DEFERRED",
        ">FINISHED",
        ">FAILED",
        ">SCHEDULED",
        ">CANCELED",
        ">WORKERS",
        ">OLDEST",
    ]);
    for q in queues {
        t.row(vec![
            q.name.clone(),
            thousands(q.queued),
            thousands(q.started),
            thousands(q.deferred),
            thousands(q.finished),
            thousands(q.failed),
            thousands(q.scheduled),
            thousands(q.canceled),
            thousands(q.workers),
            present::age(q.oldest_queued_at, now),
        ]);
    }
    t.render()
}

fn queues_summary(queues: &[QueueInfo]) -> String {
    let queued: u64 = queues.iter().map(|q| q.queued).sum();
    let failed: u64 = queues.iter().map(|q| q.failed).sum();
    format!(
        "{} queues, {} jobs queued, {} failed",
        queues.len(),
        thousands(queued),
        thousands(failed)
    )
}

fn note_problems(queues: &[QueueInfo], out: &mut Output) {
    for q in queues {
        if let Some(p) = &q.problem {
            out.note(&format!("warning: queue {}: {p}", q.name));
        }
    }
}
