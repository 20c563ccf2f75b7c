//! The fleet view's loop: keys, data from every target's task, ticks; one frame per burst.

use std::time::{Duration, SystemTime};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{Fleet, FleetMsg, poll};
use crate::rq::ConnectOptions;
use crate::tui::{Signals, terminal, terminal_gone, theme};

/// One target as the binary resolved it.
#[derive(Debug, Clone)]
pub struct FleetTarget {
    pub name: String,
    pub connect: ConnectOptions,
    pub read_only: bool,
}

/// Room for every target's messages without making any task wait on the screen for long.
const CHANNEL_PER_TARGET: usize = 4;

/// Runs the fleet view until the user quits or a signal asks it to.
pub async fn run(targets: Vec<FleetTarget>, every: Duration) -> anyhow::Result<()> {
    let mut fleet = Fleet::new(
        targets
            .iter()
            .map(|t| (t.name.clone(), t.read_only))
            .collect(),
    );
    let (tx, mut rx) = mpsc::channel::<FleetMsg>(CHANNEL_PER_TARGET * targets.len().max(1));
    let mut tasks = tokio::task::JoinSet::new();
    let slots: Vec<poll::Slot> = targets.iter().map(|_| poll::Slot::default()).collect();
    for (i, t) in targets.into_iter().enumerate() {
        tasks.spawn(poll::watch_target(
            i,
            t.connect,
            every,
            tx.clone(),
            slots[i].clone(),
        ));
    }
    let theme = theme::Theme::from_env();
    let mut guard = terminal::TerminalGuard::enter()?;
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new()?;
    loop {
        if let Err(e) =
            guard.draw(|f| super::view::render(f, &mut fleet, &theme, SystemTime::now()))
        {
            if terminal_gone(&e) {
                return Ok(());
            }
            return Err(e.into());
        }
        let first = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => FleetMsg::Key(k),
                Some(Ok(_)) => continue,
                Some(Err(e)) if terminal_gone(&e) => return Ok(()),
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            () = signals.recv() => return Ok(()),
            msg = rx.recv() => match msg {
                Some(m) => m,
                None => anyhow::bail!("every target's task stopped"),
            },
            _ = tick.tick() => continue, // redraw: ages move on
        };
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        for msg in batch {
            if let Some(p) = fleet.update(msg) {
                run_on_target(&mut fleet, &slots, p, &tx);
            }
        }
        if fleet.should_quit {
            tasks.abort_all();
            return Ok(());
        }
    }
}

/// Runs a confirmed change on its own target's client, off the UI task; the result comes
/// back as a message.
fn run_on_target(
    fleet: &mut Fleet,
    slots: &[poll::Slot],
    p: super::actions::Pending,
    tx: &mpsc::Sender<FleetMsg>,
) {
    let client = slots
        .get(p.target)
        .and_then(|s| s.lock().ok().and_then(|c| c.clone()));
    let Some(mut client) = client else {
        let name = fleet.targets.get(p.target).map_or("?", |t| t.name.as_str());
        fleet.status = Some(format!("{name} is not connected: nothing changed"));
        return;
    };
    let tx = tx.clone();
    tokio::spawn(async move {
        let (label, result) = crate::tui::refresh::mutate(&mut client, p.mutation).await;
        let _ = tx
            .send(FleetMsg::ActionFinished {
                target: p.target,
                label,
                result,
            })
            .await;
    });
}
