//! The Failures tab's state: signatures filtered and sorted, the one opened, and the
//! confirmation for acting on every job of a signature.

use super::rows::Needle;
use super::{App, Tab};
use crate::present::thousands;
use crate::rq::failures::FailureGroup;
use crate::tui::action::Action;
use crate::tui::msg::{Mutation, SignatureAction};

impl App {
    /// The signatures the table shows: filtered (id, function, error), in the chosen sort.
    #[must_use]
    pub fn visible_failures(&self) -> Vec<&FailureGroup> {
        let Some(r) = &self.failures else {
            return Vec::new();
        };
        let needle = Needle::new(&self.filter);
        let mut rows: Vec<&FailureGroup> = r
            .groups
            .iter()
            .filter(|g| {
                let error = g.signature.error();
                needle.any(&[
                    Some(g.signature.id.as_str()),
                    Some(g.signature.function.as_str()),
                    Some(error.as_str()),
                ])
            })
            .collect();
        match self.fail_nav.sort {
            1 => rows.sort_by_key(|g| std::cmp::Reverse(g.last)),
            2 => rows.sort_by(|a, b| a.signature.id.cmp(&b.signature.id)),
            _ => {} // by count: the report's own order
        }
        rows
    }

    /// The signature open on the Failures tab, if it is still there.
    #[must_use]
    pub fn open_group(&self) -> Option<&FailureGroup> {
        let (id, _) = self.signature_open.as_ref()?;
        self.failures
            .as_ref()?
            .groups
            .iter()
            .find(|g| &g.signature.id == id)
    }

    /// Enter on an opened signature: the Jobs tab on the failed registry of its busiest
    /// queue, searched for `sig=ID` (the whole registry, not a page).
    pub(super) fn signature_jobs(&mut self, out: &mut Vec<crate::tui::msg::Command>) {
        let Some(g) = self.open_group() else {
            return;
        };
        let id = g.signature.id.clone();
        let Some(queue) = g
            .queues
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(q, _)| q.clone())
        else {
            return;
        };
        self.signature_open = None;
        self.tab = Tab::Jobs;
        self.jobs.queue = Some(queue);
        self.jobs.source = crate::rq::JobSource::Registry(crate::rq::Registry::Failed);
        self.reset_page();
        self.filter = format!("sig={id}");
        self.start_search(out);
    }

    pub(super) fn open_signature(&mut self) {
        let id = self
            .visible_failures()
            .get(self.fail_nav.selected)
            .map(|g| g.signature.id.clone());
        if let Some(id) = id {
            self.signature_open = Some((id, 0));
        }
    }

    /// R, D or C on a signature: every job of it, in every queue, behind a confirmation
    /// that says how many and where.
    pub(super) fn plan_signature(&self, action: Action) -> Result<(String, Mutation), String> {
        debug_assert_eq!(self.tab, Tab::Failures);
        let group = match self.open_group() {
            Some(g) => g,
            None => *self
                .visible_failures()
                .get(self.fail_nav.selected)
                .ok_or_else(|| "no signature selected".to_string())?,
        };
        let n = group.count;
        let jobs = if n == 1 {
            "1 job".to_string()
        } else {
            format!("{} jobs", thousands(n))
        };
        let queues: Vec<String> = group
            .queues
            .iter()
            .map(|(q, c)| format!("{q} ({})", thousands(*c)))
            .collect();
        let (verb, what, tail) = match action {
            Action::Requeue => ("Requeue", SignatureAction::Requeue, " onto their queues"),
            Action::Delete => (
                "Delete",
                SignatureAction::Delete,
                " with their results? This cannot be undone",
            ),
            Action::Cancel => (
                "Cancel",
                SignatureAction::Cancel,
                "? They move to the canceled registry",
            ),
            _ => return Err("not an action on a signature".into()),
        };
        let text = format!(
            "{verb} {jobs} of signature {} ({}) from {}{tail}{}",
            group.signature.id,
            group.signature.error(),
            queues.join(", "),
            if action == Action::Requeue { "?" } else { "." }
        );
        Ok((text, Mutation::Signature(what, group.signature.id.clone())))
    }
}
