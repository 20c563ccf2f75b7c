//! `rqctl job ID`.

use std::time::SystemTime;

use clap::Args;

use crate::cli::output::Output;
use crate::present::job_text;
use crate::rq::RqClient;

#[derive(Debug, Args)]
pub struct JobArgs {
    /// The job id.
    pub id: String,
}

pub async fn run(args: &JobArgs, client: &mut RqClient, out: &mut Output) -> anyhow::Result<()> {
    let job = client.job(&args.id).await?;
    if out.json {
        return out.json(&job);
    }
    out.text(&job_text(&job, SystemTime::now()));
    Ok(())
}
