//! `rqctl wait` (until queues are empty or drained, jobs ended, workers idle) and
//! `rqctl watch` (every state change of jobs until they end). Exit codes: 0 done, 1 a job
//! ended failed, stopped or canceled (or a job id that never existed, or an error), 2 usage,
//! 4 `--max-wait` elapsed first. Redis going away while waiting is waited out.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use tokio::time::Instant;

use crate::cli::output::Output;
use crate::cli::report::UsageError;
use crate::cli::wait::condition::{Condition, JobSeen, Look};
use crate::cli::wait::ticker::Ticker;
use crate::present::{safe, span};
use crate::rq::{JobState, RqClient};

/// The exit code when `--max-wait` elapses before the condition holds.
pub const TIMED_OUT: u8 = 4;

#[derive(Debug, Args, Clone)]
pub struct Pace {
    /// Give up after this long (exit code 4), e.g. 10m. (`--timeout` is the global per-command
    /// Redis timeout.)
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_wait: Option<Duration>,
    /// How often to look when the server publishes no keyspace events (at least 100ms).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes: 0 the condition holds, 1 a job ended failed, stopped or canceled (or does not
exist), 2 usage error, 4 --max-wait elapsed first.")]
pub struct WaitArgs {
    /// Until nothing is queued in these queues.
    #[arg(long, value_name = "QUEUE", num_args = 1..)]
    pub empty: Vec<String>,
    /// Until nothing is queued and nothing is started in these queues.
    #[arg(long, value_name = "QUEUE", num_args = 1..)]
    pub drained: Vec<String>,
    /// Until each of these jobs has ended (finished, failed, stopped or canceled).
    #[arg(long, value_name = "ID", num_args = 1..)]
    pub job: Vec<String>,
    /// Until no worker runs a job.
    #[arg(long)]
    pub workers_idle: bool,
    #[command(flatten)]
    pub pace: Pace,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes: 0 every job finished, 1 a job ended failed, stopped or canceled (or does not
exist), 2 usage error, 4 --max-wait elapsed first.")]
pub struct WatchArgs {
    /// Job ids.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub pace: Pace,
}

#[derive(Serialize)]
struct WaitDocument<'a> {
    ok: bool,
    /// met, job_failed or timed_out.
    outcome: &'static str,
    waited_secs: f64,
    summary: &'a str,
    #[serde(flatten)]
    look: &'a Look,
}

fn check_pace(pace: &Pace) -> anyhow::Result<()> {
    if pace.interval < Duration::from_millis(100) {
        return Err(UsageError("--interval must be at least 100ms".into()).into());
    }
    Ok(())
}

/// Every id must name a job now: waiting for a typo would never end.
async fn jobs_exist(client: &mut RqClient, ids: &[String]) -> anyhow::Result<()> {
    let states = client.job_states(ids).await?;
    let missing: Vec<String> = ids
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.is_none())
        .map(|(id, _)| safe(id).into_owned())
        .collect();
    if !missing.is_empty() {
        return Err(crate::rq::Error::NotFound {
            kind: if missing.len() == 1 { "job" } else { "jobs" },
            id: missing.join(", "),
        }
        .into());
    }
    Ok(())
}

pub async fn wait(
    args: &WaitArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    check_pace(&args.pace)?;
    let cond = Condition {
        empty: args.empty.clone(),
        drained: args.drained.clone(),
        jobs: args.job.clone(),
        workers_idle: args.workers_idle,
    };
    if cond.is_empty() {
        return Err(UsageError(
            "wait for what? Give --empty QUEUE, --drained QUEUE, --job ID or --workers-idle".into(),
        )
        .into());
    }
    for q in cond.empty.iter().chain(&cond.drained) {
        super::known_queue(client, q).await?;
    }
    jobs_exist(client, &cond.jobs).await?;
    wait_until(&cond, &args.pace, client, out).await
}

/// `--timeout` next to a wait reads as "give up after", but it is the per-command Redis
/// timeout: say so, rather than wait for ever.
fn note_timeout_flag(out: &mut Output) {
    if std::env::args().any(|a| a == "--timeout" || a.starts_with("--timeout=")) {
        out.note("rqctl: note: --timeout is the per-command Redis timeout; --max-wait DURATION gives up waiting (exit 4)");
    }
}

/// Waits until `cond` holds, showing progress; the exit code as documented above.
pub async fn wait_until(
    cond: &Condition,
    pace: &Pace,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    note_timeout_flag(out);
    let started = Instant::now();
    let deadline = pace.max_wait.map(|d| started + d);
    let live = !out.json && std::io::stdout().is_terminal();
    let events_on = matches!(
        client.overview().await.map(|o| o.redis.keyspace_events),
        Ok(crate::rq::KeyspaceEvents::On { .. })
    );
    let mut ticker = Ticker::new(client, pace.interval, events_on).await;
    let mut first: Option<(Instant, u64)> = None;
    let mut last = Look::default();
    loop {
        let look = match cond.look(client).await {
            Ok(look) => look,
            Err(e) if e.is_transient() => {
                if live {
                    progress(out, &format!("Redis cannot be read, waiting: {e}"));
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                tick(&mut ticker, deadline).await;
                continue;
            }
            Err(e) => {
                if live {
                    out.raw_control("\r\x1b[2K");
                }
                return Err(e.into());
            }
        };
        let now = Instant::now();
        let remaining = look.remaining();
        let (t0, r0) = *first.get_or_insert((now, remaining));
        let elapsed = now.duration_since(t0).as_secs_f64();
        let eta = (r0 > remaining && elapsed > 0.0)
            .then(|| remaining as f64 / ((r0 - remaining) as f64 / elapsed));
        if look.holds() {
            return finish(out, live, &look, started, None);
        }
        if live {
            progress(out, &look.describe(eta));
        }
        last = look;
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        tick(&mut ticker, deadline).await;
    }
    finish(out, live, &last, started, pace.max_wait)
}

/// Waits for the ticker, but never past the deadline.
async fn tick(ticker: &mut Ticker, deadline: Option<Instant>) {
    match deadline {
        Some(d) => {
            let _ = tokio::time::timeout_at(d, ticker.next()).await;
        }
        None => ticker.next().await,
    }
}

/// The live line, rewritten in place: cut to the terminal's width, since a line that wraps
/// could no longer be rewritten by a carriage return.
fn progress(out: &mut Output, line: &str) {
    let cols = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w));
    out.raw_control("\r\x1b[2K");
    out.text(&crate::present::clip(
        &safe(line),
        cols.saturating_sub(1).max(10),
    ));
}

