//! `rqctl delete ID...`, `rqctl cancel ID...`, `rqctl enqueue-now ID...`, `rqctl stop-job ID`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{plan_confirm_run, print_reports};
use crate::rq::RqClient;

/// The named jobs of `delete` and `cancel`, which refuse the same ones without `--force`.
#[derive(Debug, Args)]
pub struct DestructiveJobArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Also act on running jobs (stop them first: their work-horse keeps running) and on
    /// periodic rq-scheduler jobs (delete ends their schedule; cancel alone would not stop it).
    #[arg(long)]
    pub force: bool,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn delete(
    args: &DestructiveJobArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let plan = client.delete_jobs(&args.ids, args.force, true).await?;
    let question = |n: &str| format!("Delete {n} jobs and their results?");
    let run = async || client.delete_jobs(&args.ids, args.force, false).await;
    plan_confirm_run(out, args.dry_run, args.yes, plan, question, run).await
}

pub async fn cancel(
    args: &DestructiveJobArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let plan = client.cancel_jobs(&args.ids, args.force, true).await?;
    let question = |n: &str| format!("Cancel {n} jobs?");
    let run = async || client.cancel_jobs(&args.ids, args.force, false).await;
    plan_confirm_run(out, args.dry_run, args.yes, plan, question, run).await
}

#[derive(Debug, Args)]
pub struct EnqueueNowArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn enqueue_now(
    args: &EnqueueNowArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let report = client.enqueue_now(&args.ids, args.dry_run).await?;
    print_reports(out, &[report], args.dry_run)
}

#[derive(Debug, Args)]
pub struct StopJobArgs {
    pub id: String,
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn stop_job(
    args: &StopJobArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let report = client.stop_job(&args.id, args.dry_run).await?;
    print_reports(out, &[report], args.dry_run)
}
