//! One task per target: connect (bounded by its connect timeout), then read the overview
//! every interval (bounded by its response timeout), reporting state and data. A target that
//! is down is retried with backoff; none of this ever waits on another target.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use super::{FleetMsg, MAX_BACKOFF};
use crate::rq::{ConnectOptions, RqClient};
use crate::tui::msg::ConnState;

/// Runs until the view is gone (its channel closed).
/// The client a target's task holds now, for the changes the view runs on that target.
pub type Slot = std::sync::Arc<std::sync::Mutex<Option<RqClient>>>;

pub async fn watch_target(
    index: usize,
    opts: ConnectOptions,
    every: Duration,
    tx: mpsc::Sender<FleetMsg>,
    slot: Slot,
) {
    let mut failures = 0u32;
    let limit = opts.connect_timeout + opts.response_timeout;
    loop {
        let mut client = match tokio::time::timeout(limit, RqClient::connect(&opts)).await {
            Ok(Ok(c)) => {
                if let Ok(mut held) = slot.lock() {
                    *held = Some(c.clone());
                }
                c
            }
            Ok(Err(e)) => {
                failures += 1;
                if !report(&tx, index, lost(failures, e.to_string())).await {
                    return;
                }
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
            Err(_) => {
                failures += 1;
                let why = format!("no answer within {}", humantime::format_duration(limit));
                if !report(&tx, index, lost(failures, why)).await {
                    return;
                }
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        loop {
            let read = tokio::time::timeout(opts.response_timeout, client.overview()).await;
            let ok = match read {
                Ok(Ok(ov)) => {
                    failures = 0;
                    // Through Sentinel, an old master demoted to a replica still answers
                    // reads: only asking the sentinels finds the new one.
                    if client.master().is_some()
                        && let Ok(Some(_)) = client.follow_master().await
                        && let Ok(mut held) = slot.lock()
                    {
                        *held = Some(client.clone());
                    }
                    let polling = ConnState::Polling {
                        every,
                        why: "fleet view".into(),
                    };
                    report(&tx, index, polling).await
                        && tx
                            .send(FleetMsg::Loaded(index, Box::new(ov), SystemTime::now()))
                            .await
                            .is_ok()
                }
                Ok(Err(e)) => {
                    failures += 1;
                    report(&tx, index, lost(failures, e.to_string())).await
                }
                Err(_) => {
                    failures += 1;
                    let why = format!(
                        "no answer within {}",
                        humantime::format_duration(opts.response_timeout)
                    );
                    report(&tx, index, lost(failures, why)).await
                }
            };
            if !ok {
                return;
            }
            if failures > 0 {
                tokio::time::sleep(backoff(failures)).await;
                // The connection manager reconnects by itself; a Sentinel target may have
                // a new master: connect afresh after a few failures.
                if failures >= 3 {
                    break;
                }
            } else {
                tokio::time::sleep(every).await;
            }
        }
    }
}

fn lost(attempt: u32, error: String) -> ConnState {
    ConnState::Reconnecting { attempt, error }
}

/// False when the view is gone.
async fn report(tx: &mpsc::Sender<FleetMsg>, index: usize, state: ConnState) -> bool {
    tx.send(FleetMsg::State(index, state)).await.is_ok()
}

fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(3)).min(MAX_BACKOFF)
}
