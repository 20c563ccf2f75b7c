//! The one table of key bindings. It drives dispatch, the footer hints and the help screen,
//! so no key can work without being documented.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Queues,
    Workers,
    Jobs,
    Schedules,
    Failures,
    Detail,
    Confirm,
    Help,
}

impl Scope {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Queues => "Queues",
            Scope::Workers => "Workers",
            Scope::Jobs => "Jobs",
            Scope::Schedules => "Schedules",
            Scope::Failures => "Failures",
            Scope::Detail => "Job detail",
            Scope::Confirm => "Confirmation",
            Scope::Help => "Help",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        match self {
            Key::Char(c) => {
                ev.code == KeyCode::Char(c)
                    && !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            }
            Key::Ctrl(c) => {
                ev.code == KeyCode::Char(c) && ev.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Code(code) => ev.code == code,
        }
    }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    /// How the key is written in hints and help.
    pub label: &'static str,
    pub action: Action,
    /// Short footer hint; empty to leave it out of the footer.
    pub hint: &'static str,
    pub help: &'static str,
}

use Key::{Char, Code, Ctrl};
use Scope::{Confirm, Detail, Failures, Global, Help, Jobs, Queues, Schedules, Workers};

const fn b(
    scope: Scope,
    keys: &'static [Key],
    label: &'static str,
    action: Action,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        scope,
        keys,
        label,
        action,
        hint,
        help,
    }
}

