//! Printing mutation reports, asking for confirmation, and the read-only guard.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use serde::Serialize;

use super::output::Output;
use crate::present::{safe, thousands};
use crate::rq::mutate::Report;

/// A usage problem (exit code 2), e.g. a destructive command without `--yes` off a terminal.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Refuses any mutation in read-only mode, before Redis is touched.
pub fn guard_writable(read_only: bool, what: &str) -> anyhow::Result<()> {
    if read_only {
        anyhow::bail!("read-only mode (--read-only or RQTOP_READ_ONLY): refusing to {what}");
    }
    Ok(())
}

/// Asks on the terminal whether to go on; without a terminal, `--yes` is required.
pub fn confirm(out: &mut Output, yes: bool, question: &str) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "not confirmed (no terminal to ask: \"{}\"); pass --yes to run without one",
            safe(question)
        ))
        .into());
    }
    // The question names queues and jobs: one line, made safe, so that no name can
    // rewrite the prompt.
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{} [y/N] ", safe(question));
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let ok = matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes");
    if !ok {
        out.note("aborted, nothing changed");
        if out.json {
            // A script reading --json always gets a document, a declined prompt included.
            out.json(&serde_json::json!({"ok": false, "error": "not confirmed: nothing changed"}))?;
        }
    }
    Ok(ok)
}

#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    ok: bool,
    dry_run: bool,
    reports: &'a [T],
}

/// Prints reports (text or one JSON document) and returns the exit code: 0 when everything
/// targeted was done, 1 otherwise.
pub fn print_reports(
    out: &mut Output,
    reports: &[Report],
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let ok = reports.iter().all(Report::complete);
    if out.json {
        out.json(&Document {
            ok,
            dry_run,
            reports,
        })?;
    } else {
        for r in reports {
            print_one(out, r);
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `1 job`, `2 jobs`, `1,204 jobs`: a count with its noun in the right number.
#[must_use]
pub fn count(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// The shape every destructive command shares: with `--dry-run` print the plan; when every
/// target was refused or missing, report that (exit 1); otherwise confirm (`question` is
/// built from the plan: how many, from where, to where) and run.
pub async fn plan_confirm_run(
    out: &mut Output,
    dry_run: bool,
    yes: bool,
    mut plan: Report,
    question: impl FnOnce(&Report) -> String,
    run: impl AsyncFnOnce() -> crate::rq::Result<Report>,
) -> anyhow::Result<ExitCode> {
    if dry_run {
        return print_reports(out, &[plan], true);
    }
    if plan.matched == 0 {
        plan.dry_run = false;
        return print_reports(out, &[plan], false);
    }
    if !confirm(out, yes, &question(&plan))? {
        return Ok(ExitCode::from(1));
    }
    let report = run().await?;
    print_reports(out, &[report], false)
}

fn print_one(out: &mut Output, r: &Report) {
    // (verb for a dry run, verb in the past, noun)
    let (verb, past, noun) = match r.action {
        "requeue" => ("requeue", "requeued", "job"),
        "delete" => ("delete", "deleted", "job"),
        "cancel" => ("cancel", "canceled", "job"),
        "empty" | "delete-queue" => ("remove", "removed", "job"),
        "enqueue-now" => ("enqueue", "enqueued", "job"),
        "compact" => ("drop", "dropped", "dangling id"),
        "shutdown" => ("send shutdown to", "sent shutdown to", "worker"),
        "kill-horse" => ("send kill-horse to", "sent kill-horse to", "worker"),
        "stop-job" => ("send stop-job for", "sent stop-job for", "job"),
        other => (other, other, "job"),
    };
    let count = |n: u64| format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" });
    // "from the named jobs" says nothing: name the source only when it is a place.
    let from = if r.source.starts_with("the named") {
        String::new()
    } else {
        format!(" from {}", safe(&r.source))
    };
    let to = r
        .destination
        .as_deref()
        .map(|d| match d {
            // One job has one queue.
            "their queues" if r.done.max(r.matched) == 1 => " to its queue".to_string(),
            d => format!(" to {}", safe(d)),
        })
        .unwrap_or_default();
    let dangling = |n: u64| {
        format!(
            "{} dangling id{} (job hash gone)",
            thousands(n),
            if n == 1 { "" } else { "s" }
        )
    };
    if r.dry_run {
        let sample = if r.sample.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = r.sample.iter().map(|id| safe(id).into_owned()).collect();
            format!(" (e.g. {})", ids.join(", "))
        };
        out.line(&format!(
            "dry run: would {verb} {}{from}{to}{sample}",
            count(r.matched)
        ));
        if r.dangling_removed > 0 {
            out.line(&format!(
                "dry run: would remove {} from {}, as RQ's cleanup does",
                dangling(r.dangling_removed),
                safe(&r.source)
            ));
        }
    } else if r.unknown > 0 {
        out.line(&format!(
            "{past} at least {}{from}{to}; the outcome of {} more is unknown (the connection failed before Redis answered)",
            count(r.done),
            thousands(r.unknown)
        ));
    } else {
        out.line(&format!("{past} {}{from}{to}", count(r.done)));
    }
    if r.expired_left > 0 {
        out.line(&format!(
            "left {} expired entr{} in {} for RQ's cleanup (RQ drops them rather than requeue them)",
            thousands(r.expired_left),
            if r.expired_left == 1 { "y" } else { "ies" },
            safe(&r.source)
        ));
    }
    if !r.dry_run && r.dangling_removed > 0 {
        out.line(&format!(
            "removed {} from {}, as RQ's cleanup does",
            dangling(r.dangling_removed),
            safe(&r.source)
        ));
    }
    if r.skipped_count > 0 {
        out.line(&format!("{} skipped:", thousands(r.skipped_count)));
        for s in r.skipped.iter().take(20) {
            out.line(&format!("  {}: {}", safe(&s.id), safe(&s.reason)));
        }
        if r.skipped_count > 20 {
            out.line(&format!(
                "  … and {} more (--json lists up to 1,000)",
                thousands(r.skipped_count - 20)
            ));
        }
    }
    if let Some(e) = &r.error {
        out.line(&format!("stopped early: {e}"));
    }
    // One line of advice for the kind of trouble met, whether it stopped the run or only
    // some jobs.
    let trouble = r
        .error
        .iter()
        .chain(r.skipped.iter().map(|s| &s.reason))
        .map(|t| advice(t, r.error.is_some()))
        .find(|a| !a.is_empty());
    if let Some(a) = trouble {
        out.line(&a);
    }
}

/// What a person can do about an error or a refusal; empty when there is nothing to add.
fn advice(trouble: &str, stopped: bool) -> String {
    let t = trouble.to_ascii_lowercase();
    let first = if stopped {
        "what is done is done; "
    } else {
        "the jobs named above were left exactly as they were; "
    };
    if t.contains("noperm") || t.contains("no permission") {
        format!(
            "{first}the Redis user lacks the permission named above: grant it (ACL SETUSER) or run as a user who has it, then run the command again"
        )
    } else if t.contains("wrongtype") || t.contains("wrong type") {
        format!(
            "{first}a key named above is not of the type RQ uses: inspect it (redis-cli TYPE) before running the command again"
        )
    } else if stopped {
        format!("{first}run the command again: it acts only on what is still there")
    } else {
        String::new()
    }
}
