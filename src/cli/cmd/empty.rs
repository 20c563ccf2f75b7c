//! `rqctl empty QUEUE... [--registry R]`, `rqctl empty --all`, `rqctl delete-queue QUEUE`,
//! `rqctl compact QUEUE`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{UsageError, confirm, count, print_reports};
use crate::present::thousands;
use crate::rq::mutate::Report;
use crate::rq::{Registry, RqClient};

#[derive(Debug, Args)]
pub struct EmptyArgs {
    /// Queues to empty.
    #[arg(value_name = "QUEUE")]
    pub queues: Vec<String>,
    /// Empty every queue.
    #[arg(long, conflicts_with = "queues")]
    pub all: bool,
    /// Empty this registry (and delete its jobs) instead of the queue itself.
    #[arg(long, short = 'r')]
    pub registry: Option<Registry>,
    /// With --registry: also delete periodic rq-scheduler jobs and jobs found running
    /// (refused and reported otherwise). The started registry itself is never emptied:
    /// stop its jobs (rqctl stop-job) or let rqctl clean fail the abandoned ones.
    #[arg(long, requires = "registry")]
    pub force: bool,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what would be deleted, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(
    args: &EmptyArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    if !args.all && args.queues.is_empty() {
        return Err(UsageError("name the queues to empty, or use --all".into()).into());
    }
    let queues = super::queues_or_all(client, if args.all { &[] } else { &args.queues }).await?;
    let mut plans = Vec::new();
    for q in &queues {
        plans.push(match args.registry {
            None => client.empty_queue(q, true).await?,
            Some(r) => client.empty_registry(q, r, args.force, true).await?,
        });
    }
    if args.dry_run {
        return print_reports(out, &plans, true);
    }
    let total: u64 = plans.iter().map(|p| p.matched).sum();
    let place = match args.registry {
        None => "queue".to_string(),
        Some(r) => format!("the {} registry of queue", r.name()),
    };
    let names = if queues.len() == 1 {
        format!("{place} {}", queues[0])
    } else {
        format!(
            "{place}s {} ({})",
            thousands(queues.len() as u64),
            queues.join(", ")
        )
    };
    let question = format!("Delete {} from {names}?", count(total, "job"));
    if !confirm(out, args.yes, &question)? {
        return Ok(ExitCode::from(1));
    }
    let mut reports = Vec::new();
    for q in &queues {
        // A failure on one queue is reported with it; the others are still emptied.
        let result = match args.registry {
            None => client.empty_queue(q, false).await,
            Some(r) => client.empty_registry(q, r, args.force, false).await,
        };
        reports.push(result.unwrap_or_else(|e| Report::failed("empty", q, &e)));
    }
    print_reports(out, &reports, false)
}

#[derive(Debug, Args)]
pub struct DeleteQueueArgs {
    /// The queue to delete.
    #[arg(value_name = "QUEUE")]
    pub queue: String,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what would be deleted, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn delete_queue(
    args: &DeleteQueueArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    // Unlike the job commands, an empty queue is still worth deleting (it leaves rq:queues).
    super::known_queue(client, &args.queue).await?;
    let plan = client.delete_queue(&args.queue, true).await?;
    if args.dry_run {
        return print_reports(out, &[plan], true);
    }
    let question = format!(
        "Delete queue {} and its {}?",
        args.queue,
        count(plan.matched, "queued job")
    );
    if !confirm(out, args.yes, &question)? {
        return Ok(ExitCode::from(1));
    }
    let report = client.delete_queue(&args.queue, false).await?;
    print_reports(out, &[report], false)
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    /// The queue to compact.
    #[arg(value_name = "QUEUE")]
    pub queue: String,
    /// Print how many dangling ids would be dropped, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn compact(
    args: &CompactArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    super::known_queue(client, &args.queue).await?;
    let report = client.compact_queue(&args.queue, args.dry_run).await?;
    print_reports(out, &[report], args.dry_run)
}
