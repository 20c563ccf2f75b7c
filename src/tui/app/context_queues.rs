//! A context's `queues`: rqtop shows only those queues and the workers listening to them.

use crate::rq::Overview;

/// Cuts the overview down to `only` (nothing to do when it is empty).
pub(super) fn keep_only(ov: &mut Overview, only: &[String]) {
    if only.is_empty() {
        return;
    }
    let wanted: std::collections::HashSet<&str> = only.iter().map(String::as_str).collect();
    ov.queues.retain(|q| wanted.contains(q.name.as_str()));
    ov.workers
        .retain(|w| w.queues.iter().any(|q| wanted.contains(q.as_str())));
}
