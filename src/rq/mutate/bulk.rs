//! Shared machinery for bulk mutations: snapshots of registries and batched script calls.

use std::collections::HashMap;

use super::super::client::RqClient;
use super::super::decode;
use super::super::error::Result;
use super::super::keys::Registry;
use super::super::reply;

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
}
