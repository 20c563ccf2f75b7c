//! rqctl: non-interactive commands over the data layer. All clap code lives here.

mod connect_args;
pub mod output;

pub mod cmd {
    pub mod completions;
    pub mod info;
    pub mod job;
    pub mod jobs;
    pub mod schedules;
    pub mod workers;
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use connect_args::ConnectArgs;
use output::Output;

use crate::rq::RqClient;

#[derive(Debug, Parser)]
#[command(
    name = "rqctl",
    version,
    about = "Inspect and manage Python RQ queues, jobs and workers in Redis",
    after_help = "Exit codes: 0 success, 1 runtime error (or partly done), 2 usage error."
)]
pub struct Cli {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Queues with their counts, workers, and server state (read-only, unlike `rq info`).
    Info,
    /// Every queue with its seven counts.
    Queues,
    /// Every registered worker.
    Workers,
    /// One page of a queue or one of its registries.
    Jobs(cmd::jobs::JobsArgs),
    /// One job, whole: arguments, result, traceback, dependencies, every field.
    Job(cmd::job::JobArgs),
    /// What runs next: scheduled registries, RQ cron and rq-scheduler.
    Schedules(cmd::schedules::SchedulesArgs),
    /// Print a shell completion script.
    Completions(cmd::completions::CompletionsArgs),
}

/// Parses the command line and runs it; the exit code follows the README's contract.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Output::new(cli.json);
    match run(cli, &mut out).await {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli, out: &mut Output) -> anyhow::Result<ExitCode> {
    if let Command::Completions(args) = &cli.command {
        cmd::completions::run(args, out);
        return Ok(ExitCode::SUCCESS);
    }
    let opts = cli.connect.options()?;
    let mut client = RqClient::connect(&opts).await?;
    match cli.command {
        Command::Info => cmd::info::info(&mut client, out).await?,
        Command::Queues => cmd::info::queues(&mut client, out).await?,
        Command::Workers => cmd::workers::run(&mut client, out).await?,
        Command::Jobs(args) => cmd::jobs::run(&args, &mut client, out).await?,
        Command::Job(args) => cmd::job::run(&args, &mut client, out).await?,
        Command::Schedules(args) => cmd::schedules::run(&args, &mut client, out).await?,
        Command::Completions(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}
