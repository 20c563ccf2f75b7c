//! `rqctl delete ID...`, `rqctl cancel ID...`, `rqctl enqueue-now ID...`, `rqctl stop-job ID`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{UsageError, count, plan_confirm_run, print_reports};
use crate::cli::select_args::SelectArgs;
use crate::rq::{Registry, RqClient};

/// `--all REGISTRY` with a selection: the selected jobs; `--all` alone is refused (a whole
/// registry is `rqctl empty`'s work).
async fn selected(
    args: &DestructiveJobArgs,
    action: super::selected::Action,
    client: &mut RqClient,
    out: &mut Output,
) -> Option<anyhow::Result<ExitCode>> {
    let registry = args.all?;
    if !args.select.any() {
        return Some(Err(UsageError(
            "--all REGISTRY needs --where SEL or --signature ID (to clear a whole registry use rqctl empty)".into(),
        )
        .into()));
    }
    let sel = super::selected::Selection {
        registry,
        queues: &args.queues,
        select: &args.select,
        dry_run: args.dry_run,
        yes: args.yes,
    };
    Some(super::selected::run(&sel, action, client, out).await)
}

fn ids_only(args: &DestructiveJobArgs) -> anyhow::Result<()> {
    if args.select.any() {
        return Err(UsageError(
            "--where and --signature choose from a registry: add --all REGISTRY (e.g. --all failed)".into(),
        )
        .into());
    }
    Ok(())
}

/// The named jobs of `delete` and `cancel`, which refuse the same ones without `--force`;
/// or the jobs of a registry that a selector or a signature picks.
#[derive(Debug, Args)]
pub struct DestructiveJobArgs {
    /// Job ids (as `rqctl jobs` lists them).
    #[arg(required_unless_present = "all", value_name = "ID")]
    pub ids: Vec<String>,
    /// Act on the jobs of this registry that --where or --signature selects (e.g. failed).
    #[arg(long, value_name = "REGISTRY", conflicts_with = "ids")]
    pub all: Option<Registry>,
    /// Limit --all to these queues (default: every queue).
    #[arg(long = "queue", short = 'q', value_name = "QUEUE", requires = "all")]
    pub queues: Vec<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Also act on running jobs (stop them first: their work-horse keeps running) and on
    /// repeating rq-scheduler jobs (this ends their schedule).
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn delete(
    args: &DestructiveJobArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let action = super::selected::Action::Delete { force: args.force };
    if let Some(done) = selected(args, action, client, out).await {
        return done;
    }
    ids_only(args)?;
    let plan = client.delete_jobs(&args.ids, args.force, true).await?;
    let question = |plan: &crate::rq::mutate::Report| {
        let n = plan.matched;
        format!(
            "Delete {} and {} results (hash, results, place in queue and registries)?",
            count(n, "job"),
            if n == 1 { "its" } else { "their" }
        )
    };
    let run = async || client.delete_jobs(&args.ids, args.force, false).await;
    plan_confirm_run(out, args.dry_run, args.yes, plan, question, run).await
}

pub async fn cancel(
    args: &DestructiveJobArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let action = super::selected::Action::Cancel { force: args.force };
    if let Some(done) = selected(args, action, client, out).await {
        return done;
    }
    ids_only(args)?;
    let plan = client.cancel_jobs(&args.ids, args.force, true).await?;
    let question = |plan: &crate::rq::mutate::Report| {
        let n = plan.matched;
        format!(
            "Cancel {}? {} to the canceled registry of {} queue and will not run.",
            count(n, "job"),
            if n == 1 { "It moves" } else { "They move" },
            if n == 1 { "its" } else { "their" }
        )
    };
    let run = async || client.cancel_jobs(&args.ids, args.force, false).await;
    plan_confirm_run(out, args.dry_run, args.yes, plan, question, run).await
}

#[derive(Debug, Args)]
pub struct EnqueueNowArgs {
    /// Ids of scheduled jobs (RQ's scheduled registry or rq-scheduler).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Print what would change, change nothing.
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
    /// Id of a running job.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print what would be sent, send nothing.
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
