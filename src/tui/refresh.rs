//! The data task: owns the Redis client and the keyspace subscription, turns events into
//! dirty flags, and re-reads only what is stale and watched, at most once per
//! `min_interval` however many events arrive (and, when a read takes long, as with 100,000
//! queues, no sooner than that long after it ended). It reconnects with backoff and never
//! ends because Redis went away. Reading and decoding happen here, off the UI task.

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::msg::{Command, ConnState, Msg, Mutation, SearchRequest, SignatureAction, Watch};
use crate::rq::failures::FailureTracker;
use crate::rq::mutate::{Report, WorkerCommand};
use crate::rq::watch::{Dirty, classify};
use crate::rq::{KeyspaceEvents, Registry, RqClient};

#[derive(Debug, Clone, Copy)]
pub struct RefreshConfig {
    /// Poll period when keyspace notifications are off or unknown.
    pub poll: Duration,
    /// Safety poll while events flow (events can be lost).
    pub safety_poll: Duration,
    /// At most one re-read per this period, whatever the event rate.
    pub min_interval: Duration,
    /// Wait this long after the first event of a burst before reading.
    pub debounce: Duration,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            safety_poll: Duration::from_secs(15),
            min_interval: Duration::from_millis(500),
            debounce: Duration::from_millis(100),
        }
    }
}

type Events = Pin<Box<dyn Stream<Item = String> + Send>>;

const MAX_BACKOFF: Duration = Duration::from_secs(5);

struct State {
    watch: Watch,
    dirty: Dirty,
    dirty_since: Option<Instant>,
    last_fetch: Option<Instant>,
    /// How long the last re-read took. With 100,000 queues one overview read is seconds of
    /// work here and in Redis: the next read waits at least as long again after it ends,
    /// so that reading never takes more than half the time, whatever the event rate.
    last_cost: Duration,
    events: Option<Events>,
    /// Notifications are on, so a subscription is wanted.
    events_wanted: bool,
    subscribe_at: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
    next_poll: Instant,
    /// The connection state last sent to the app.
    shown: Option<ConnState>,
    /// Failure signatures, kept current a difference at a time while the tab is shown.
    tracker: FailureTracker,
    /// The `/` search scanning now, if any.
    search: Option<tokio::task::JoinHandle<()>>,
    /// When to ask Sentinel again which server is the master (Sentinel targets only).
    master_check: Option<Instant>,
}

impl State {
    fn mark(&mut self, d: Dirty) {
        if d.is_clean() {
            return;
        }
        if self.dirty.is_clean() {
            self.dirty_since = Some(Instant::now());
        }
        self.dirty.merge(d);
    }

    /// When the next re-read may run.
    fn due(&self, cfg: &RefreshConfig) -> Option<Instant> {
        if self.dirty.is_clean() {
            return None;
        }
        let mut at = self.dirty_since.unwrap_or_else(Instant::now) + cfg.debounce;
        if let Some(last) = self.last_fetch {
            at = at.max(last + cfg.min_interval.max(self.last_cost.saturating_mul(2)));
        }
        if let Some(retry) = self.retry_at {
            at = at.max(retry);
        }
        Some(at)
    }
}

