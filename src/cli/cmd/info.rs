//! `rqctl info` and `rqctl queues`.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;

use crate::cli::output::Output;
use crate::present::{self, TextTable, thousands};
use crate::rq::{KeyspaceEvents, Overview, QueueInfo, RqClient};

use super::workers::workers_table;

/// Exit 1 when something RQ keeps could not be read (the numbers are then incomplete).
pub fn exit_code(ov: &Overview) -> ExitCode {
    if ov.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Server-level problems, on stderr so that stdout stays a table.
pub fn note_server_problems(ov: &Overview, out: &mut Output) {
    for p in &ov.problems {
        out.note(&format!("problem: {p}"));
    }
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Only these queues (as `rq info high default`); each must exist.
    #[arg(value_name = "QUEUE")]
    pub queues: Vec<String>,
    /// Print again every DURATION until interrupted (as `rq info --interval`), e.g. 2s;
    /// at least 100ms.
    #[arg(long, value_name = "DURATION", value_parser = interval)]
    pub interval: Option<Duration>,
}

fn interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); e.g. 2s, 500ms"))?;
    if d < Duration::from_millis(100) {
        return Err(format!("'{s}' is too short: at least 100ms between reads"));
    }
    Ok(d)
}

/// The overview, cut down to the named queues (each checked to exist).
pub async fn read(args: &InfoArgs, client: &mut RqClient) -> anyhow::Result<Overview> {
    for q in &args.queues {
        super::known_queue(client, q).await?;
    }
    let mut ov = client.overview().await?;
    if !args.queues.is_empty() {
        ov.queues.retain(|q| args.queues.contains(&q.name));
        ov.workers
            .retain(|w| w.queues.iter().any(|q| args.queues.contains(q)));
    }
    Ok(ov)
}

/// Runs `once` now and then every `--interval`, redrawing a terminal as `rq info` does and
/// appending in a pipe; Ctrl-C ends it with the last exit code.
async fn repeat<F>(args: &InfoArgs, out: &mut Output, mut once: F) -> anyhow::Result<ExitCode>
where
    F: AsyncFnMut(&mut Output) -> anyhow::Result<ExitCode>,
{
    let Some(every) = args.interval else {
        return once(out).await;
    };
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout()) && !out.json;
    loop {
        if terminal {
            out.raw_control("\x1b[H\x1b[2J");
        }
        let code = once(out).await?;
        if out.closed() {
            // Nobody reads any more (the pipe's reader exited): stop polling Redis.
            return Ok(code);
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => return Ok(code),
        }
        if !terminal {
            out.line("");
        }
    }
}

pub async fn info(
    args: &InfoArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    repeat(args, out, async |out: &mut Output| {
        info_once(args, client, out).await
    })
    .await
}

async fn info_once(
    args: &InfoArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let ov = read(args, client).await?;
    if out.json {
        out.json(&ov)?;
    } else {
        print_info(&ov, out);
    }
    Ok(exit_code(&ov))
}

/// `rqctl info`'s text for one server.
pub fn print_info(ov: &Overview, out: &mut Output) {
    note_server_problems(ov, out);
    let now = SystemTime::now();
    out.line(&server_line(ov));
    out.line("");
    out.text(&queues_table(&ov.queues, now));
    out.line(&queues_summary(&ov.queues));
    if let Some(line) = rate_limits_line(ov) {
        out.line(&line);
    }
    note_problems(&ov.queues, out);
    out.line("");
    if ov.workers.is_empty() {
        out.line("no workers");
    } else {
        out.text(&workers_table(&ov.workers, now));
        out.line(&format!("{} workers", ov.workers.len()));
    }
}

pub async fn queues(
    args: &InfoArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    repeat(args, out, async |out: &mut Output| {
        queues_once(args, client, out).await
    })
    .await
}

async fn queues_once(
    args: &InfoArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let ov = read(args, client).await?;
    note_server_problems(&ov, out);
    if out.json {
        out.json(&ov.queues)?;
    } else {
        print_queues(&ov, out);
    }
    Ok(exit_code(&ov))
}

