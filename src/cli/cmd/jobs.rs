//! `rqctl jobs QUEUE [--registry R] [--limit N] [--offset N] [--newest]`; with `--where` or
//! `--signature`, see `jobs_where`.

use std::time::SystemTime;

use clap::Args;

use crate::cli::output::Output;
use crate::cli::report;
use crate::present::{self, TextTable, thousands};
use crate::rq::{JobQuery, JobSource, Registry, RqClient};

#[derive(Debug, Args)]
pub struct JobsArgs {
    /// The queue name.
    #[arg(value_name = "QUEUE")]
    pub queue: String,
    /// A registry instead of the queue itself: started, deferred, finished, failed,
    /// scheduled, canceled or ready (RQ 3.0).
    #[arg(long, short = 'r')]
    pub registry: Option<Registry>,
    /// How many jobs to show, 1 to 10,000.
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
    /// How many to skip first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Reverse the order: by default the next job to run first (queue), the soonest to expire
    /// (failed, finished, started), the soonest due (scheduled), else the oldest.
    #[arg(long)]
    pub newest: bool,
    #[command(flatten)]
    pub select: crate::cli::select_args::SelectArgs,
}

pub async fn run(args: &JobsArgs, client: &mut RqClient, out: &mut Output) -> anyhow::Result<()> {
    if args.select.any() {
        return super::jobs_where::run(args, client, out).await;
    }
    let query = JobQuery {
        queue: args.queue.clone(),
        source: args.registry.map_or(JobSource::Queue, JobSource::Registry),
        offset: args.offset,
        limit: args.limit,
        newest_first: args.newest,
    };
    let page = client.jobs(&query).await?;
    if page.total == 0 {
        super::known_queue(client, &args.queue).await?;
    }
    if out.json {
        return out.json(&page);
    }
    let now = SystemTime::now();
    // What a registry's score means, as a column: when it runs, or when RQ drops it.
    let when = match page.source {
        JobSource::Registry(Registry::Scheduled) => Some("RUNS"),
        JobSource::Registry(Registry::Failed | Registry::Finished) => Some("EXPIRES"),
        _ => None,
    };
    // Running jobs have not ended: when they started is what matters.
    let running = page.source == JobSource::Registry(Registry::Started);
    let mut headers = vec![
        "ID",
        "STATUS",
        "FUNCTION",
        "CREATED",
        if running { "STARTED" } else { "ENDED" },
    ];
    headers.extend(when);
    headers.push("ERROR");
    let mut t = TextTable::new(&headers);
    for j in &page.jobs {
        let mut row = vec![
            j.id.clone(),
            match &j.status {
                _ if j.abandoned(page.source, now) => "abandoned".to_string(),
                Some(s) => s.to_string(),
                None => "MISSING".to_string(),
            },
            // From `data` only; `?` when it cannot be read there.
            present::clip(
                j.func_name
                    .as_deref()
                    .unwrap_or(if j.missing { "-" } else { "?" }),
                40,
            ),
            present::ago(j.created_at, now),
            present::ago(if running { j.started_at } else { j.ended_at }, now),
        ];
        if when.is_some() {
            row.push(match j.score {
                Some(s) if s < 0.0 => "never".to_string(),
                _ => present::ago(j.score_at, now),
            });
        }
        row.push(if j.missing {
            "job hash is gone (dangling id)".to_string()
        } else {
            present::clip(j.error.as_deref().unwrap_or(""), 60)
        });
        t.row(row);
    }
    if !page.jobs.is_empty() {
        out.text(&t.render());
    }
    let shown_to = page.offset + page.jobs.len() as u64;
    out.line(&format!(
        "{} of {} {} jobs in {} ({})",
        if page.jobs.is_empty() {
            "none".to_string()
        } else {
            format!("{}-{}", thousands(page.offset + 1), thousands(shown_to))
        },
        thousands(page.total),
        page.source,
        present::safe(&page.queue),
        present::order_words(page.source, page.newest_first)
    ));
    let abandoned = page
        .jobs
        .iter()
        .filter(|j| j.abandoned(page.source, now))
        .count();
    if abandoned > 0 {
        out.line(&format!(
            "{} abandoned: the worker stopped heartbeating (died or was killed); not counted as started. `rqctl clean` fails them as RQ's cleanup would.",
            report::count(abandoned as u64, "job")
        ));
    }
    Ok(())
}
