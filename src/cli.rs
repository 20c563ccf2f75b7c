//! rqctl: non-interactive commands over the data layer. All clap code lives here.

pub mod check;
pub mod cmd;
mod connect_args;
pub mod metrics;
pub mod output;
pub mod report;
pub mod select_args;
pub mod top_args;
pub mod wait;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use connect_args::ConnectArgs;
use output::Output;
use report::{UsageError, guard_writable};

use crate::rq::RqClient;

#[derive(Debug, Parser)]
#[command(
    name = "rqctl",
    version,
    about = "Inspect and manage Python RQ queues, jobs and workers in Redis",
    after_help = "Exit codes: 0 success, 1 runtime error or only partly done, 2 usage error;\nwait, watch and suspend --wait: 4 when --max-wait elapses; check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
)]
pub struct Cli {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Refuse every command that changes data (also RQTOP_READ_ONLY=1).
    #[arg(long, global = true, env = "RQTOP_READ_ONLY", value_parser = clap::builder::BoolishValueParser::new())]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Queues with their counts, workers, and server state (read-only, unlike `rq info`).
    Info(cmd::info::InfoArgs),
    /// Every queue with its seven counts (or the named ones).
    Queues(cmd::info::InfoArgs),
    /// Every registered worker.
    Workers,
    /// One page of a queue or one of its registries.
    Jobs(cmd::jobs::JobsArgs),
    /// Failed jobs grouped by cause (signature): count, queues, function, error, first and
    /// last failure, still happening or not.
    Failures(cmd::failures::FailuresArgs),
    /// One job, whole: arguments, result, traceback, dependencies, every field.
    Job(cmd::job::JobArgs),
    /// RQ 3.0 rate limits (slots, running, waiting), or the jobs waiting for one.
    Ratelimits(cmd::ratelimits::RateLimitsArgs),
    /// What runs next: scheduled registries, RQ cron and rq-scheduler.
    Schedules(cmd::schedules::SchedulesArgs),
    /// Put jobs back on their queue (by id, or --all from a registry).
    Requeue(cmd::requeue::RequeueArgs),
    /// Delete the jobs of queues (as `rq empty`), or of a registry with --registry.
    Empty(cmd::empty::EmptyArgs),
    /// Delete jobs: hash, results, and their place in queue and registries.
    Delete(cmd::jobs_ops::DestructiveJobArgs),
    /// Delete a queue and its queued jobs (as RQ's Queue.delete).
    DeleteQueue(cmd::empty::DeleteQueueArgs),
    /// Cancel jobs (as RQ's Job.cancel).
    Cancel(cmd::jobs_ops::DestructiveJobArgs),
    /// Run scheduled jobs now.
    EnqueueNow(cmd::jobs_ops::EnqueueNowArgs),
    /// Drop ids whose job hash is gone from a queue.
    Compact(cmd::empty::CompactArgs),
    /// Stop a running job (its worker kills the work-horse; the job becomes `stopped`).
    StopJob(cmd::jobs_ops::StopJobArgs),
    /// Commands to workers.
    #[command(subcommand)]
    Worker(cmd::worker::WorkerAction),
    /// Stop workers from taking new jobs.
    Suspend(cmd::worker::SuspendArgs),
    /// Let workers take jobs again.
    Resume,
    /// Registry cleanup that `rq info` does silently, as an explicit action.
    Clean(cmd::worker::CleanArgs),
    /// Block until queues are empty or drained, jobs ended, or workers idle (exit 4 on --max-wait).
    Wait(cmd::wait::WaitArgs),
    /// Print every state change of jobs until they have all ended.
    Watch(cmd::wait::WatchArgs),
    /// Alerting check (Nagios/Icinga plugin): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Check(cmd::check::CheckArgs),
    /// Prometheus metrics (rq-exporter's names and more), printed once or served with --listen.
    Metrics(cmd::metrics::MetricsArgs),
    /// Print a shell completion script.
    Completions(cmd::completions::CompletionsArgs),
    /// The config file's contexts: target, password source (never the password), read-only.
    Contexts,
}

impl Command {
    /// What a mutating command would do, for the read-only refusal; None for reads.
    fn mutation(&self) -> Option<&'static str> {
        Some(match self {
            Self::Info(_)
            | Self::Queues(_)
            | Self::Workers
            | Self::Jobs(_)
            | Self::Failures(_)
            | Self::Job(_)
            | Self::Schedules(_)
            | Self::Ratelimits(_)
            | Self::Metrics(_)
            | Self::Check(_)
            | Self::Wait(_)
            | Self::Watch(_)
            | Self::Completions(_)
            | Self::Contexts => return None,
            Self::Requeue(_) => "requeue jobs",
            Self::Empty(_) => "empty queues",
            Self::Delete(_) => "delete jobs",
            Self::DeleteQueue(_) => "delete a queue",
            Self::Cancel(_) => "cancel jobs",
            Self::EnqueueNow(_) => "enqueue jobs",
            Self::Compact(_) => "compact a queue",
            Self::StopJob(_) => "stop a job",
            Self::Worker(_) => "send commands to workers",
            Self::Suspend(_) => "suspend workers",
            Self::Resume => "resume workers",
            Self::Clean(_) => "clean registries",
        })
    }
}