/// The final line or document, and the exit code.
fn finish(
    out: &mut Output,
    live: bool,
    look: &Look,
    started: Instant,
    timed_out: Option<Duration>,
) -> anyhow::Result<ExitCode> {
    let waited = started.elapsed();
    let bad = look.bad_jobs();
    let (outcome, code, summary) = match timed_out {
        Some(max) => (
            "timed_out",
            ExitCode::from(TIMED_OUT),
            format!(
                "gave up after {} (--max-wait): {}",
                humantime::format_duration(max),
                look.describe(None)
            ),
        ),
        None if !bad.is_empty() => {
            let named: Vec<String> = bad
                .iter()
                .map(|j| format!("{} {}", safe(&j.id), j.status))
                .collect();
            (
                "job_failed",
                ExitCode::from(1),
                format!(
                    "done after {}, but not every job finished: {}",
                    span(waited.as_secs_f64()),
                    named.join(", ")
                ),
            )
        }
        None => (
            "met",
            ExitCode::SUCCESS,
            format!(
                "done after {}: {}",
                span(waited.as_secs_f64()),
                look.describe(None)
            ),
        ),
    };
    if live {
        out.raw_control("\r\x1b[2K");
    }
    if out.json {
        out.json(&WaitDocument {
            ok: outcome == "met",
            outcome,
            waited_secs: waited.as_secs_f64(),
            summary: &summary,
            look,
        })?;
    } else {
        out.line(&summary);
    }
    Ok(code)
}

/// One state change, as `watch --json` prints it (one object a line).
#[derive(Serialize)]
struct Change<'a> {
    at: String,
    id: &'a str,
    status: &'a str,
    #[serde(flatten)]
    state: Option<&'a JobState>,
}

pub async fn watch(
    args: &WatchArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    check_pace(&args.pace)?;
    note_timeout_flag(out);
    jobs_exist(client, &args.ids).await?;
    let cond = Condition {
        jobs: args.ids.clone(),
        ..Condition::default()
    };
    let started = Instant::now();
    let deadline = args.pace.max_wait.map(|d| started + d);
    let events_on = matches!(
        client.overview().await.map(|o| o.redis.keyspace_events),
        Ok(crate::rq::KeyspaceEvents::On { .. })
    );
    let mut ticker = Ticker::new(client, args.pace.interval, events_on).await;
    let mut seen: HashMap<String, (String, Option<JobState>)> = HashMap::new();
    let mut last = Look::default();
    loop {
        match cond.look(client).await {
            Ok(look) => {
                for j in &look.jobs {
                    let now = (j.status.clone(), j.state.clone());
                    if seen.get(&j.id) != Some(&now) {
                        print_change(out, j)?;
                        seen.insert(j.id.clone(), now);
                    }
                }
                if look.holds() {
                    return watch_end(out, &look);
                }
                last = look;
            }
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(e.into()),
        }
        if out.closed() {
            return Ok(ExitCode::SUCCESS);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        tick(&mut ticker, deadline).await;
    }
    let max = args.pace.max_wait.unwrap_or_default();
    let line = format!(
        "gave up after {} (--max-wait): {}",
        humantime::format_duration(max),
        last.describe(None)
    );
    if out.json {
        out.note(&line);
    } else {
        out.line(&line);
    }
    Ok(ExitCode::from(TIMED_OUT))
}

fn print_change(out: &mut Output, j: &JobSeen) -> anyhow::Result<()> {
    let at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    if out.json {
        let change = Change {
            at,
            id: &j.id,
            status: &j.status,
            state: j.state.as_ref(),
        };
        out.exact(&format!("{}\n", serde_json::to_string(&change)?));
        return Ok(());
    }
    let mut line = format!("{at} {} {}", safe(&j.id), j.status);
    if let Some(s) = &j.state {
        if let Some(w) = &s.worker_name {
            line.push_str(&format!(" worker={}", safe(w)));
        }
        for (name, t) in [
            ("enqueued", s.enqueued_at),
            ("started", s.started_at),
            ("ended", s.ended_at),
        ] {
            if let Some(t) = t {
                line.push_str(&format!(" {name}={}", t.rfc3339()));
            }
        }
    }
    out.line(&line);
    Ok(())
}

fn watch_end(out: &mut Output, look: &Look) -> anyhow::Result<ExitCode> {
    let bad = look.bad_jobs();
    if !out.json {
        out.line(&look.describe(None));
    }
    Ok(if bad.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
