//! Shared machinery for bulk mutations: snapshots of registries and batched script calls.

use std::collections::HashMap;

use super::super::client::RqClient;
use super::super::decode;
use super::super::error::Result;
use super::super::keys::{self, Registry};
use super::super::reply;
use super::{Report, SAMPLE};

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
        let key = self.keys.registry(registry, queue);
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
                    super::super::keys::name_from_bytes(&m),
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

    /// Counts what a dry run over a whole registry would meet, a page at a time and never
    /// holding the registry: `matched` (members with a job hash, up to `max_score`),
    /// `dangling_removed` (members whose hash is gone) and a `sample` of the first ids in
    /// score order. Pages go by rank: a dry run changes nothing, and members added or
    /// removed meanwhile change the counts by at most that many.
    pub(crate) async fn survey_registry(
        &mut self,
        registry: Registry,
        queue: &str,
        max_score: Option<f64>,
        expired_by: Option<f64>,
        report: &mut Report,
    ) -> Result<()> {
        let key = self.keys.registry(registry, queue);
        let mut start = 0_i64;
        loop {
            let page = self
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
            let scored = reply::scored(&page);
            let fetched = scored.len();
            let in_window: Vec<(Vec<u8>, f64)> = scored
                .into_iter()
                .take_while(|(_, score)| max_score.is_none_or(|max| *score <= max))
                .collect();
            let past_window = in_window.len() < fetched;
            let members: Vec<Member> = in_window
                .into_iter()
                // Entries whose expiry passed are left for RQ's cleanup (`expired_left`).
                .filter(|(_, score)| {
                    let expired = expired_by.is_some_and(|now| (0.0..=now).contains(score));
                    report.expired_left += u64::from(expired);
                    !expired
                })
                .map(|(m, score)| Member::of(Some(registry), keys::name_from_bytes(&m), score))
                .collect();
            let room = SAMPLE.saturating_sub(report.sample.len());
            report
                .sample
                .extend(members.iter().take(room).map(|m| m.id.clone()));
            let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
            let exists = self.existing(&ids).await?;
            let present = exists.iter().filter(|ok| **ok).count() as u64;
            report.matched += present;
            report.dangling_removed += ids.len() as u64 - present;
            // Scores only grow along the ranks: past `max_score`, nothing more qualifies.
            if past_window || fetched < SNAPSHOT_PAGE as usize {
                return Ok(());
            }
            start += SNAPSHOT_PAGE;
        }
    }

    /// Which of `ids` have a job hash, checked with pipelined EXISTS.
    pub(crate) async fn existing(&mut self, ids: &[&str]) -> Result<Vec<bool>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SNAPSHOT_PAGE as usize) {
            let mut pipe = redis::pipe();
            for id in chunk {
                pipe.cmd("EXISTS").arg(self.keys.job(id));
            }
            let replies = self.pipeline("check jobs", pipe).await?;
            out.extend(replies.iter().map(|v| reply::int(v).unwrap_or(0) > 0));
        }
        Ok(out)
    }
}
