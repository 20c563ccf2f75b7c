//! One job as text: summary, call, timing, result, traceback, every field. Shared by
//! `rqctl job` and rqtop's job view.

use std::fmt::Write as _;
use std::time::SystemTime;

use super::{safe, safe_multiline};
use crate::rq::Job;

/// The text form of one job: summary, call, timing, result, traceback, every field. Every
/// value from Redis is made safe for a terminal here (one line each; the traceback keeps
/// its lines).
#[must_use]
pub fn job_text(job: &Job, now: SystemTime) -> String {
    let mut s = String::new();
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map_or_else(|| "-".to_string(), |v| safe(v).into_owned())
    };
    let list = |ids: &[String]| {
        ids.iter()
            .map(|id| safe(id).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "Job {}  [{}]  queue {}",
        safe(&job.id),
        job.status,
        opt(&job.origin)
    );
    let _ = writeln!(s, "Function     {}", opt(&job.func_name));
    if let Some(i) = &job.instance {
        let _ = writeln!(s, "Instance     {}", safe(i));
    }
    match &job.data_error {
        Some(e) => {
            let _ = writeln!(s, "Call         <{}>", safe(e));
        }
        None => {
            // As Python would write the call: positional, then keyword arguments.
            let args = job
                .args_repr
                .iter()
                .cloned()
                .chain(job.kwargs_repr.iter().map(|(k, v)| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(", ");
            let func = job.func_name.as_deref().unwrap_or("?");
            let _ = writeln!(s, "Call         {}", safe(&format!("{func}({args})")));
        }
    }
    let _ = writeln!(s, "Description  {}", opt(&job.description));
    for (label, t) in [
        ("Created", job.created_at),
        ("Enqueued", job.enqueued_at),
        ("Started", job.started_at),
        ("Ended", job.ended_at),
    ] {
        if t.is_some() {
            let _ = writeln!(s, "{label:<12} {} ({})", super::time(t), super::ago(t, now));
        }
    }
    if let (Some(a), Some(b)) = (job.started_at, job.ended_at) {
        let _ = writeln!(
            s,
            "Duration     {}",
            super::span(b.unix_secs() - a.unix_secs())
        );
    }
    let _ = writeln!(s, "Worker       {}", opt(&job.worker_name));
    if let Some(n) = job.retries_left {
        let _ = writeln!(s, "Retries left {n}");
    }
    let num = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    let _ = writeln!(
        s,
        "Timeout {}  result_ttl {}  failure_ttl {}  ttl {}  expires in {}",
        num(job.timeout),
        num(job.result_ttl),
        num(job.failure_ttl),
        num(job.ttl),
        job.expires_in
            .map_or_else(|| "never".to_string(), |t| super::span(t as f64)),
    );
    if !job.dependency_ids.is_empty() {
        let _ = writeln!(s, "Depends on   {}", list(&job.dependency_ids));
    }
    if !job.dependents.is_empty() {
        let more = job
            .dependents_total
            .saturating_sub(job.dependents.len() as u64);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        let _ = writeln!(s, "Dependents   {}{tail}", list(&job.dependents));
    }
    if let Some(t) = job.scheduled_for {
        let _ = writeln!(
            s,
            "Runs at      {} ({})",
            super::time(Some(t)),
            super::ago(Some(t), now)
        );
    }
    if let Some(t) = job.rq_scheduler_next_run {
        let _ = writeln!(s, "rq-scheduler next run {}", super::time(Some(t)));
    }
    if let Some(m) = &job.meta {
        let _ = writeln!(s, "Meta         {}", safe(&m.to_string()));
    }
    if let Some(e) = &job.meta_error {
        let _ = writeln!(s, "Meta         <{}>", safe(e));
    }
    if let Some(r) = &job.latest_result {
        let _ = writeln!(
            s,
            "Result       {} ({}){}",
            r.kind,
            r.source,
            r.return_value_repr
                .as_ref()
                .map(|v| format!(": {}", safe(v)))
                .unwrap_or_default()
        );
    }
    if let Some(tb) = &job.exc_info {
        let _ = writeln!(s, "\nTraceback:\n{}", safe_multiline(tb.trim_end()));
    }
    let _ = writeln!(s, "\nFields:");
    for (k, v) in &job.fields {
        let _ = writeln!(
            s,
            "  {:<26} {}",
            safe(k),
            super::clip(&safe(&v.replace('\n', "⏎")), 120)
        );
    }
    s
}
