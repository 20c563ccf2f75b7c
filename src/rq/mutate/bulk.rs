//! Shared machinery for bulk mutations: snapshots of registries and batched script calls.

use redis::Script;

use super::super::client::RqClient;
use super::super::decode;
use super::super::error::{Error, Result};
use super::super::keys::Registry;
use super::super::reply;
use super::BATCH;

/// Ids are read in pages of this many (one round trip each) before anything changes.
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
    /// Every member of a registry at this moment, paged so that no reply is huge. Concurrent
    /// changes may shift pages; the per-job scripts re-check membership, so a shifted page
    /// can only cause a skip, never a double move.
    pub(crate) async fn snapshot_registry(
        &mut self,
        registry: Registry,
        queue: &str,
    ) -> Result<Vec<Member>> {
        let key = registry.key(queue);
        let mut out = Vec::new();
        let mut start = 0_i64;
        loop {
            let v = self
                .cmd(
                    "read registry",
                    redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(start)
                        .arg(start + SNAPSHOT_PAGE - 1)
                        .arg("WITHSCORES")
                        .clone(),
                )
                .await?;
            let page = reply::scored(&v);
            let n = page.len();
            out.extend(page.into_iter().map(|(m, score)| {
                Member::of(
                    Some(registry),
                    String::from_utf8_lossy(&m).into_owned(),
                    score,
                )
            }));
            if (n as i64) < SNAPSHOT_PAGE {
                break;
            }
            start += SNAPSHOT_PAGE;
        }
        out.dedup_by(|a, b| a.member == b.member);
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

    /// Runs `script` over `items` in batches; `args` come first, then each item's own args.
    /// Returns one code per item, in order. On an error the codes so far are returned with it.
    pub(crate) async fn run_batches<T>(
        &mut self,
        script: &Script,
        keys: &[Vec<u8>],
        args: &[String],
        items: &[T],
        item_args: impl Fn(&T) -> Vec<String>,
    ) -> (Vec<i64>, Option<Error>) {
        let mut codes = Vec::with_capacity(items.len());
        for batch in items.chunks(BATCH) {
            let mut inv = script.prepare_invoke();
            for k in keys {
                inv.key(k.as_slice());
            }
            for a in args {
                inv.arg(a.as_str());
            }
            for item in batch {
                for a in item_args(item) {
                    inv.arg(a);
                }
            }
            match inv.invoke_async::<redis::Value>(self.connection()).await {
                Ok(v) => {
                    let got: Vec<i64> = reply::items(&v)
                        .iter()
                        .map(|c| reply::int(c).unwrap_or(-99))
                        .collect();
                    if got.len() != batch.len() {
                        return (
                            codes,
                            Some(Error::Redis {
                                op: "run script",
                                reason: format!(
                                    "expected {} results, got {}",
                                    batch.len(),
                                    got.len()
                                ),
                            }),
                        );
                    }
                    codes.extend(got);
                }
                Err(e) => return (codes, Some(Error::redis("run script", &e))),
            }
        }
        (codes, None)
    }
}