#[rustfmt::skip] // a table: one binding a line reads better than rustfmt's layout
pub static BINDINGS: &[Binding] = &[
    b(Confirm, &[Ctrl('c')], "C-c", Action::Quit, "", "Quit without doing it"),
    b(Help, &[Ctrl('c')], "C-c", Action::Quit, "", "Quit"),
    b(Confirm, &[Char('y'), Char('Y')], "y", Action::Confirm, "yes", "Carry out the action"),
    b(Confirm, &[Char('n'), Char('N'), Code(KeyCode::Esc)], "n/Esc", Action::Deny, "no", "Cancel, change nothing"),
    b(Help, &[Code(KeyCode::Esc), Char('?'), Char('q')], "Esc/?", Action::Back, "close", "Close help"),
    b(Help, &[Char('j'), Code(KeyCode::Down)], "j/↓", Action::Down, "", "Scroll down"),
    b(Help, &[Char('k'), Code(KeyCode::Up)], "k/↑", Action::Up, "", "Scroll up"),
    b(Detail, &[Code(KeyCode::Esc), Char('h'), Code(KeyCode::Left)], "Esc", Action::Back, "back", "Close the job"),
    b(Detail, &[Char('j'), Code(KeyCode::Down)], "j/↓", Action::Down, "scroll", "Scroll down"),
    b(Detail, &[Char('k'), Code(KeyCode::Up)], "k/↑", Action::Up, "", "Scroll up"),
    b(Detail, &[Code(KeyCode::PageDown), Char(' ')], "PgDn", Action::PageDown, "", "Scroll a page down"),
    b(Detail, &[Code(KeyCode::PageUp)], "PgUp", Action::PageUp, "", "Scroll a page up"),
    b(Detail, &[Char('g'), Code(KeyCode::Home)], "g", Action::Top, "", "Scroll to the top"),
    b(Detail, &[Char('G'), Code(KeyCode::End)], "G", Action::Bottom, "", "Scroll to the end"),
    b(Detail, &[Char('R')], "R", Action::Requeue, "requeue", "Requeue this job"),
    b(Detail, &[Char('D')], "D", Action::Delete, "delete", "Delete this job"),
    b(Detail, &[Char('C')], "C", Action::Cancel, "cancel", "Cancel this job"),
    b(Detail, &[Char('T')], "T", Action::StopJob, "stop", "Stop this job (it is running)"),
    b(Detail, &[Char('N')], "N", Action::EnqueueNow, "", "Enqueue this scheduled job now"),
    b(Queues, &[Code(KeyCode::Enter), Char('l')], "Enter", Action::Open, "jobs", "Open the queue's jobs"),
    b(Queues, &[Char('R')], "R", Action::RequeueAllFailed, "requeue failed", "Requeue every failed job of the queue"),
    b(Queues, &[Char('E')], "E", Action::EmptyQueue, "empty", "Empty the queue (delete its queued jobs)"),
    b(Workers, &[Char('W')], "W", Action::ShutdownWorker, "shutdown", "Warm shutdown of the worker (or marked ones)"),
    b(Workers, &[Char('K')], "K", Action::KillHorse, "kill job", "Kill the worker's work-horse: its job fails"),
    b(Workers, &[Code(KeyCode::Char(' '))], "Space", Action::Mark, "", "Mark the worker"),
    b(Workers, &[Code(KeyCode::Enter)], "Enter", Action::Open, "", "Open the worker's current job"),
    b(Jobs, &[Code(KeyCode::Enter), Char('l')], "Enter", Action::Open, "open", "Open the job"),
    b(Jobs, &[Code(KeyCode::Right), Char('>')], "→", Action::NextRegistry, "registry", "Next registry (queued, started, failed…)"),
    b(Jobs, &[Code(KeyCode::Left), Char('<')], "←", Action::PrevRegistry, "", "Previous registry"),
    b(Jobs, &[Char(']')], "]", Action::NextQueue, "queue", "Next queue"),
    b(Jobs, &[Char('[')], "[", Action::PrevQueue, "", "Previous queue"),
    b(Jobs, &[Char('o')], "o", Action::ToggleOrder, "order", "Newest or oldest first"),
    b(Jobs, &[Code(KeyCode::Char(' '))], "Space", Action::Mark, "mark", "Mark the job (actions apply to marked jobs)"),
    b(Jobs, &[Char('*')], "*", Action::MarkAll, "", "Mark every job shown (every match of a / search)"),
    b(Jobs, &[Char('R')], "R", Action::Requeue, "requeue", "Requeue the job (or marked ones)"),
    b(Jobs, &[Char('D')], "D", Action::Delete, "delete", "Delete the job (or marked ones)"),
    b(Jobs, &[Char('C')], "C", Action::Cancel, "", "Cancel the job (or marked ones)"),
    b(Jobs, &[Char('N')], "N", Action::EnqueueNow, "", "Enqueue scheduled jobs now"),
    b(Jobs, &[Char('T')], "T", Action::StopJob, "", "Stop the running job"),
    b(Schedules, &[Code(KeyCode::Enter)], "Enter", Action::Open, "open", "Open the scheduled job"),
    b(Schedules, &[Char('N')], "N", Action::EnqueueNow, "run now", "Enqueue the scheduled job now"),
    b(Failures, &[Code(KeyCode::Enter), Char('l')], "Enter", Action::Open, "open", "Open the signature (a sample traceback and jobs); Enter again lists its jobs on the Jobs tab"),
    b(Failures, &[Char('R')], "R", Action::Requeue, "requeue all", "Requeue every job of the signature"),
    b(Failures, &[Char('D')], "D", Action::Delete, "delete all", "Delete every job of the signature"),
    b(Failures, &[Char('C')], "C", Action::Cancel, "", "Cancel every job of the signature"),
    b(Global, &[Char('q'), Ctrl('c')], "q", Action::Quit, "quit", "Quit (also Ctrl-C)"),
    b(Global, &[Char('?')], "?", Action::Help, "help", "Every key"),
    b(Global, &[Char(':')], ":", Action::CommandBar, "", "Command bar: Tab completes, ↑/↓ history"),
    b(Global, &[Char('1')], "1", Action::GoTab(0), "", "Queues tab"),
    b(Global, &[Char('2')], "2", Action::GoTab(1), "", "Workers tab"),
    b(Global, &[Char('3')], "3", Action::GoTab(2), "", "Jobs tab"),
    b(Global, &[Char('4')], "4", Action::GoTab(3), "", "Schedules tab"),
    b(Global, &[Char('5')], "5", Action::GoTab(4), "", "Failures tab (failed jobs by cause)"),
    b(Global, &[Code(KeyCode::Tab)], "Tab", Action::NextTab, "", "Next tab"),
    b(Global, &[Code(KeyCode::BackTab)], "S-Tab", Action::PrevTab, "", "Previous tab"),
    b(Global, &[Char('j'), Code(KeyCode::Down)], "j/↓", Action::Down, "", "Move down"),
    b(Global, &[Char('k'), Code(KeyCode::Up)], "k/↑", Action::Up, "", "Move up"),
    b(Global, &[Char('g'), Code(KeyCode::Home)], "g", Action::Top, "", "First row"),
    b(Global, &[Char('G'), Code(KeyCode::End)], "G", Action::Bottom, "", "Last row"),
    b(Global, &[Code(KeyCode::PageDown)], "PgDn", Action::PageDown, "", "Page down (loads more jobs)"),
    b(Global, &[Code(KeyCode::PageUp)], "PgUp", Action::PageUp, "", "Page up"),
    b(Global, &[Char('/')], "/", Action::Filter, "filter", "Filter the table (id, function, error); on Jobs, a selector over the whole queue or registry (queue=… exc~… age>1h …)"),
    b(Global, &[Char('s')], "s", Action::Sort, "sort", "Change the sort"),
    b(Global, &[Char('r')], "r", Action::Refresh, "", "Refresh now"),
    b(Global, &[Char('S')], "S", Action::ToggleSuspend, "", "Suspend or resume all workers"),
    b(Global, &[Code(KeyCode::Esc)], "Esc", Action::Back, "", "Clear the filter / marks"),
];

