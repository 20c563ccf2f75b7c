//! `rqctl requeue ID...` and `rqctl requeue --all REGISTRY [--queue Q]... [--where SEL]
//! [--signature ID]`.

use std::process::ExitCode;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report::{UsageError, confirm, count, print_reports};
use crate::cli::select_args::SelectArgs;
use crate::rq::{JobStatus, Registry, RqClient};

#[derive(Debug, Args)]
pub struct RequeueArgs {
    /// Job ids to requeue (from whichever registry they are in).
    #[arg(value_name = "ID")]
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
    /// Do not ask before requeuing jobs that already ran (finished, canceled, stopped);
    /// needed for them without a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Jobs that ran (or may have) before: running them again repeats their side effects.
fn already_ran(status: &JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Finished | JobStatus::Canceled | JobStatus::Stopped
    )
}

const REPEATS: &str =
    "They already ran (or may have): running them again repeats their side effects.";

pub async fn run(
    args: &RequeueArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    if args.select.any() {
        let Some(registry) = args.all else {
            return Err(UsageError(
                "--where and --signature choose from a registry: add --all REGISTRY (e.g. --all failed)".into(),
            )
            .into());
        };
        let sel = super::selected::Selection {
            registry,
            queues: &args.queues,
            select: &args.select,
            dry_run: args.dry_run,
            yes: args.yes,
        };
        let action = super::selected::Action::Requeue {
            at_front: args.at_front,
        };
        return super::selected::run(&sel, action, client, out).await;
    }
    let reports = match args.all {
        Some(registry) => {
            let queues = super::queues_or_all(client, &args.queues).await?;
            if !args.dry_run && matches!(registry, Registry::Finished | Registry::Canceled) {
                let plans = client
                    .requeue_all(registry, &queues, args.at_front, true)
                    .await?;
                let total: u64 = plans.iter().map(|p| p.matched).sum();
                if total > 0 {
                    let from: Vec<&str> = plans.iter().map(|p| p.source.as_str()).collect();
                    let question = format!(
                        "Requeue {} from {} to {}? {REPEATS}",
                        count(total, "job"),
                        from.join(", "),
                        if queues.len() == 1 {
                            format!("queue {}", queues[0])
                        } else {
                            "their queues".to_string()
                        }
                    );
                    if !confirm(out, args.yes, &question)? {
                        return Ok(ExitCode::from(1));
                    }
                }
            }
            client
                .requeue_all(registry, &queues, args.at_front, args.dry_run)
                .await?
        }
        None if args.ids.is_empty() => {
            return Err(UsageError("name job ids, or use --all REGISTRY".into()).into());
        }
        None => {
            if !args.dry_run {
                let statuses = client.job_statuses(&args.ids).await?;
                let ran = statuses.iter().flatten().filter(|s| already_ran(s)).count() as u64;
                if ran > 0 {
                    let question = format!(
                        "Requeue {} ({} already finished, canceled or stopped)? {REPEATS}",
                        count(args.ids.len() as u64, "job"),
                        crate::present::thousands(ran)
                    );
                    if !confirm(out, args.yes, &question)? {
                        return Ok(ExitCode::from(1));
                    }
                }
            }
            vec![
                client
                    .requeue_jobs(&args.ids, args.at_front, args.dry_run)
                    .await?,
            ]
        }
    };
    print_reports(out, &reports, args.dry_run)
}
