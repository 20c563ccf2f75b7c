//! The `:` command bar (as k9s): `:queues`, `:jobs QUEUE [REGISTRY]`, `:ctx NAME`, ... with
//! Tab completion and ↑/↓ history. Commands come from `keymap::COMMANDS`, which also feeds
//! the help screen. Anything typed is someone's text: unknown commands get a message.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Popup, Status, TABS, Tab, Tone};
use crate::rq::{JobSource, Registry};
use crate::tui::keymap::{self, COMMANDS};
use crate::tui::msg::Command;

/// Commands kept for ↑/↓.
const HISTORY: usize = 50;

/// The bar while it is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bar {
    pub input: String,
    /// Which history entry ↑/↓ shows (None: the line being typed).
    at: Option<usize>,
    /// The line being typed, kept while ↑/↓ browse.
    typed: String,
}

impl App {
    pub(super) fn open_bar(&mut self) {
        self.bar = Some(Bar::default());
    }

    pub(super) fn on_bar_key(&mut self, key: KeyEvent, out: &mut Vec<Command>) {
        let Some(bar) = self.bar.as_mut() else { return };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.should_quit = true;
            }
            KeyCode::Esc => self.bar = None,
            KeyCode::Enter => {
                let line = bar.input.trim().to_string();
                self.bar = None;
                if !line.is_empty() {
                    if self.bar_history.last() != Some(&line) {
                        self.bar_history.push(line.clone());
                    }
                    if self.bar_history.len() > HISTORY {
                        self.bar_history.remove(0);
                    }
                    self.run_bar(&line, out);
                }
            }
            // As in vim and k9s: backspace on an empty bar leaves it.
            KeyCode::Backspace if bar.input.is_empty() => self.bar = None,
            KeyCode::Backspace => {
                bar.input.pop();
            }
            KeyCode::Tab => {
                let done = self.complete();
                if let Some(bar) = self.bar.as_mut() {
                    bar.input = done;
                }
            }
            KeyCode::Up => {
                let at = match bar.at {
                    None if self.bar_history.is_empty() => return,
                    None => {
                        bar.typed = bar.input.clone();
                        self.bar_history.len() - 1
                    }
                    Some(i) => i.saturating_sub(1),
                };
                bar.at = Some(at);
                bar.input.clone_from(&self.bar_history[at]);
            }
            KeyCode::Down => match bar.at {
                Some(i) if i + 1 < self.bar_history.len() => {
                    bar.at = Some(i + 1);
                    bar.input.clone_from(&self.bar_history[i + 1]);
                }
                Some(_) => {
                    bar.at = None;
                    bar.input = std::mem::take(&mut bar.typed);
                }
                None => {}
            },
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                bar.input.push(c);
            }
            _ => {}
        }
    }

    /// What the word being typed could become (shown under the bar, completed by Tab).
    #[must_use]
    pub fn bar_candidates(&self) -> Vec<String> {
        let Some(bar) = &self.bar else {
            return Vec::new();
        };
        let words: Vec<&str> = bar.input.split_whitespace().collect();
        let typing_new_word = bar.input.is_empty() || bar.input.ends_with(' ');
        let (done, partial) = if typing_new_word {
            (words.as_slice(), "")
        } else {
            let (last, done) = words.split_last().map_or((&"", &[][..]), |(l, d)| (l, d));
            (done, *last)
        };
        let options: Vec<String> = match done {
            [] => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            [cmd] => match keymap::command(cmd).map(|c| c.name) {
                Some("ctx") => self.contexts.clone(),
                Some("jobs") => self
                    .overview
                    .as_ref()
                    .map(|o| o.queues.iter().map(|q| q.name.clone()).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            [cmd, _] if keymap::command(cmd).is_some_and(|c| c.name == "jobs") => {
                std::iter::once("queued".to_string())
                    .chain(Registry::ALL.iter().map(|r| r.name().to_string()))
                    .collect()
            }
            _ => Vec::new(),
        };
        options
            .into_iter()
            .filter(|o| o.starts_with(partial))
            .collect()
    }

    /// The input with the word being typed completed as far as every candidate agrees
    /// (and a space after it when only one is left).
    fn complete(&self) -> String {
        let Some(bar) = &self.bar else {
            return String::new();
        };
        let candidates = self.bar_candidates();
        let Some(first) = candidates.first() else {
            return bar.input.clone();
        };
        let common = candidates.iter().fold(first.clone(), |acc, c| {
            acc.chars()
                .zip(c.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        });
        let keep = match bar.input.rfind(' ') {
            Some(i) => &bar.input[..=i],
            None => "",
        };
        let mut line = format!("{keep}{common}");
        if candidates.len() == 1 {
            line.push(' ');
        }
        line
    }

    fn say(&mut self, text: String, tone: Tone) {
        self.status = Some(Status { text, tone });
    }

    /// Runs one command line.
    pub(super) fn run_bar(&mut self, line: &str, out: &mut Vec<Command>) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((word, args)) = words.split_first() else {
            return;
        };
        let Some(cmd) = keymap::command(word) else {
            self.say(
                format!("unknown command :{word} (Tab completes; ? lists every command)"),
                Tone::Bad,
            );
            return;
        };
        let most = cmd.args.split_whitespace().count();
        let least = cmd
            .args
            .split_whitespace()
            .filter(|a| !a.starts_with('['))
            .count();
        if args.len() < least || args.len() > most {
            let usage = format!(":{} {}", cmd.name, cmd.args);
            self.say(format!("usage: {}", usage.trim_end()), Tone::Bad);
            return;
        }
        match (cmd.name, args) {
            ("q", _) => self.should_quit = true,
            ("help", _) => self.popup = Some(Popup::Help { scroll: 0 }),
            ("queues", _) => self.show_tab(Tab::Queues),
            ("workers", _) => self.show_tab(Tab::Workers),
            ("schedules", _) => self.show_tab(Tab::Schedules),
            ("failures", _) => self.show_tab(Tab::Failures),
            ("job", [id]) => self.open_job((*id).to_string()),
            ("jobs", [queue, rest @ ..]) => self.show_jobs(queue, rest.first().copied()),
            ("ctx", [name]) => self.switch_context(name, out),
            _ => {}
        }
    }

    fn show_tab(&mut self, tab: Tab) {
        self.detail = None;
        if let Some(i) = TABS.iter().position(|t| *t == tab) {
            self.go_tab(i);
        }
    }

    fn show_jobs(&mut self, queue: &str, registry: Option<&str>) {
        let known = self
            .overview
            .as_ref()
            .is_none_or(|o| o.queues.iter().any(|q| q.name == queue));
        if !known {
            self.say(
                format!("no such queue: {queue} (Tab completes queue names)"),
                Tone::Bad,
            );
            return;
        }
        let source = match registry {
            None | Some("queued" | "queue") => JobSource::Queue,
            Some(r) => match Registry::ALL.iter().find(|x| x.name() == r) {
                Some(reg) => JobSource::Registry(*reg),
                None => {
                    let names: Vec<&str> = Registry::ALL.iter().map(|r| r.name()).collect();
                    self.say(
                        format!("no registry {r} (queued, {})", names.join(", ")),
                        Tone::Bad,
                    );
                    return;
                }
            },
        };
        self.show_tab(Tab::Jobs);
        self.jobs.queue = Some(queue.to_string());
        self.jobs.source = source;
        self.filter.clear();
        self.reset_page();
    }

    fn switch_context(&mut self, name: &str, out: &mut Vec<Command>) {
        if self.contexts.is_empty() {
            self.say(
                "no contexts: rqtop was started without a config file that defines any".into(),
                Tone::Bad,
            );
        } else if !self.contexts.iter().any(|c| c == name) {
            let known = self.contexts.join(", ");
            self.say(format!("no context {name} (known: {known})"), Tone::Bad);
        } else if self.context.as_deref() == Some(name) {
            self.say(format!("already on context {name}"), Tone::Info);
        } else {
            self.say(format!("switching to context {name}…"), Tone::Info);
            out.push(Command::SwitchContext(name.to_string()));
        }
    }
}
