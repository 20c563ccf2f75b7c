//! The fleet's rows: every target's queues (or workers), filtered and sorted across targets.

use super::{Fleet, Target};
use crate::rq::{QueueInfo, WorkerInfo};

/// The sort orders of the Queues tab, as the title names them.
pub const QUEUE_SORTS: [&str; 4] = ["target", "queued", "failed", "name"];
/// The sort orders of the Workers tab.
pub const WORKER_SORTS: [&str; 3] = ["target", "state", "name"];

/// (target index, queue) of every row shown, in order.
#[must_use]
pub fn queue_rows(f: &Fleet) -> Vec<(usize, &QueueInfo)> {
    let needle = f.filter.to_lowercase();
    let mut rows: Vec<(usize, &QueueInfo)> = f
        .targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| queues(t).iter().map(move |q| (i, q)))
        .filter(|(i, q)| matches(&needle, &f.targets[*i].name, &[&q.name]))
        .collect();
    match QUEUE_SORTS.get(f.nav.sort).copied().unwrap_or("target") {
        "queued" => rows.sort_by_key(|r| std::cmp::Reverse(r.1.queued)),
        "failed" => rows.sort_by_key(|r| std::cmp::Reverse(r.1.failed)),
        "name" => rows.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0))),
        _ => {} // targets in the order given, each one's queues as it lists them
    }
    rows
}

/// (target index, worker) of every row shown, in order.
#[must_use]
pub fn worker_rows(f: &Fleet) -> Vec<(usize, &WorkerInfo)> {
    let needle = f.filter.to_lowercase();
    let mut rows: Vec<(usize, &WorkerInfo)> = f
        .targets
        .iter()
        .enumerate()
        .flat_map(|(i, t)| workers(t).iter().map(move |w| (i, w)))
        .filter(|(i, w)| {
            let queues = w.queues.join(",");
            matches(&needle, &f.targets[*i].name, &[&w.name, &w.state, &queues])
        })
        .collect();
    match WORKER_SORTS.get(f.nav.sort).copied().unwrap_or("target") {
        "state" => rows.sort_by(|a, b| a.1.state.cmp(&b.1.state).then(a.0.cmp(&b.0))),
        "name" => rows.sort_by(|a, b| a.1.name.cmp(&b.1.name).then(a.0.cmp(&b.0))),
        _ => {}
    }
    rows
}

fn queues(t: &Target) -> &[QueueInfo] {
    t.overview.as_ref().map_or(&[], |o| o.queues.as_slice())
}

fn workers(t: &Target) -> &[WorkerInfo] {
    t.overview.as_ref().map_or(&[], |o| o.workers.as_slice())
}

/// The filter matches the target's name or any of the fields (case-insensitive).
fn matches(needle: &str, target: &str, fields: &[&str]) -> bool {
    needle.is_empty()
        || target.to_lowercase().contains(needle)
        || fields.iter().any(|f| f.to_lowercase().contains(needle))
}