/// Runs until the command channel closes.
pub async fn run(
    mut client: RqClient,
    mut commands: mpsc::Receiver<Command>,
    msgs: mpsc::Sender<Msg>,
    cfg: RefreshConfig,
) {
    let mut st = State {
        watch: Watch::default(),
        dirty: Dirty::all(),
        // The first read is not a burst to wait out: it is due at once.
        dirty_since: Instant::now().checked_sub(cfg.debounce),
        last_fetch: None,
        last_cost: Duration::ZERO,
        events: None,
        events_wanted: false,
        subscribe_at: None,
        failures: 0,
        retry_at: None,
        next_poll: Instant::now() + cfg.poll,
        shown: None,
        tracker: FailureTracker::new(),
        search: None,
        master_check: client.master().map(|_| Instant::now() + MASTER_CHECK),
    };
    loop {
        let due = st.due(&cfg);
        tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return };
                match cmd {
                    Command::SetWatch(w) => {
                        let d = Dirty {
                            jobs: w.page.is_some() && w.page != st.watch.page,
                            schedules: w.schedules && !st.watch.schedules,
                            job: w.job.clone().filter(|_| w.job != st.watch.job),
                            // The Failures tab follows the overview's refreshes.
                            overview: w.failures && !st.watch.failures,
                        };
                        st.watch = w;
                        st.mark(d);
                    }
                    Command::RefreshNow => st.mark(Dirty::all()),
                    Command::Search(req) => {
                        if let Some(old) = st.search.take() {
                            old.abort();
                        }
                        if let Some(req) = req {
                            let c = client.clone();
                            st.search = Some(tokio::spawn(search(c, req, msgs.clone())));
                        }
                    }
                    // The console reconnects for a context switch; never sent here.
                    Command::SwitchContext(_) => {}
                    Command::Run(m) => {
                        // In its own task on a clone of the client (same connection): a
                        // bulk action of seconds must not stop the screen from refreshing.
                        // The app asks for a refresh when the result arrives.
                        let mut c = client.clone();
                        let tx = msgs.clone();
                        tokio::spawn(async move {
                            let (label, result) = mutate(&mut c, m).await;
                            let _ = tx.send(Msg::ActionFinished { label, result }).await;
                        });
                    }
                }
            }
            ev = next_event(&mut st.events) => match ev {
                Some(channel) => st.mark(classify(&channel, client.keys())),
                None => {
                    // The subscription connection ended: often the server went away. Read
                    // at once (that read reports the loss, or finds the server fine), then
                    // resubscribe and resync.
                    st.events = None;
                    st.subscribe_at = Some(Instant::now() + backoff(st.failures + 1));
                    st.mark(Dirty::all());
                }
            },
            () = sleep_until(due.unwrap_or_else(far_future)), if due.is_some() => {
                let started = Instant::now();
                st.last_fetch = Some(started);
                let d = std::mem::take(&mut st.dirty);
                match fetch(&mut client, &st.watch, &d, &msgs, &mut st.tracker).await {
                    Ok(events_on) => {
                        st.last_cost = started.elapsed();
                        if st.watch.failures && st.tracker.unread() > 0 {
                            // Failed jobs still to read: the next refresh goes on with them.
                            st.mark(Dirty { jobs: true, ..Dirty::default() });
                        }
                        st.failures = 0;
                        st.retry_at = None;
                        if let Some(on) = events_on {
                            st.events_wanted = on;
                        }
                        if st.events_wanted && st.events.is_none() && st.subscribe_at.is_none() {
                            st.subscribe_at = Some(Instant::now());
                        }
                        let state = conn_state(&st, &cfg);
                        announce(&mut st, &msgs, state).await;
                    }
                    Err(e) => {
                        // Through Sentinel, a failure may be a failover: find the master
                        // now rather than wait for the next check.
                        if follow(&mut client, &mut st, &msgs).await {
                            continue;
                        }
                        st.failures += 1;
                        st.retry_at = Some(Instant::now() + backoff(st.failures));
                        st.mark(Dirty::all());
                        st.events = None;
                        let state = ConnState::Reconnecting { attempt: st.failures, error: e };
                        announce(&mut st, &msgs, state).await;
                    }
                }
            }
            () = sleep_until(st.subscribe_at.unwrap_or_else(far_future)), if st.subscribe_at.is_some() => {
                st.subscribe_at = None;
                match client.subscribe().await {
                    Ok(stream) => {
                        st.events = Some(Box::pin(stream));
                        st.mark(Dirty::all()); // events may have been missed meanwhile
                    }
                    Err(_) => st.subscribe_at = Some(Instant::now() + backoff(st.failures + 2)),
                }
                // While reads fail, the header keeps saying "reconnecting".
                if st.failures == 0 {
                    let state = conn_state(&st, &cfg);
                    announce(&mut st, &msgs, state).await;
                }
            }
            () = sleep_until(st.master_check.unwrap_or_else(far_future)), if st.master_check.is_some() => {
                st.master_check = Some(Instant::now() + MASTER_CHECK);
                follow(&mut client, &mut st, &msgs).await;
            }
            () = sleep_until(st.next_poll) => {
                let every = if st.events.is_some() { cfg.safety_poll } else { cfg.poll };
                st.next_poll = Instant::now() + every;
                st.mark(Dirty::all());
            }
        }
    }
}

/// How often rqtop asks Sentinel which server is the master: after a failover whose old
/// master stays up (as a replica), reads still work, so only asking tells.
const MASTER_CHECK: Duration = Duration::from_secs(2);

/// Asks Sentinel for the master and moves to it when it changed: the subscription is
/// made again and everything re-read. True when the client moved.
async fn follow(client: &mut RqClient, st: &mut State, msgs: &mpsc::Sender<Msg>) -> bool {
    let Ok(Some(_)) = client.follow_master().await else {
        return false;
    };
    st.events = None;
    st.subscribe_at = None;
    st.failures = 0;
    st.retry_at = None;
    st.mark(Dirty::all());
    st.dirty_since = Instant::now().checked_sub(Duration::from_secs(1));
    let target = super::target_label(client);
    let _ = msgs.send(Msg::MasterChanged { target }).await;
    true
}

