//! `rqctl requeue ID...` and `rqctl requeue --all REGISTRY [--queue Q]...`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{UsageError, print_reports};
use crate::rq::{Registry, RqClient};

#[derive(Debug, Args)]
pub struct RequeueArgs {
    /// Job ids to requeue (from whichever registry they are in).
    pub ids: Vec<String>,
    /// Requeue every job of this registry: failed, canceled, finished, started (only
    /// abandoned ones), deferred or scheduled.
    #[arg(long, value_name = "REGISTRY", conflicts_with = "ids")]
    pub all: Option<Registry>,
    /// Limit --all to these queues (default: every queue).
    #[arg(long = "queue", short = 'q', value_name = "QUEUE", requires = "all")]
    pub queues: Vec<String>,
    /// Put the jobs at the head of their queue.
    #[arg(long)]
    pub at_front: bool,
    /// Show what would be requeued, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(
    args: &RequeueArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let reports = match args.all {
        Some(registry) => {
            let queues = super::queues_or_all(client, &args.queues).await?;
            client
                .requeue_all(registry, &queues, args.at_front, args.dry_run)
                .await?
        }
        None if args.ids.is_empty() => {
            return Err(UsageError("name job ids, or use --all REGISTRY".into()).into());
        }
        None => vec![
            client
                .requeue_jobs(&args.ids, args.at_front, args.dry_run)
                .await?,
        ],
    };
    print_reports(out, &reports, args.dry_run)
}
