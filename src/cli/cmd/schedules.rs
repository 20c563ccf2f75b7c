//! `rqctl schedules`.

use std::time::SystemTime;

use clap::Args;

use crate::cli::output::Output;
use crate::present::{self, TextTable};
use crate::rq::{RqClient, ScheduleSource};

#[derive(Debug, Args)]
pub struct SchedulesArgs {
    /// How many entries to show.
    #[arg(long, short = 'n', default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
}

pub async fn run(
    args: &SchedulesArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<()> {
    let sched = client.schedules(args.limit).await?;
    if out.json {
        return out.json(&sched);
    }
    let now = SystemTime::now();
    let mut t = TextTable::new(&[
        "NEXT RUN", "SOURCE", "QUEUE", "ID", "FUNCTION", "EVERY", "REPEAT",
    ]);
    for e in &sched.entries {
        let every = match (&e.cron, e.interval) {
            (Some(c), _) => c.clone(),
            (None, Some(i)) => present::span(i),
            (None, None) => "-".to_string(),
        };
        t.row(vec![
            present::ago(e.next_run, now),
            match e.source {
                ScheduleSource::Scheduled => "scheduled",
                ScheduleSource::RqCron => "rq cron",
                ScheduleSource::RqScheduler => "rq-scheduler",
            }
            .to_string(),
            e.queue.clone().unwrap_or_else(|| "-".into()),
            if e.missing {
                format!("{} (job gone)", e.id)
            } else {
                e.id.clone()
            },
            present::clip(e.func_name.as_deref().unwrap_or("-"), 40),
            every,
            e.repeat.map_or_else(|| "-".into(), |r| r.to_string()),
        ]);
    }
    if sched.entries.is_empty() {
        out.line("nothing scheduled");
    } else {
        out.text(&t.render());
        if sched.truncated {
            out.line(&format!(
                "(first {} shown; use --limit for more)",
                sched.entries.len()
            ));
        }
    }
    Ok(())
}