/// Parses the command line and runs it; the exit code follows the README's contract.
pub async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let mut out = Output::new(cli.json);
    match run(cli, &mut out).await {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            let bad_url = matches!(
                e.downcast_ref::<crate::rq::Error>(),
                Some(crate::rq::Error::InvalidUrl { .. })
            );
            // A config file that does not parse or names no such context is a usage error;
            // a password source that fails is a runtime one.
            let bad_config = matches!(
                e.downcast_ref::<crate::config::ConfigError>(),
                Some(c) if !matches!(c, crate::config::ConfigError::Password { .. })
            );
            if bad_url || bad_config || e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// A command line clap refused: its message on stderr as usual, and with `--json` also the
/// error document on stdout, so that a script always gets one. Help and version are not
/// errors.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let help = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if !help && subcommand_is("check") {
        // A monitoring plugin's bad command line is UNKNOWN (3), not CRITICAL (2).
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or("usage error");
        let first = first.trim_start_matches("error: ");
        let json = std::env::args().any(|a| a == "--json");
        let mut out = Output::new(json);
        let summary = format!("RQ UNKNOWN - {first}");
        if json {
            let _ = out.json(&serde_json::json!({
                "status": "unknown", "exit_code": 3, "summary": summary, "checks": [], "error": first,
            }));
        } else {
            out.line(&summary);
        }
        return ExitCode::from(3);
    }
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || !std::env::args().any(|a| a == "--json")
    {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("usage error")
        .trim_start_matches("error: ")
        .to_string();
    let mut out = Output::new(true);
    let _ = out.json(&serde_json::json!({"ok": false, "error": first, "usage": true}));
    let _ = e.print();
    ExitCode::from(2)
}

/// Whether the first word of the command line that is not a global flag (or its value) is
/// `name`.
fn subcommand_is(name: &str) -> bool {
    const TAKES_VALUE: [&str; 5] = ["-u", "--url", "--connect-timeout", "--timeout", "--prefix"];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if TAKES_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            return a == name;
        }
    }
    false
}

async fn run(cli: Cli, out: &mut Output) -> anyhow::Result<ExitCode> {
    if let Command::Completions(args) = &cli.command {
        cmd::completions::run(args, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Contexts = &cli.command {
        return cmd::contexts::run(&cli.connect, out);
    }
    if cli.connect.is_fleet() {
        return cmd::fleet::run(&cli, out).await;
    }
    let resolved = match cli.connect.resolve(None, cli.read_only) {
        Ok(r) => r,
        Err(e) if matches!(cli.command, Command::Check(_)) => {
            return Ok(cmd::check::unknown(out, &format!("{e:#}")));
        }
        Err(e) => return Err(e),
    };
    for w in &resolved.warnings {
        out.note(w);
    }
    if let Some(what) = cli.command.mutation() {
        if let (true, Some(name)) = (resolved.read_only_by_context, &resolved.context) {
            anyhow::bail!(
                "context {name} is read-only (read_only = true in the config file): refusing to {what}"
            );
        }
        guard_writable(resolved.read_only, what)?;
    }
    if let Command::Check(args) = &cli.command {
        return Ok(cmd::check::run(args, resolved.connect, out).await);
    }
    if let Command::Metrics(args) = &cli.command {
        return cmd::metrics::run(args, resolved.connect, out).await;
    }
    let mut client = RqClient::connect(&resolved.connect).await?;
    let c = &mut client;
    match &cli.command {
        Command::Info(args) => return cmd::info::info(args, c, out).await,
        Command::Queues(args) => return cmd::info::queues(args, c, out).await,
        Command::Workers => return cmd::workers::run(c, out).await,
        Command::Jobs(args) => cmd::jobs::run(args, c, out).await?,
        Command::Failures(args) => return cmd::failures::run(args, c, out).await,
        Command::Job(args) => cmd::job::run(args, c, out).await?,
        Command::Schedules(args) => cmd::schedules::run(args, c, out).await?,
        Command::Ratelimits(args) => cmd::ratelimits::run(args, c, out).await?,
        Command::Requeue(args) => return cmd::requeue::run(args, c, out).await,
        Command::Empty(args) => return cmd::empty::run(args, c, out).await,
        Command::Delete(args) => return cmd::jobs_ops::delete(args, c, out).await,
        Command::DeleteQueue(args) => return cmd::empty::delete_queue(args, c, out).await,
        Command::Cancel(args) => return cmd::jobs_ops::cancel(args, c, out).await,
        Command::EnqueueNow(args) => return cmd::jobs_ops::enqueue_now(args, c, out).await,
        Command::Compact(args) => return cmd::empty::compact(args, c, out).await,
        Command::StopJob(args) => return cmd::jobs_ops::stop_job(args, c, out).await,
        Command::Worker(action) => return cmd::worker::worker(action, c, out).await,
        Command::Suspend(args) => return cmd::worker::suspend(args, c, out).await,
        Command::Resume => return cmd::worker::resume(c, out).await,
        Command::Clean(args) => return cmd::worker::clean(args, c, out).await,
        Command::Wait(args) => return cmd::wait::wait(args, c, out).await,
        Command::Watch(args) => return cmd::wait::watch(args, c, out).await,
        Command::Completions(_) | Command::Metrics(_) | Command::Check(_) | Command::Contexts => {}
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_common_incident_commands() {
        let c = Cli::try_parse_from(["rqctl", "requeue", "--all", "failed"]).unwrap();
        assert!(
            matches!(c.command, Command::Requeue(ref a) if a.all == Some(crate::rq::Registry::Failed))
        );
        let c = Cli::try_parse_from(["rqctl", "empty", "high", "--yes"]).unwrap();
        assert!(matches!(c.command, Command::Empty(ref a) if a.queues == ["high"] && a.yes));
        assert!(Cli::try_parse_from(["rqctl", "requeue", "x", "--all", "failed"]).is_err());
        assert!(Cli::try_parse_from(["rqctl", "requeue", "--queue", "q"]).is_err());
        assert!(Cli::try_parse_from(["rqctl", "suspend", "--duration", "10m"]).is_ok());
    }
}
