//! `rqctl info|queues|workers` over several contexts (`-c a -c b`, `--all-contexts`): every
//! target is read in parallel, each bounded by its own timeouts, so one that is down or
//! slow never delays the others by more than that. One JSON document holds one entry per
//! target; text prints one section per target.

use std::process::ExitCode;

use serde::Serialize;

use super::info::{self, InfoArgs};
use crate::cli::output::Output;
use crate::cli::report::UsageError;
use crate::cli::{Cli, Command};
use crate::config::Resolved;
use crate::rq::{Overview, RqClient};

/// What was asked of every target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum What {
    Info,
    Queues,
    Workers,
}

/// One target's entry: its document (as the one-target command prints it) or its error.
#[derive(Serialize)]
struct Entry<'a> {
    context: &'a str,
    /// The URL with any password as `***`.
    target: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a Overview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queues: Option<&'a [crate::rq::QueueInfo]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workers: Option<&'a [crate::rq::WorkerInfo]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn run(cli: &Cli, out: &mut Output) -> anyhow::Result<ExitCode> {
    let empty = InfoArgs {
        queues: Vec::new(),
        interval: None,
    };
    let (what, args) = match &cli.command {
        Command::Info(a) => (What::Info, a),
        Command::Queues(a) => (What::Queues, a),
        Command::Workers => (What::Workers, &empty),
        _ => {
            return Err(UsageError(
                "several contexts work with info, queues and workers only; name one context for other commands".into(),
            )
            .into());
        }
    };
    if cli.connect.url.is_some() {
        return Err(UsageError(
            "--url names one target: leave it out with several contexts".into(),
        )
        .into());
    }
    if args.interval.is_some() {
        return Err(UsageError("--interval works with one context".into()).into());
    }
    let targets = cli.connect.resolve_fleet(None, cli.read_only)?;
    for t in &targets {
        for w in &t.warnings {
            out.note(&format!("{}: {w}", t.context.as_deref().unwrap_or("?")));
        }
    }
    let reads = targets.iter().map(|t| read_one(t, args));
    let results = futures_util::future::join_all(reads).await;
    let mut all_ok = true;
    let entries: Vec<Entry> = targets
        .iter()
        .zip(&results)
        .map(|(t, r)| {
            let ok = r.as_ref().is_ok_and(|ov| ov.problems.is_empty());
            all_ok &= ok;
            Entry {
                context: t.context.as_deref().unwrap_or(""),
                target: crate::rq::redact_url(&t.connect.url),
                ok,
                info: r.as_ref().ok().filter(|_| what == What::Info),
                queues: r
                    .as_ref()
                    .ok()
                    .filter(|_| what == What::Queues)
                    .map(|o| o.queues.as_slice()),
                workers: r
                    .as_ref()
                    .ok()
                    .filter(|_| what == What::Workers)
                    .map(|o| o.workers.as_slice()),
                error: r.as_ref().err().cloned(),
            }
        })
        .collect();
    if out.json {
        out.json(&serde_json::json!({"ok": all_ok, "targets": entries}))?;
    } else {
        print_sections(&entries, &results, what, out);
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_sections(
    entries: &[Entry],
    results: &[Result<Overview, String>],
    what: What,
    out: &mut Output,
) {
    for (i, (e, r)) in entries.iter().zip(results).enumerate() {
        if i > 0 {
            out.line("");
        }
        out.line(&format!("== {} ({})", e.context, e.target));
        match r {
            Err(err) => {
                out.line(&format!("error: {err}"));
                out.note(&format!("rqctl: error: {}: {err}", e.context));
            }
            Ok(ov) => match what {
                What::Info => info::print_info(ov, out),
                What::Queues => {
                    info::note_server_problems(ov, out);
                    info::print_queues(ov, out);
                }
                What::Workers => {
                    info::note_server_problems(ov, out);
                    super::workers::print_workers(&ov.workers, out);
                }
            },
        }
    }
}

/// Connects to one target and reads its overview; any failure is that target's error.
async fn read_one(t: &Resolved, args: &InfoArgs) -> Result<Overview, String> {
    let mut client = RqClient::connect(&t.connect)
        .await
        .map_err(|e| e.to_string())?;
    // A server that accepts the connection but never answers: bounded by the timeouts.
    let limit = t.connect.connect_timeout + t.connect.response_timeout;
    match tokio::time::timeout(limit, info::read(args, &mut client)).await {
        Ok(r) => r.map_err(|e| format!("{e:#}")),
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(limit)
        )),
    }
}
