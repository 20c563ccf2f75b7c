//! `rqctl delete ID...`, `rqctl cancel ID...`, `rqctl enqueue-now ID...`, `rqctl stop-job ID`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{confirm, nothing_to_do, print_reports};
use crate::present::thousands;
use crate::rq::RqClient;

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Also delete running jobs and periodic rq-scheduler jobs (which ends their schedule).
    #[arg(long)]
    pub force: bool,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn delete(
    args: &DeleteArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let plan = client.delete_jobs(&args.ids, args.force, true).await?;
    if args.dry_run {
        return print_reports(out, &[plan], true);
    }
    if plan.matched == 0 {
        return nothing_to_do(out, plan);
    }
    if !confirm(
        out,
        args.yes,
        &format!("Delete {} jobs and their results?", thousands(plan.matched)),
    )? {
        return Ok(ExitCode::from(1));
    }
    let report = client.delete_jobs(&args.ids, args.force, false).await?;
    print_reports(out, &[report], false)
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Also cancel running jobs (their work-horse keeps running: stop-job first).
    #[arg(long)]
    pub force: bool,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn cancel(
    args: &CancelArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let plan = client.cancel_jobs(&args.ids, args.force, true).await?;
    if args.dry_run {
        return print_reports(out, &[plan], true);
    }
    if plan.matched == 0 {
        return nothing_to_do(out, plan);
    }
    if !confirm(
        out,
        args.yes,
        &format!("Cancel {} jobs?", thousands(plan.matched)),
    )? {
        return Ok(ExitCode::from(1));
    }
    let report = client.cancel_jobs(&args.ids, args.force, false).await?;
    print_reports(out, &[report], false)
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
