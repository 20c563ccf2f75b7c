//! `:ctx NAME`: connecting to another context while the console runs. The binary knows how
//! to resolve a context (flags, config file); the console gets that as a `Switcher` and
//! connects off the UI task, so a slow or unreachable target never freezes the screen.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::app::{App, Status, Tab, Tone};
use crate::rq::RqClient;

/// A context connected to, ready to be shown.
#[derive(Debug)]
pub struct Switched {
    pub client: RqClient,
    pub context: String,
    pub read_only: bool,
    pub accent: Option<String>,
    pub queues: Vec<String>,
    pub interval: Duration,
    /// Notes from resolving the context (a password file open to others).
    pub warnings: Vec<String>,
}

pub type SwitchFuture = Pin<Box<dyn Future<Output = Result<Switched, String>> + Send>>;

/// Resolves and connects to a named context.
#[derive(Clone)]
pub struct Switcher(pub Arc<dyn Fn(String) -> SwitchFuture + Send + Sync>);

impl std::fmt::Debug for Switcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Switcher")
    }
}

/// A new app for the switched-to context: its target, read-only state and queues; the tab,
/// the bar's history and the context list carry over, nothing of the old server's data does.
#[must_use]
pub fn fresh_app(old: &App, sw: &Switched) -> App {
    let mut app = App::new(super::target_label(&sw.client), sw.read_only);
    app.context = Some(sw.context.clone());
    app.only_queues.clone_from(&sw.queues);
    app.contexts.clone_from(&old.contexts);
    app.bar_history.clone_from(&old.bar_history);
    app.tab = match old.tab {
        Tab::Jobs => Tab::Queues, // the queue shown there may not exist on the new server
        t => t,
    };
    let mut text = format!("now on context {}", sw.context);
    for w in &sw.warnings {
        text.push_str("; ");
        text.push_str(w);
    }
    app.status = Some(Status {
        text,
        tone: if sw.warnings.is_empty() {
            Tone::Good
        } else {
            Tone::Warn
        },
    });
    app
}
