//! What a key means. The keymap maps keys to these; `App::update` carries them out.

impl Action {
    /// Actions that change Redis data (hidden from hints in read-only mode).
    #[must_use]
    pub fn changes_data(self) -> bool {
        matches!(
            self,
            Action::Requeue
                | Action::RequeueAllFailed
                | Action::Delete
                | Action::Cancel
                | Action::EnqueueNow
                | Action::StopJob
                | Action::EmptyQueue
                | Action::ShutdownWorker
                | Action::KillHorse
                | Action::ToggleSuspend
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GoTab(usize),
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Help,
    Refresh,
    Filter,
    Sort,
    Mark,
    MarkAll,
    NextRegistry,
    PrevRegistry,
    NextQueue,
    PrevQueue,
    ToggleOrder,
    Requeue,
    RequeueAllFailed,
    Delete,
    Cancel,
    EnqueueNow,
    StopJob,
    EmptyQueue,
    ShutdownWorker,
    KillHorse,
    ToggleSuspend,
    Confirm,
    Deny,
    /// Open the `:` command bar.
    CommandBar,
}
