//! `rqctl ratelimits [KEY]`: RQ 3.0 rate limits, and the jobs waiting for one.

use std::time::SystemTime;

use clap::Args;

use crate::cli::output::Output;
use crate::present::{self, TextTable, thousands};
use crate::rq::RqClient;

#[derive(Debug, Args)]
pub struct RateLimitsArgs {
    /// A rate-limit key: list the jobs waiting for one of its slots.
    #[arg(value_name = "KEY")]
    pub key: Option<String>,
    /// How many waiting jobs to list, 1 to 10,000.
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,
}

pub async fn run(
    args: &RateLimitsArgs,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<()> {
    let now = SystemTime::now();
    let Some(key) = &args.key else {
        let limits = client.overview().await?.rate_limits;
        if out.json {
            // An object, as `ratelimits KEY --json` is.
            return out.json(&serde_json::json!({"rate_limits": limits}));
        }
        if limits.is_empty() {
            out.line("no rate limits (RQ 3.0's RateLimit: none in use)");
            return Ok(());
        }
        let mut t = TextTable::new(&[
            "KEY",
            ">CONCURRENCY",
            ">SLOTS HELD",
            ">WAITING",
            ">LONGEST WAIT",
        ]);
        for l in &limits {
            t.row(vec![
                l.key.clone(),
                l.concurrency.map_or_else(|| "?".into(), thousands),
                thousands(l.allowed),
                thousands(l.waiting),
                present::age(l.oldest_waiting_since, now),
            ]);
        }
        out.text(&t.render());
        return Ok(());
    };
    let (total, jobs) = client.rate_limited_jobs(key, args.limit).await?;
    if total == 0 {
        // A typo must not read as "nobody waits": the key must be one RQ knows.
        let known: Vec<String> = client
            .overview()
            .await?
            .rate_limits
            .into_iter()
            .map(|l| l.key)
            .collect();
        if !known.contains(key) {
            return Err(crate::rq::Error::NotFound {
                kind: "rate limit",
                id: format!(
                    "{key} (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            }
            .into());
        }
    }
    if out.json {
        return out.json(&serde_json::json!({"key": key, "waiting": total, "jobs": jobs}));
    }
    let mut t = TextTable::new(&["ID", "QUEUE", "FUNCTION", "CREATED"]);
    for j in &jobs {
        t.row(vec![
            j.id.clone(),
            j.origin.clone().unwrap_or_else(|| "-".into()),
            j.func_name.clone().unwrap_or_else(|| "?".into()),
            present::ago(j.created_at, now),
        ]);
    }
    out.text(&t.render());
    out.line(&format!(
        "{} of {} jobs waiting for a slot of {} (longest waiting first)",
        thousands(jobs.len() as u64),
        thousands(total),
        present::safe(key)
    ));
    Ok(())
}
