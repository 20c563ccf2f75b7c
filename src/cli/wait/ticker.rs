//! When to look again: at once when a keyspace event about RQ's keys arrives (if the server
//! publishes them), else every `--interval`. Events can be lost, so a slow poll runs under
//! them too; a subscription that ends (Redis restarted) is made again later.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, sleep, timeout};

use crate::rq::RqClient;

/// The poll under events: they say when to look, this catches what they missed.
const SAFETY_POLL: Duration = Duration::from_secs(5);
/// Events that come together (a worker finishing a job touches several keys) make one look.
const COALESCE: Duration = Duration::from_millis(100);

type Events = Pin<Box<dyn Stream<Item = String> + Send>>;

pub struct Ticker {
    client: RqClient,
    interval: Duration,
    /// Whether the server publishes the keyspace events we need.
    events_on: bool,
    events: Option<Events>,
    /// No new subscription before this (after one failed or ended).
    retry_at: Instant,
}

impl Ticker {
    pub async fn new(client: &RqClient, interval: Duration, events_on: bool) -> Self {
        let mut t = Self {
            client: client.clone(),
            interval,
            events_on,
            events: None,
            retry_at: Instant::now(),
        };
        t.resubscribe().await;
        t
    }

    /// Whether looks are driven by events right now (for the JSON document and tests).
    #[must_use]
    pub fn following_events(&self) -> bool {
        self.events.is_some()
    }

    async fn resubscribe(&mut self) {
        if !self.events_on || self.events.is_some() || Instant::now() < self.retry_at {
            return;
        }
        match timeout(Duration::from_secs(2), self.client.subscribe()).await {
            Ok(Ok(s)) => self.events = Some(Box::pin(s)),
            _ => self.retry_at = Instant::now() + SAFETY_POLL,
        }
    }

    /// Waits until it is time to look again.
    pub async fn next(&mut self) {
        self.resubscribe().await;
        let Some(events) = self.events.as_mut() else {
            sleep(self.interval).await;
            return;
        };
        match timeout(SAFETY_POLL.max(self.interval), events.next()).await {
            Err(_) => {}
            Ok(None) => {
                // The connection ended (Redis went away): poll until a new one works.
                self.events = None;
                self.retry_at = Instant::now() + self.interval;
            }
            Ok(Some(_)) => {
                let until = Instant::now() + COALESCE;
                while let Ok(Some(_)) = tokio::time::timeout_at(until, events.next()).await {}
            }
        }
    }
}
