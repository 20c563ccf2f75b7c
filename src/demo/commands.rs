//! The workers' command channels (`rq:pubsub:<name>`): a subscriber task forwards each
//! message to the simulation, which obeys it on its next tick (shutdown, kill-horse,
//! stop-job), so PUBLISH from rqtop reaches "a worker".

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::K;

/// (worker name, JSON payload)
pub type Command = (String, String);

pub struct Listener {
    rx: mpsc::UnboundedReceiver<Command>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Subscribes to every worker's channel; None when the subscription fails (the demo
    /// then simply runs without commands).
    pub async fn start(client: &redis::Client, names: &[&'static str]) -> Option<Self> {
        let mut pubsub = client.get_async_pubsub().await.ok()?;
        let channels: Vec<(Vec<u8>, &'static str)> =
            names.iter().map(|n| (K.pubsub(n), *n)).collect();
        for (channel, _) in &channels {
            pubsub.subscribe(channel.as_slice()).await.ok()?;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let channel = msg.get_channel_name().as_bytes();
                let Some((_, name)) = channels.iter().find(|(c, _)| c.as_slice() == channel) else {
                    continue;
                };
                let payload: Vec<u8> = msg.get_payload().unwrap_or_default();
                let payload = String::from_utf8_lossy(&payload).into_owned();
                if tx.send(((*name).to_string(), payload)).is_err() {
                    break;
                }
            }
        });
        Some(Self { rx, task })
    }

    /// The commands received since the last call.
    pub fn drain(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        while let Ok(c) = self.rx.try_recv() {
            out.push(c);
        }
        out
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}
