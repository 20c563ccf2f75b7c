//! What can happen (messages into the app) and what the app asks for (commands out of it).

use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::rq::failures::FailureReport;
use crate::rq::mutate::{Report, WorkerCommand};
use crate::rq::{Job, JobPage, JobQuery, JobSource, JobSummary, Overview, Schedules};

/// The state of the connection, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    /// Fresh through keyspace events (with a slow safety poll).
    Live,
    /// Notifications off or unknown: polling every `every`.
    Polling {
        every: std::time::Duration,
        why: String,
    },
    /// Lost; retrying (attempt n) after an error.
    Reconnecting {
        attempt: u32,
        error: String,
    },
}

/// Everything the app reacts to. Past-tense facts.
#[derive(Debug)]
pub enum Msg {
    KeyPressed(KeyEvent),
    Resized,
    /// Once a second: ages labels and records sparkline samples.
    Ticked,
    OverviewLoaded(Box<Overview>, SystemTime),
    PageLoaded(JobPage),
    JobLoaded {
        id: String,
        result: Result<Box<Job>, String>,
    },
    SchedulesLoaded(Schedules),
    FailuresLoaded(FailureReport),
    /// A search's matches so far (only the new ones) and how many jobs it has looked at.
    SearchProgress {
        generation: u64,
        scanned: u64,
        matches: Vec<JobSummary>,
        done: bool,
        error: Option<String>,
    },
    ActionFinished {
        label: String,
        result: Result<Vec<Report>, String>,
    },
    ConnectionChanged(ConnState),
    /// Sentinel promoted another server: rqtop now reads from it (the header's new target).
    MasterChanged {
        target: String,
    },
}

/// What the app wants kept fresh; the refresh task re-reads these when they go stale.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watch {
    pub page: Option<JobQuery>,
    pub job: Option<String>,
    pub schedules: bool,
    /// Failure signatures (the Failures tab), kept current incrementally.
    pub failures: bool,
}

/// A change the user confirmed; the refresh task runs it through the data layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    Requeue(Vec<String>),
    RequeueAllFailed(String),
    Delete(Vec<String>),
    Cancel(Vec<String>),
    EnqueueNow(Vec<String>),
    Empty(String),
    StopJob(String),
    Worker(Vec<String>, WorkerCommand),
    Suspend,
    Resume,
    /// Every failed job of a signature, across queues (selected again when it runs).
    Signature(SignatureAction, String),
}

/// What to do with a signature's jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAction {
    Requeue,
    Delete,
    Cancel,
}

/// Requests to the refresh task. Imperatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    SetWatch(Watch),
    RefreshNow,
    Run(Mutation),
    /// `:ctx NAME`: the console (not the refresh task) reconnects to another context.
    SwitchContext(String),
    /// Start a search (any running one stops), or stop it (None).
    Search(Option<SearchRequest>),
}

/// A selector scan of a whole queue or registry (`/` on the Jobs tab).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub generation: u64,
    pub queue: String,
    pub source: JobSource,
    /// The selector, as text (it parsed in the app).
    pub selector: String,
}
