//! `rqctl worker shutdown|kill-horse NAME...`, `rqctl suspend`, `rqctl resume`, `rqctl clean`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::output::Output;
use crate::cli::report::{count, plan_confirm_run};
use crate::present::thousands;
use crate::rq::RqClient;
use crate::rq::mutate::{Report, WorkerCommand};

#[derive(Debug, Subcommand)]
pub enum WorkerAction {
    /// Warm shutdown: each worker finishes its current job, then exits.
    Shutdown(WorkerArgs),
    /// Kill each worker's work-horse: its current job fails (and is retried if it has retries).
    KillHorse(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Worker names (as `rqctl workers` lists them).
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn worker(
    action: &WorkerAction,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let (args, command, verb) = match action {
        WorkerAction::Shutdown(a) => (a, WorkerCommand::Shutdown, "Shut down"),
        WorkerAction::KillHorse(a) => (a, WorkerCommand::KillHorse, "Kill the running job of"),
    };
    let plan = client.worker_command(&args.names, command, true).await?;
    let question = |plan: &crate::rq::mutate::Report| {
        let shown: Vec<String> = plan
            .sample
            .iter()
            .map(|n| crate::present::safe(n).into_owned())
            .collect();
        format!(
            "{verb} {} ({})?",
            count(plan.matched, "worker"),
            shown.join(", ")
        )
    };
    let run = async || client.worker_command(&args.names, command, false).await;
    plan_confirm_run(out, args.dry_run, args.yes, plan, question, run).await
}

#[derive(Debug, Args)]
pub struct SuspendArgs {
    /// Resume by itself after this long (e.g. 90s, 10m, 1h30m; at least 1ms).
    #[arg(long, value_parser = positive_duration)]
    pub duration: Option<Duration>,
    /// Then wait until no worker runs a job (the deploy recipe: suspend --wait, deploy,
    /// resume). Exit code 4 when --max-wait elapses first.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long (exit code 4), e.g. 10m.
    #[arg(long, requires = "wait", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_wait: Option<Duration>,
}

/// A duration for a suspension: Redis keeps it to the millisecond, so anything shorter
/// (0s included, which would suspend for ever or not at all) is refused.
fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("'{s}' is not a duration ({e}); e.g. 90s, 10m, 1h30m"))?;
    if d.as_millis() == 0 {
        return Err(format!(
            "'{s}' is too short: a suspension lasts at least 1ms (to resume now: rqctl resume)"
        ));
    }
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!(
            "'{s}' is finer than Redis keeps (milliseconds); e.g. 1500ms"
        ));
    }
    Ok(d)
}

/// The report document every changing command prints, with what suspension adds.
#[derive(Serialize)]
struct Suspension<'a> {
    ok: bool,
    dry_run: bool,
    reports: [&'a Report; 1],
    suspended: bool,
    /// Seconds until workers resume by themselves (fractions kept), or null.
    duration: Option<f64>,
    /// When that is (RFC 3339), or null.
    resumes_at: Option<String>,
}

fn suspension_report(action: &'static str, changed: bool) -> Report {
    let mut r = Report::new_for_cli(action, "workers");
    r.matched = 1;
    r.done = u64::from(changed);
    r
}

pub async fn suspend(
    args: &SuspendArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    client.suspend(args.duration).await?;
    let resumes_at = args
        .duration
        .map(|d| humantime::format_rfc3339_seconds(std::time::SystemTime::now() + d).to_string());
    if out.json && args.wait {
        // One document per command: the wait's, printed when it ends.
    } else if out.json {
        let report = suspension_report("suspend", true);
        out.json(&Suspension {
            ok: true,
            dry_run: false,
            reports: [&report],
            suspended: true,
            duration: args.duration.map(|d| d.as_secs_f64()),
            resumes_at,
        })?;
    } else {
        let until = args
            .duration
            .map(|d| format!(" for {}", humantime::format_duration(d)))
            .unwrap_or_default();
        out.line(&format!(
            "suspended{until}: workers take no new jobs (an idle worker finishes one more job before it notices)"
        ));
    }
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let cond = crate::cli::wait::condition::Condition {
        workers_idle: true,
        ..Default::default()
    };
    let pace = super::wait::Pace {
        max_wait: args.max_wait,
        interval: Duration::from_secs(1),
    };
    super::wait::wait_until(&cond, &pace, client, out).await
}

pub async fn resume(client: &mut RqClient, out: &mut Output) -> anyhow::Result<ExitCode> {
    let was = client.resume().await?;
    if out.json {
        let report = suspension_report("resume", was);
        out.json(&Suspension {
            ok: true,
            dry_run: false,
            reports: [&report],
            suspended: false,
            duration: None,
            resumes_at: None,
        })?;
    } else {
        out.line(if was {
            "resumed: workers take jobs again"
        } else {
            "was not suspended"
        });
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Queues to clean (default: every queue).
    pub queues: Vec<String>,
    /// Show what would be cleaned, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn clean(
    args: &CleanArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let queues = super::queues_or_all(client, &args.queues).await?;
    let reports = client.clean(&queues, args.dry_run).await?;
    // A queue left to a worker that held the maintenance lock was not cleaned: not done.
    let ok = reports
        .iter()
        .all(|r| r.error.is_none() && !r.locked && r.refused.is_empty() && r.unknown == 0);
    if out.json {
        out.json(&serde_json::json!({"ok": ok, "dry_run": args.dry_run, "reports": reports}))?;
    } else {
        let verb = if args.dry_run {
            "would clean"
        } else {
            "cleaned"
        };
        for r in &reports {
            if r.locked {
                out.line(&format!(
                    "{}: skipped, a worker is cleaning it right now",
                    r.queue
                ));
                continue;
            }
            out.line(&format!(
                "{} {verb}: {} expired finished, {} expired failed, {} abandoned started to failed{}{}, {} stale worker registrations",
                r.queue,
                thousands(r.finished_expired),
                thousands(r.failed_expired),
                thousands(r.abandoned_failed),
                if r.abandoned_retried > 0 { format!(" ({} retried)", thousands(r.abandoned_retried)) } else { String::new() },
                if r.abandoned_dangling > 0 { format!(" ({} dangling dropped)", thousands(r.abandoned_dangling)) } else { String::new() },
                thousands(r.stale_workers),
            ));
            if r.ready_enqueued > 0 {
                out.line(&format!(
                    "  {} ready dependents enqueued (RQ 3.0)",
                    thousands(r.ready_enqueued)
                ));
            }
            if r.rate_limit_slots_freed + r.rate_limit_jobs_admitted + r.rate_limit_keys_forgotten
                > 0
            {
                out.line(&format!(
                    "  rate limits: {} stale slots freed, {} waiting jobs admitted, {} unused keys forgotten",
                    thousands(r.rate_limit_slots_freed),
                    thousands(r.rate_limit_jobs_admitted),
                    thousands(r.rate_limit_keys_forgotten)
                ));
            }
            for why in &r.refused {
                out.line(&format!("  left as it was: {}", crate::present::safe(why)));
            }
            if let Some(e) = &r.error {
                out.line(&format!("  stopped early: {e}"));
            }
        }
        if args.dry_run {
            out.line("note: failure callbacks (Python) do not run for jobs rqctl moves to failed");
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
