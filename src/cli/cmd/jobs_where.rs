//! `rqctl jobs QUEUE [--registry R] --where SEL | --signature ID`: the whole queue or
//! registry scanned (bounded, in batches), the matching jobs listed a page at a time.

use std::time::SystemTime;

use serde_json::json;

use super::jobs::JobsArgs;
use crate::cli::output::Output;
use crate::cli::report::count;
use crate::present::{self, TextTable, thousands};
use crate::rq::failures::ScannedJob;
use crate::rq::{JobSource, RqClient};

pub async fn run(args: &JobsArgs, client: &mut RqClient, out: &mut Output) -> anyhow::Result<()> {
    super::known_queue(client, &args.queue).await?;
    let source = args.registry.map_or(JobSource::Queue, JobSource::Registry);
    let selector = args.select.combined();
    let (from, to) = (args.offset, args.offset.saturating_add(args.limit));
    let mut rows: Vec<ScannedJob> = Vec::new();
    let mut seen = 0_u64;
    let matches = client
        .select_jobs(
            source,
            std::slice::from_ref(&args.queue),
            &selector,
            |job| {
                if (from..to).contains(&seen) {
                    let mut kept = job.clone();
                    kept.traceback = None; // a page holds rows, not tracebacks
                    rows.push(kept);
                }
                seen += 1;
            },
        )
        .await?;
    let total: u64 = matches.iter().map(|m| m.ids.len() as u64).sum();
    let scanned: u64 = matches.iter().map(|m| m.scanned).sum();
    if out.json {
        return out.json(&json!({
            "queue": args.queue,
            "source": source,
            "selector": selector.to_string(),
            "scanned": scanned,
            "total": total,
            "offset": args.offset,
            "jobs": rows.iter().map(|j| json!({
                "id": j.id,
                "status": j.status,
                "func_name": j.function,
                "origin": j.origin,
                "created_at": j.created_at.map(|t| t.rfc3339()),
                "ended_at": j.ended_at.map(|t| t.rfc3339()),
                "worker_name": j.worker_name,
                "error": j.error,
                "signature": j.signature.id,
            })).collect::<Vec<_>>(),
        }));
    }
    let now = SystemTime::now();
    let mut t = TextTable::new(&[
        "ID", "STATUS", "FUNCTION", "CREATED", "ENDED", "SIG", "ERROR",
    ]);
    for j in &rows {
        t.row(vec![
            j.id.clone(),
            j.status
                .as_ref()
                .map_or_else(|| "?".to_string(), ToString::to_string),
            present::clip(j.function.as_deref().unwrap_or("?"), 40),
            present::ago(j.created_at, now),
            present::ago(j.ended_at, now),
            if j.error.is_some() {
                j.signature.id.clone()
            } else {
                "-".to_string()
            },
            present::clip(j.error.as_deref().unwrap_or(""), 60),
        ]);
    }
    if !rows.is_empty() {
        out.text(&t.render());
    }
    out.line(&format!(
        "{} of {} matching '{}' in {} ({} scanned)",
        if rows.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{}-{}",
                thousands(args.offset + 1),
                thousands(args.offset + rows.len() as u64)
            )
        },
        count(total, &format!("{source} job")),
        selector,
        present::safe(&args.queue),
        thousands(scanned)
    ));
    Ok(())
}
