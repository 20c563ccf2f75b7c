//! rqtop: the live console. One loop owns the state; input, data and ticks arrive as
//! messages; the refresh task does all Redis I/O. No clap here: the binary builds `Options`.

pub mod action;
pub mod app;
pub mod fleet;
pub mod history;
pub mod keymap;
pub mod msg;
pub mod refresh;
pub mod switch;
pub mod terminal;
pub mod theme;
pub mod view;

#[cfg(test)]
mod fixtures;

use std::time::{Duration, SystemTime};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use app::{App, Status, Tone};
use msg::{Command, Msg};
use refresh::RefreshConfig;

use crate::rq::RqClient;

/// How rqtop runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Poll period when keyspace notifications are off.
    pub interval: Duration,
    pub read_only: bool,
    /// Add the keyspace flags rqtop needs to the server's config first.
    pub enable_events: bool,
    /// The config file's context in use, shown in the header.
    pub context: Option<String>,
    /// The context's header colour.
    pub accent: Option<String>,
    /// Only these queues (all when empty).
    pub queues: Vec<String>,
    /// The config file's contexts (for `:ctx`), and how to connect to one.
    pub contexts: Vec<String>,
    pub switcher: Option<switch::Switcher>,
}

const CHANNEL: usize = 16;

/// Where rqtop looks, as the header says it: the URL (password as `***`), the master a
/// Sentinel URL led to, and a custom key prefix (another set of queues on the same server).
#[must_use]
pub fn target_label(client: &RqClient) -> String {
    let mut s = client.url().to_string();
    if let Some(m) = client.master() {
        s = format!("{s} master {m}");
    }
    match client.keys().prefix() {
        "rq" => s,
        p => format!("{s} prefix {}", crate::present::safe(p)),
    }
}
const TICK: Duration = Duration::from_secs(1);

/// Runs the console until the user quits or a signal asks it to.
pub async fn run(mut client: RqClient, opts: Options) -> anyhow::Result<()> {
    let mut notice = None;
    if opts.enable_events && opts.read_only {
        notice = Some(Status {
            text: "read-only mode: --enable-events ignored (it would change the server's config)"
                .into(),
            tone: Tone::Warn,
        });
    } else if opts.enable_events {
        notice = Some(match client.enable_events().await {
            Ok(flags) => Status {
                text: format!("keyspace notifications on (notify-keyspace-events {flags})"),
                tone: Tone::Good,
            },
            Err(e) => Status {
                text: format!("could not enable keyspace notifications: {e}"),
                tone: Tone::Bad,
            },
        });
    }
    let target = target_label(&client);
    let mut app = App::new(&target, opts.read_only);
    app.status = notice;
    app.context.clone_from(&opts.context);
    app.only_queues.clone_from(&opts.queues);
    app.contexts.clone_from(&opts.contexts);
    let guard = terminal::TerminalGuard::enter()?;
    // `:ctx` may run a password command: its prompts must not land on the screen.
    crate::config::secret::quiet_commands(true);
    run_loop(guard, client, opts, app).await
}

async fn run_loop(
    mut guard: terminal::TerminalGuard,
    client: RqClient,
    opts: Options,
    mut app: App,
) -> anyhow::Result<()> {
    let mut theme = theme::Theme::from_env().with_accent(opts.accent.as_deref());
    let (mut cmd_tx, mut msg_rx, mut tasks) = start_refresh(client, opts.interval);
    // `:ctx` results: their own channel, so that nothing of the old target arrives after.
    let (switch_tx, mut switch_rx) = mpsc::channel::<(String, Result<switch::Switched, String>)>(1);

    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;

    loop {
        if let Err(e) = guard.draw(|f| view::render(f, &mut app, &theme, SystemTime::now())) {
            if terminal_gone(&e) {
                return Ok(()); // nothing left to draw on: end as if the user had quit
            }
            return Err(e.into());
        }
        let first = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => Msg::KeyPressed(k),
                Some(Ok(Event::Resize(..))) => Msg::Resized,
                Some(Ok(_)) => continue,
                // The terminal is gone (closed SSH session, killed pty): nothing left to
                // show; end as if the user had quit, and clean up.
                Some(Err(e)) if terminal_gone(&e) => return Ok(()),
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            () = signals.recv() => return Ok(()),
            Some((name, result)) = switch_rx.recv() => {
                match result {
                    Ok(sw) => {
                        // Dropping the old channels and task set ends the old refresh task.
                        theme = theme::Theme::from_env().with_accent(sw.accent.as_deref());
                        app = switch::fresh_app(&app, &sw);
                        (cmd_tx, msg_rx, tasks) = start_refresh(sw.client, sw.interval);
                    }
                    Err(e) => {
                        app.status = Some(Status {
                            text: format!("could not switch to context {name}: {e}"),
                            tone: Tone::Bad,
                        });
                    }
                }
                Msg::Resized // an update that sends the new task its watch
            },
            msg = msg_rx.recv() => match msg {
                Some(m) => m,
                None => anyhow::bail!("the refresh task stopped"),
            },
            _ = tick.tick() => Msg::Ticked,
            joined = tasks.join_next() => {
                anyhow::bail!("the refresh task ended: {joined:?}");
            }
        };
        // A burst costs one frame: handle everything already queued before drawing again.
        let mut batch = vec![first];
        while let Ok(m) = msg_rx.try_recv() {
            batch.push(m);
        }
        for msg in batch {
            for cmd in app.update(msg, SystemTime::now()) {
                if let Command::SwitchContext(name) = cmd {
                    start_switch(&opts, name, &switch_tx);
                    continue;
                }
                let is_watch = matches!(cmd, Command::SetWatch(_));
                if cmd_tx.try_send(cmd).is_err() {
                    if is_watch {
                        app.forget_watch(); // sent again with the next message or tick
                    } else {
                        app.status = Some(Status {
                            text: "busy: Redis is slow to answer, try again".into(),
                            tone: Tone::Warn,
                        });
                    }
                }
            }
        }
        if app.should_quit {
            return Ok(());
        }
    }
}

type Refresh = (mpsc::Sender<Command>, mpsc::Receiver<Msg>, JoinSet<()>);

/// A refresh task for `client`, with its own channels.
fn start_refresh(client: RqClient, poll: Duration) -> Refresh {
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(CHANNEL);
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>(CHANNEL);
    let cfg = RefreshConfig {
        poll,
        ..RefreshConfig::default()
    };
    let mut tasks = JoinSet::new();
    tasks.spawn(refresh::run(client, cmd_rx, msg_tx, cfg));
    (cmd_tx, msg_rx, tasks)
}

/// Connects to context `name` in the background; the result comes back on `done`.
fn start_switch(
    opts: &Options,
    name: String,
    done: &mpsc::Sender<(String, Result<switch::Switched, String>)>,
) {
    let done = done.clone();
    let Some(switcher) = opts.switcher.clone() else {
        let _ = done.try_send((name, Err("this rqtop cannot switch contexts".into())));
        return;
    };
    tokio::spawn(async move {
        let result = (switcher.0)(name.clone()).await;
        let _ = done.send((name, result)).await;
    });
}

/// The terminal went away under us (closed SSH session, killed pty): EIO, ENXIO or a
/// broken pipe on the tty.
pub(crate) fn terminal_gone(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(5 | 6)) || e.kind() == std::io::ErrorKind::BrokenPipe
}

/// SIGTERM, SIGHUP (a closed SSH session) and a SIGINT sent by `kill` (Ctrl-C itself is a
/// key in raw mode) end rqtop cleanly, restoring the terminal.
pub(crate) struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    pub(crate) async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
