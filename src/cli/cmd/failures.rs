//! `rqctl failures [--queue Q]... [--since DUR] [--where SEL] [--json]`: failed jobs
//! grouped by signature.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::json;

use crate::cli::output::Output;
use crate::cli::report::count;
use crate::present::{self, TextTable, thousands};
use crate::rq::RqClient;
use crate::rq::failures::{FailureGroup, FailureReport};
use crate::rq::select::Selector;

#[derive(Debug, Args)]
pub struct FailuresArgs {
    /// Only these queues (default: every queue).
    #[arg(long = "queue", short = 'q', value_name = "QUEUE")]
    pub queues: Vec<String>,
    /// Only jobs that failed this recently, e.g. 30m, 2h, 1d.
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub since: Option<Duration>,
    /// Only failed jobs matching this selector (see `rqctl jobs --where`).
    #[arg(long = "where", value_name = "SEL", value_parser = |s: &str| crate::rq::select::parse(s).map_err(|e| e.to_string()))]
    pub selector: Option<Selector>,
}

pub async fn run(
    args: &FailuresArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let queues = super::queues_or_all(client, &args.queues).await?;
    let selector = args.selector.clone().unwrap_or_default();
    let now = SystemTime::now();
    let report = client
        .failures(&queues, args.since, selector.needs(), |job| {
            selector.matches(job, now)
        })
        .await?;
    if out.json {
        out.json(&document(&report))?;
    } else {
        print_table(out, &report, now);
    }
    Ok(ExitCode::SUCCESS)
}

fn document(r: &FailureReport) -> serde_json::Value {
    json!({
        "ok": true,
        "queues": r.queues,
        "jobs": r.jobs,
        "missing": r.missing,
        "signatures": r.groups.iter().map(group_json).collect::<Vec<_>>(),
    })
}

fn group_json(g: &FailureGroup) -> serde_json::Value {
    let s = &g.signature;
    json!({
        "id": s.id,
        "count": g.count,
        "queues": g.queues,
        "function": s.function,
        "exc_type": s.exc_type,
        "message": s.message,
        "error": s.error(),
        "frame": s.frame,
        "source": s.source,
        "first": g.first.map(|t| t.rfc3339()),
        "last": g.last.map(|t| t.rfc3339()),
        "last_10m": g.recent,
        "previous_10m": g.previous,
        "still_happening": g.still_happening(),
        "trend": g.trend(),
        "sample_ids": g.sample_ids,
        "sample_traceback": g.sample_traceback,
    })
}

fn print_table(out: &mut Output, r: &FailureReport, now: SystemTime) {
    if !r.groups.is_empty() {
        let mut t = TextTable::new(&[
            "SIG", ">COUNT", "QUEUES", "FUNCTION", "ERROR", "FIRST", "LAST", "NOW",
        ]);
        for g in &r.groups {
            let queues: Vec<String> = g
                .queues
                .iter()
                .map(|(q, n)| {
                    if g.queues.len() == 1 {
                        q.clone()
                    } else {
                        format!("{q} ({})", thousands(*n))
                    }
                })
                .collect();
            t.row(vec![
                g.signature.id.clone(),
                thousands(g.count),
                present::clip(&queues.join(", "), 30),
                present::clip(&g.signature.function, 30),
                present::clip(&g.signature.error(), 70),
                present::ago(g.first, now),
                present::ago(g.last, now),
                match g.trend() {
                    "stopped" => "stopped".to_string(),
                    trend => format!("{trend} ({} vs {})", g.recent, g.previous),
                },
            ]);
        }
        out.text(&t.render());
    }
    let mut summary = format!(
        "{} in {} over {}",
        count(r.jobs, "failed job"),
        count(r.groups.len() as u64, "signature"),
        count(r.queues.len() as u64, "queue")
    );
    if r.missing > 0 {
        summary.push_str(&format!(
            "; {} counted apart (job hash gone)",
            count(r.missing, "dangling id")
        ));
    }
    out.line(&summary);
    if !r.groups.is_empty() {
        out.line("NOW: failures in the last 10 minutes vs the 10 before. Act on one: rqctl requeue --all failed --signature SIG");
    }
}