/// `rqctl queues`' text for one server (server problems are noted by the caller).
pub fn print_queues(ov: &Overview, out: &mut Output) {
    out.text(&queues_table(&ov.queues, SystemTime::now()));
    out.line(&queues_summary(&ov.queues));
    note_problems(&ov.queues, out);
}

fn server_line(ov: &Overview) -> String {
    let events = match &ov.redis.keyspace_events {
        KeyspaceEvents::On { .. } => "keyspace events on".to_string(),
        KeyspaceEvents::Off { flags } if flags.is_empty() => "keyspace events off".to_string(),
        KeyspaceEvents::Off { flags } => format!("keyspace events incomplete ({flags})"),
        KeyspaceEvents::Unknown { .. } => "keyspace events unknown (CONFIG refused)".to_string(),
    };
    let suspended = match (ov.suspended, ov.resumes_in) {
        (true, Some(left)) => format!(
            "SUSPENDED (resume by themselves in {})",
            present::span(left)
        ),
        (true, None) => "SUSPENDED (until rqctl resume)".to_string(),
        (false, _) => "not suspended".to_string(),
    };
    format!(
        "Redis {}{} ({}), {events}, workers {suspended}",
        ov.redis.url,
        if ov.redis.prefix == "rq" {
            String::new()
        } else {
            format!(" prefix {}", present::safe(&ov.redis.prefix))
        },
        ov.redis.version.as_deref().unwrap_or("version unknown"),
    )
}

fn queues_table(queues: &[QueueInfo], now: SystemTime) -> String {
    // RQ 3.0's ready and rate-limited counts get columns where a deployment has any.
    let ready = queues.iter().any(|q| q.ready > 0);
    let limited = queues.iter().any(|q| q.rate_limited > 0);
    let mut headers = vec![
        "QUEUE",
        ">QUEUED",
        ">STARTED",
        ">DEFERRED",
        ">FINISHED",
        ">FAILED",
        ">SCHEDULED",
        ">CANCELED",
    ];
    if ready {
        headers.push(">READY");
    }
    if limited {
        headers.push(">LIMITED");
    }
    headers.extend([">WORKERS", ">OLDEST"]);
    let mut t = TextTable::new(&headers);
    for q in queues {
        let mut row = vec![
            q.name.clone(),
            thousands(q.queued),
            thousands(q.started),
            thousands(q.deferred),
            thousands(q.finished),
            thousands(q.failed),
            thousands(q.scheduled),
            thousands(q.canceled),
        ];
        if ready {
            row.push(thousands(q.ready));
        }
        if limited {
            row.push(thousands(q.rate_limited));
        }
        row.extend([thousands(q.workers), present::age(q.oldest_queued_at, now)]);
        t.row(row);
    }
    t.render()
}

/// RQ 3.0 rate limits under the queue table, when any are in use.
fn rate_limits_line(ov: &Overview) -> Option<String> {
    if ov.rate_limits.is_empty() {
        return None;
    }
    let parts: Vec<String> = ov
        .rate_limits
        .iter()
        .map(|l| {
            format!(
                "{} {}/{} slots held, {} waiting",
                l.key,
                thousands(l.allowed),
                l.concurrency.map_or_else(|| "?".into(), thousands),
                thousands(l.waiting)
            )
        })
        .collect();
    Some(format!(
        "rate limits: {} (rqctl ratelimits KEY lists the waiting jobs)",
        parts.join("; ")
    ))
}

fn queues_summary(queues: &[QueueInfo]) -> String {
    let queued: u64 = queues.iter().map(|q| q.queued).sum();
    let failed: u64 = queues.iter().map(|q| q.failed).sum();
    if queues.is_empty() {
        return "no queues (RQ 3.0 deployments that set RQ_KEY_PREFIX need the same --prefix)"
            .to_string();
    }
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
