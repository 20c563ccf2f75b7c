//! requeue, delete and cancel over a selection: `--all REGISTRY [--queue Q]... --where SEL`
//! or `--signature ID`. The registry is scanned once (bounded, in batches) for the matching
//! ids; `--dry-run` prints that plan (count per queue, sample ids); otherwise the ids go to
//! the atomic scripts, which re-check that each job is still in the registry it was
//! selected from and skip (and report) one that moved meanwhile.

use std::process::ExitCode;

use crate::cli::output::Output;
use crate::cli::report::{confirm, count, print_reports};
use crate::cli::select_args::SelectArgs;
use crate::rq::mutate::Report;
use crate::rq::select::Matches;
use crate::rq::{JobSource, Registry, RqClient};

/// What to do with the selected jobs.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Requeue { at_front: bool },
    Delete { force: bool },
    Cancel { force: bool },
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Requeue { .. } => "requeue",
            Self::Delete { .. } => "delete",
            Self::Cancel { .. } => "cancel",
        }
    }
}

pub struct Selection<'a> {
    pub registry: Registry,
    pub queues: &'a [String],
    pub select: &'a SelectArgs,
    pub dry_run: bool,
    pub yes: bool,
}

pub async fn run(
    sel: &Selection<'_>,
    action: Action,
    client: &mut RqClient,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    let queues = super::queues_or_all(client, sel.queues).await?;
    let selector = sel.select.combined();
    let matches = client
        .select_jobs(
            JobSource::Registry(sel.registry),
            &queues,
            &selector,
            |_| {},
        )
        .await?;
    // Queues with no match are left out of the plan, unless nothing matched at all.
    let any = matches.iter().any(|m| !m.ids.is_empty());
    let plans: Vec<Report> = matches
        .iter()
        .filter(|m| !any || !m.ids.is_empty())
        .map(|m| plan(action, sel.registry, m))
        .collect();
    if sel.dry_run {
        return print_reports(out, &plans, true);
    }
    let total: u64 = plans.iter().map(|p| p.matched).sum();
    if total == 0 {
        let done: Vec<Report> = plans
            .into_iter()
            .map(|mut p| {
                p.dry_run = false;
                p
            })
            .collect();
        return print_reports(out, &done, false);
    }
    let asks = match action {
        Action::Requeue { .. } => matches!(sel.registry, Registry::Finished | Registry::Canceled),
        Action::Delete { .. } | Action::Cancel { .. } => true,
    };
    if asks {
        let from: Vec<String> = plans
            .iter()
            .filter(|p| p.matched > 0)
            .map(|p| format!("{} ({})", p.source, crate::present::thousands(p.matched)))
            .collect();
        let question = format!(
            "{} {} selected by '{}' from {}?{}",
            match action {
                Action::Requeue { .. } => "Requeue",
                Action::Delete { .. } => "Delete",
                Action::Cancel { .. } => "Cancel",
            },
            count(total, "job"),
            selector,
            from.join(", "),
            match action {
                Action::Delete { .. } => " Their hashes and results go too.",
                Action::Cancel { .. } => " They move to the canceled registry and will not run.",
                Action::Requeue { .. } =>
                    " They already ran: running them again repeats their side effects.",
            }
        );
        if !confirm(out, sel.yes, &question)? {
            return Ok(ExitCode::from(1));
        }
    }
    let mut reports = Vec::new();
    for m in matches.iter().filter(|m| !m.ids.is_empty()) {
        let mut r = match action {
            Action::Requeue { at_front } => {
                client
                    .requeue_selected(sel.registry, &m.queue, &m.ids, at_front)
                    .await?
            }
            Action::Delete { force } => {
                client
                    .delete_from_registry(sel.registry, &m.queue, &m.ids, force)
                    .await?
            }
            Action::Cancel { force } => {
                let mut r = client.cancel_jobs(&m.ids, force, false).await?;
                r.source = format!("{}@{}", sel.registry, m.queue);
                r
            }
        };
        r.sample_from(m.ids.iter().map(String::as_str));
        reports.push(r);
    }
    print_reports(out, &reports, false)
}

fn plan(action: Action, registry: Registry, m: &Matches) -> Report {
    let mut r = Report::new(action.name(), format!("{registry}@{}", m.queue), true);
    if let Action::Requeue { .. } = action {
        r.destination = Some(format!("queue {}", m.queue));
    }
    r.matched = m.ids.len() as u64;
    r.sample_from(m.ids.iter().map(String::as_str));
    r
}
