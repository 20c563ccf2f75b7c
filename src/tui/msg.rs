//! What can happen (messages into the app) and what the app asks for (commands out of it).

use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::rq::mutate::{Report, WorkerCommand};
use crate::rq::{Job, JobPage, JobQuery, Overview, Schedules};

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
}

/// Requests to the refresh task. Imperatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    SetWatch(Watch),
    RefreshNow,
    Run(Mutation),
    /// `:ctx NAME`: the console (not the refresh task) reconnects to another context.
    SwitchContext(String),
}
