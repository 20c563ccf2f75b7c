//! `/` on the Jobs tab: the selector language over the whole queue or registry, not only
//! the loaded page. The scan runs in the refresh task; its matches arrive as it goes (the
//! count updates), Esc cancels it, and `*` marks every match so that R/D/C act on them all.

use super::{App, Status, Tab, Tone};
use crate::rq::JobSummary;
use crate::rq::select;
use crate::tui::msg::{Command, SearchRequest};

/// Rows a search keeps (its count goes on past them).
pub const MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub generation: u64,
    /// The selector as parsed and printed back.
    pub selector: String,
    pub scanned: u64,
    pub matched: u64,
    pub rows: Vec<JobSummary>,
    pub done: bool,
    pub error: Option<String>,
}

impl App {
    /// Enter after `/` on the Jobs tab: parse the filter as a selector and scan for it.
    pub(super) fn start_search(&mut self, out: &mut Vec<Command>) {
        if self.tab != Tab::Jobs || self.filter.trim().is_empty() {
            return;
        }
        let Some(queue) = self.jobs.queue.clone() else {
            return;
        };
        let selector = match select::parse(&self.filter) {
            Ok(s) => s,
            Err(e) => {
                self.status = Some(Status {
                    text: e.to_string(),
                    tone: Tone::Warn,
                });
                return;
            }
        };
        let generation = self.search.as_ref().map_or(1, |s| s.generation + 1);
        self.search = Some(Search {
            generation,
            selector: selector.to_string(),
            scanned: 0,
            matched: 0,
            rows: Vec::new(),
            done: false,
            error: None,
        });
        self.jobs_nav.selected = 0;
        self.jobs_nav.marked.clear();
        out.push(Command::Search(Some(SearchRequest {
            generation,
            queue,
            source: self.jobs.source,
            selector: selector.to_string(),
        })));
    }

    /// Progress of the current search (an older one's is ignored).
    pub(super) fn on_search_progress(
        &mut self,
        generation: u64,
        scanned: u64,
        matches: Vec<JobSummary>,
        done: bool,
        error: Option<String>,
    ) {
        let Some(s) = self.search.as_mut().filter(|s| s.generation == generation) else {
            return;
        };
        s.scanned = scanned;
        s.matched += matches.len() as u64;
        let room = MAX_ROWS.saturating_sub(s.rows.len());
        s.rows.extend(matches.into_iter().take(room));
        s.done = done;
        s.error = error;
    }

    /// Ends the search (Esc, another queue or registry): the scan stops.
    pub(super) fn end_search(&mut self, out: &mut Vec<Command>) {
        if self.search.take().is_some() {
            out.push(Command::Search(None));
        }
    }

    /// `*`: marks every job shown (every match of a search, up to `MAX_ROWS`).
    pub(super) fn mark_all(&mut self) {
        let ids: Vec<String> = self.visible_jobs().iter().map(|j| j.id.clone()).collect();
        self.jobs_nav.marked.extend(ids);
    }
}