/// One command of the `:` bar. The bar parses, completes and documents from this table.
pub struct BarCommand {
    pub name: &'static str,
    /// Other words for it (`:quit` for `:q`).
    pub aliases: &'static [&'static str],
    /// The arguments, as help writes them.
    pub args: &'static str,
    pub help: &'static str,
}

const fn c(
    name: &'static str,
    aliases: &'static [&'static str],
    args: &'static str,
    help: &'static str,
) -> BarCommand {
    BarCommand {
        name,
        aliases,
        args,
        help,
    }
}

#[rustfmt::skip]
pub static COMMANDS: &[BarCommand] = &[
    c("queues", &[], "", "Queues tab"),
    c("workers", &[], "", "Workers tab"),
    c("jobs", &[], "QUEUE [REGISTRY]", "A queue's jobs, or a registry's"),
    c("job", &[], "ID", "Open one job by its id"),
    c("schedules", &[], "", "Schedules tab"),
    c("failures", &[], "", "Failures tab (failure signatures)"),
    c("ctx", &["context"], "NAME", "Switch context (config file)"),
    c("help", &[], "", "This help"),
    c("q", &["quit"], "", "Quit"),
];

/// The bar command called `word` (its name or an alias).
#[must_use]
pub fn command(word: &str) -> Option<&'static BarCommand> {
    COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
}

/// The action of `ev` in the first scope (in order) that binds it.
#[must_use]
pub fn lookup(scopes: &[Scope], ev: &KeyEvent) -> Option<Action> {
    scopes.iter().find_map(|scope| {
        BINDINGS
            .iter()
            .find(|bind| bind.scope == *scope && bind.keys.iter().any(|k| k.matches(ev)))
            .map(|bind| bind.action)
    })
}

/// Footer hints for these scopes, first scope first.
#[must_use]
pub fn hints(
    scopes: &[Scope],
    read_only: bool,
    offered: impl Fn(Action) -> bool,
) -> Vec<(&'static str, &'static str)> {
    scopes
        .iter()
        .flat_map(|s| {
            BINDINGS.iter().filter(move |bind| {
                bind.scope == *s
                    && !bind.hint.is_empty()
                    && !(read_only && bind.action.changes_data())
            })
        })
        .filter(|bind| offered(bind.action))
        .map(|bind| (bind.label, bind.hint))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn tab_scope_wins_over_global() {
        assert_eq!(lookup(&[Jobs, Global], &key('R')), Some(Action::Requeue));
        assert_eq!(
            lookup(&[Queues, Global], &key('R')),
            Some(Action::RequeueAllFailed)
        );
        assert_eq!(lookup(&[Global], &key('R')), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&[Jobs, Global], &ctrl_c), Some(Action::Quit));
        assert_eq!(
            lookup(&[Jobs, Global], &key('c')),
            None,
            "plain c is not Ctrl-C"
        );
    }

    #[test]
    fn every_binding_is_documented() {
        for bind in BINDINGS {
            assert!(
                !bind.help.is_empty() && !bind.label.is_empty(),
                "{:?}",
                bind.action
            );
        }
    }
}
