//! Shared machinery for bulk mutations: snapshots of registries and batched script calls.

use std::collections::HashMap;

use futures_util::StreamExt;
use redis::{Cmd, Script};

use super::super::client::RqClient;
use super::super::decode;
use super::super::error::{Error, Result};
use super::super::keys::Registry;
use super::super::reply;
use super::{BATCH, BATCHES_PER_TRIP};

/// Ids are read in pages of about this many (one round trip each) before anything changes.
const SNAPSHOT_PAGE: i64 = 10_000;

/// A registry member and the job id inside it (they differ for RQ 2.x started entries).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub member: String,
    pub id: String,
    pub score: f64,
}

impl Member {
    pub(crate) fn of(registry: Option<Registry>, member: String, score: f64) -> Self {
        let id = if registry == Some(Registry::Started) {
            decode::wip_member(&member).0.to_string()
        } else {
            member.clone()
        };
        Self { member, id, score }
    }
}

impl RqClient {
    /// Every member of a registry, in score order (the order RQ requeues in). Read with
    /// ZSCAN, which returns every member present for the whole scan even while others are
    /// added or removed (paging by rank would skip some when earlier ones go away).
    pub(crate) async fn snapshot_registry(
        &mut self,
        registry: Registry,
        queue: &str,
    ) -> Result<Vec<Member>> {
        let key = registry.key(queue);
        let mut seen: HashMap<Vec<u8>, f64> = HashMap::new();
        let mut cursor = b"0".to_vec();
        loop {
            let v = self
                .cmd(
                    "read registry",
                    redis::cmd("ZSCAN")
                        .arg(&key)
                        .arg(&cursor)
                        .arg("COUNT")
                        .arg(SNAPSHOT_PAGE)
                        .clone(),
                )
                .await?;
            let parts = reply::items(&v);
            cursor = parts
                .first()
                .and_then(reply::bytes)
                .unwrap_or_else(|| b"0".to_vec());
            if let Some(page) = parts.get(1) {
                seen.extend(reply::scored(page));
            }
            if cursor == b"0" {
                break;
            }
        }
        let mut out: Vec<Member> = seen
            .into_iter()
            .map(|(m, score)| {
                Member::of(
                    Some(registry),
                    String::from_utf8_lossy(&m).into_owned(),
                    score,
                )
            })
            .collect();
        out.sort_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then_with(|| a.member.cmp(&b.member))
        });
        Ok(out)
    }

    /// Which of `ids` have a job hash, checked with pipelined EXISTS.
    pub(crate) async fn existing(&mut self, ids: &[&str]) -> Result<Vec<bool>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SNAPSHOT_PAGE as usize) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.cmd("EXISTS").arg(super::super::keys::job(id));
            }
            let replies = self.pipeline("check jobs", pipe).await?;
            out.extend(replies.iter().map(|v| reply::int(v).unwrap_or(0) > 0));
        }
        Ok(out)
    }

    /// Runs `script` over `items` in batches of `BATCH`, several batches per round trip;
    /// `args` come first, then each item's own args (pushed by `item_args`). Returns one
    /// code per item, in order; on an error, the codes so far with it.
    pub(crate) async fn run_batches<T>(
        &mut self,
        script: &Script,
        keys: &[Vec<u8>],
        args: &[String],
        items: &[T],
        item_args: impl Fn(&T, &mut Cmd),
    ) -> (Vec<i64>, Option<Error>) {
        let mut codes = Vec::with_capacity(items.len());
        if items.is_empty() {
            return (codes, None);
        }
        if let Err(e) = script.load_async(self.connection()).await {
            return (codes, Some(Error::redis("load script", &e)));
        }
        let invocation = |batch: &[T]| {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(script.get_hash()).arg(keys.len());
            for k in keys {
                cmd.arg(k.as_slice());
            }
            for a in args {
                cmd.arg(a.as_str());
            }
            for item in batch {
                item_args(item, &mut cmd);
            }
            cmd
        };
        // Two round trips in flight: Redis runs one group while the next is on its way, so
        // the server, not the network or this client, sets the pace. Replies come in order.
        let groups: Vec<&[T]> = items.chunks(BATCH * BATCHES_PER_TRIP).collect();
        let pipes: Vec<redis::Pipeline> = groups
            .iter()
            .map(|group| {
                let mut pipe = redis::pipe();
                pipe.ignore_errors();
                for batch in group.chunks(BATCH) {
                    pipe.add_command(invocation(batch));
                }
                pipe
            })
            .collect();
        let conn = self.connection().clone();
        let mut replies_in_order = futures_util::stream::iter(pipes.into_iter().map(move |pipe| {
            let mut c = conn.clone();
            async move { pipe.query_async::<Vec<redis::Value>>(&mut c).await }
        }))
        .buffered(2);
        let conn = self.connection().clone();
        let mut group_index = 0;
        while let Some(result) = replies_in_order.next().await {
            let group = groups[group_index];
            group_index += 1;
            let replies = match result {
                Ok(r) => r,
                Err(e) => return (codes, Some(Error::redis("run script", &e))),
            };
            for (batch, mut reply) in group.chunks(BATCH).zip(replies) {
                if reply::error(&reply).is_some_and(|e| e.contains("NOSCRIPT")) {
                    // The server lost its script cache meanwhile: this batch did not run.
                    let mut c = conn.clone();
                    let retried = match script.load_async(&mut c).await {
                        Ok(_) => invocation(batch).query_async(&mut c).await,
                        Err(e) => Err(e),
                    };
                    match retried {
                        Ok(v) => reply = v,
                        Err(e) => return (codes, Some(Error::redis("run script", &e))),
                    }
                }
                if let Some(err) = reply::error(&reply) {
                    return (
                        codes,
                        Some(Error::Redis {
                            op: "run script",
                            reason: err,
                        }),
                    );
                }
                let got = reply::items(&reply);
                if got.len() != batch.len() {
                    let reason = format!("expected {} results, got {}", batch.len(), got.len());
                    return (
                        codes,
                        Some(Error::Redis {
                            op: "run script",
                            reason,
                        }),
                    );
                }
                codes.extend(got.iter().map(|c| reply::int(c).unwrap_or(-99)));
            }
        }
        (codes, None)
    }
}