/// Tells the app about a connection state it does not show yet.
async fn announce(st: &mut State, msgs: &mpsc::Sender<Msg>, state: ConnState) {
    if st.shown.as_ref() != Some(&state) {
        st.shown = Some(state.clone());
        let _ = msgs.send(Msg::ConnectionChanged(state)).await;
    }
}

fn conn_state(st: &State, cfg: &RefreshConfig) -> ConnState {
    if st.events.is_some() {
        ConnState::Live
    } else if st.events_wanted {
        ConnState::Polling {
            every: cfg.poll,
            why: "subscribing to keyspace events…".into(),
        }
    } else {
        ConnState::Polling {
            every: cfg.poll,
            why: "keyspace notifications are off".into(),
        }
    }
}

async fn next_event(events: &mut Option<Events>) -> Option<String> {
    match events {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(3);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Re-reads the stale, watched parts and sends them. Returns whether keyspace events are
/// on, when the overview was read.
async fn fetch(
    client: &mut RqClient,
    watch: &Watch,
    d: &Dirty,
    msgs: &mpsc::Sender<Msg>,
    tracker: &mut FailureTracker,
) -> Result<Option<bool>, String> {
    let mut events_on = None;
    if d.overview {
        let ov = client.overview().await.map_err(|e| e.to_string())?;
        events_on = Some(matches!(
            ov.redis.keyspace_events,
            KeyspaceEvents::On { .. }
        ));
        let _ = msgs
            .send(Msg::OverviewLoaded(Box::new(ov), SystemTime::now()))
            .await;
    }
    if let Some(q) = &watch.page
        && (d.jobs || d.job.is_some())
    {
        let page = client.jobs(q).await.map_err(|e| e.to_string())?;
        let _ = msgs.send(Msg::PageLoaded(page)).await;
    }
    if let Some(id) = &watch.job
        && (d.jobs || d.job.as_ref() == Some(id) || d.overview)
    {
        let job = match client.job(id).await {
            Ok(j) => Ok(Box::new(j)),
            Err(e) if e.is_transient() => return Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let _ = msgs
            .send(Msg::JobLoaded {
                id: id.clone(),
                result: job,
            })
            .await;
    }
    if watch.failures && (d.overview || d.jobs) {
        // Only new failures are read, and only what left is dropped (see FailureTracker).
        let queues = client.queue_names().await.map_err(|e| e.to_string())?;
        let report = client
            .track_failures(tracker, &queues)
            .await
            .map_err(|e| e.to_string())?;
        let _ = msgs.send(Msg::FailuresLoaded(report)).await;
    }
    if watch.schedules && (d.schedules || d.overview) {
        let s = client.schedules(500).await.map_err(|e| e.to_string())?;
        let _ = msgs.send(Msg::SchedulesLoaded(s)).await;
    }
    Ok(events_on)
}

/// Runs a confirmed change through the same library functions rqctl uses.
pub(crate) async fn mutate(
    client: &mut RqClient,
    m: Mutation,
) -> (String, Result<Vec<Report>, String>) {
    let one = |r: crate::rq::Result<Report>| r.map(|r| vec![r]);
    let (label, result) = match m {
        Mutation::Requeue(ids) => (
            "requeue",
            one(client.requeue_jobs(&ids, false, false).await),
        ),
        Mutation::RequeueAllFailed(q) => (
            "requeue failed",
            client
                .requeue_all(Registry::Failed, &[q], false, false)
                .await,
        ),
        Mutation::Delete(ids) => ("delete", one(client.delete_jobs(&ids, false, false).await)),
        Mutation::Cancel(ids) => ("cancel", one(client.cancel_jobs(&ids, false, false).await)),
        Mutation::EnqueueNow(ids) => ("enqueue now", one(client.enqueue_now(&ids, false).await)),
        Mutation::Empty(q) => ("empty", one(client.empty_queue(&q, false).await)),
        Mutation::StopJob(id) => ("stop job", one(client.stop_job(&id, false).await)),
        Mutation::Worker(names, cmd) => (
            match cmd {
                WorkerCommand::Shutdown => "shutdown",
                WorkerCommand::KillHorse => "kill-horse",
            },
            one(client.worker_command(&names, cmd, false).await),
        ),
        Mutation::Suspend => ("suspend", client.suspend(None).await.map(|()| Vec::new())),
        Mutation::Resume => ("resume", client.resume().await.map(|_| Vec::new())),
        Mutation::Signature(what, sig) => (
            match what {
                SignatureAction::Requeue => "requeue",
                SignatureAction::Delete => "delete",
                SignatureAction::Cancel => "cancel",
            },
            on_signature(client, what, sig).await,
        ),
    };
    (label.to_string(), result.map_err(|e| e.to_string()))
}

/// Scans a queue or registry for a selector, sending matches as they are found (a batch
/// at a time; one the channel has no room for waits for the next) and the end.
async fn search(mut client: RqClient, req: SearchRequest, tx: mpsc::Sender<Msg>) {
    use tokio::sync::mpsc::error::TrySendError;
    let generation = req.generation;
    let selector = match crate::rq::select::parse(&req.selector) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx
                .send(Msg::SearchProgress {
                    generation,
                    scanned: 0,
                    matches: Vec::new(),
                    done: true,
                    error: Some(e.to_string()),
                })
                .await;
            return;
        }
    };
    let now = SystemTime::now();
    // The rows show each match's error: tracebacks are read.
    let needs = crate::rq::failures::ScanNeeds {
        skip_tracebacks: false,
        ..selector.needs()
    };
    let mut scanned = 0_u64;
    let mut batch = Vec::new();
    let result = client
        .scan_jobs(&req.queue, req.source, needs, |job| {
            scanned += 1;
            if job.exists && selector.matches(&job, now) {
                batch.push(job.into_summary());
            }
            if batch.len() >= 200 || scanned.is_multiple_of(1000) {
                let msg = Msg::SearchProgress {
                    generation,
                    scanned,
                    matches: std::mem::take(&mut batch),
                    done: false,
                    error: None,
                };
                if let Err(TrySendError::Full(Msg::SearchProgress { matches, .. })) =
                    tx.try_send(msg)
                {
                    batch = matches;
                }
            }
            true
        })
        .await;
    let _ = tx
        .send(Msg::SearchProgress {
            generation,
            scanned,
            matches: batch,
            done: true,
            error: result.err().map(|e| e.to_string()),
        })
        .await;
}

/// Selects the failed jobs of a signature in every queue again (what was shown may be
/// seconds old) and acts on each queue's through the atomic steps that re-check each job
/// is still in the failed registry.
async fn on_signature(
    client: &mut RqClient,
    what: SignatureAction,
    sig: String,
) -> crate::rq::Result<Vec<Report>> {
    use crate::rq::select::{Field, Selector, Term, Test, TextOp, TextValue};
    let queues = client.queue_names().await?;
    let selector = Selector {
        terms: vec![Term {
            negated: false,
            test: Test::Text {
                field: Field::Sig,
                op: TextOp::Eq,
                value: TextValue::Plain(sig),
            },
        }],
    };
    let source = crate::rq::JobSource::Registry(Registry::Failed);
    let matches = client
        .select_jobs(source, &queues, &selector, |_| {})
        .await?;
    let mut reports = Vec::new();
    for m in matches.into_iter().filter(|m| !m.ids.is_empty()) {
        reports.push(match what {
            SignatureAction::Requeue => {
                client
                    .requeue_selected(Registry::Failed, &m.queue, &m.ids, false)
                    .await?
            }
            SignatureAction::Delete => {
                client
                    .delete_from_registry(Registry::Failed, &m.queue, &m.ids, false)
                    .await?
            }
            SignatureAction::Cancel => client.cancel_jobs(&m.ids, false, false).await?,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(last_cost: Duration) -> State {
        let now = Instant::now();
        State {
            watch: Watch::default(),
            dirty: Dirty::all(),
            dirty_since: Some(now),
            last_fetch: Some(now),
            last_cost,
            events: None,
            events_wanted: false,
            subscribe_at: None,
            failures: 0,
            retry_at: None,
            next_poll: now,
            shown: None,
            tracker: FailureTracker::new(),
            search: None,
            master_check: None,
        }
    }

    #[test]
    fn a_slow_read_spaces_the_next_one_out() {
        let cfg = RefreshConfig::default();
        let st = state(Duration::from_millis(5));
        let last = st.last_fetch.unwrap();
        assert_eq!(
            st.due(&cfg),
            Some(last + cfg.min_interval),
            "cheap reads: as before"
        );
        // A read of 2 s (100,000 queues): the next starts no sooner than 2 s after it ended.
        let st = state(Duration::from_secs(2));
        let last = st.last_fetch.unwrap();
        assert_eq!(st.due(&cfg), Some(last + Duration::from_secs(4)));
        let mut clean = state(Duration::from_secs(2));
        clean.dirty = Dirty::default();
        assert_eq!(clean.due(&cfg), None, "nothing stale, nothing due");
    }
}
