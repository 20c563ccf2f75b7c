//! The second round trip of an overview: every queue's counts and every worker's hash, and
//! RQ 3.0's rate limits. A trip's commands are queued by `add` and their replies read by
//! `take` in the same order, whether they go in a pipeline of their own or ride on the
//! first round trip (`RqClient::overview_ahead`).

use std::ops::Range;

use redis::Value;

use super::super::keys::Keys;
use super::super::rate_limits;
use super::super::reply::{self, Replies};
use super::{
    COUNT_WORKER_FIELDS, Counts, Detail, Names, WORKER_FIELDS, listener_counts, queue_from_replies,
    read_queue, with_executions, worker_from_hash,
};

/// One pipeline's share: the queues `qs` and workers `ws` of `names`, and on the first
/// pipeline the rate limits.
pub(super) struct CountTrip<'a> {
    pub names: &'a Names,
    pub qs: Range<usize>,
    pub ws: Range<usize>,
    pub first: bool,
}

impl<'a> CountTrip<'a> {
    /// Everything in one pipeline.
    pub fn whole(names: &'a Names) -> Self {
        Self {
            names,
            qs: 0..names.queues.len(),
            ws: 0..names.workers.len(),
            first: true,
        }
    }
}

/// The worker fields read, and whether each worker's TTL and executions are read too.
fn worker_fields(detail: Detail) -> (&'static [&'static str], bool) {
    match detail {
        Detail::Full => (&WORKER_FIELDS, true),
        Detail::Counts => (&COUNT_WORKER_FIELDS, false),
    }
}

/// Queues the commands of `trip`. `now` (UNIX seconds) tells expired registry entries.
pub(super) fn add(
    keys: &Keys,
    pipe: &mut redis::Pipeline,
    trip: &CountTrip<'_>,
    detail: Detail,
    now: f64,
) {
    let (fields, full) = worker_fields(detail);
    if trip.first {
        // A lean read needs no waiting ids (their queues): only each key's oldest.
        let ids = if full { rate_limits::ORIGINS_READ } else { 0 };
        rate_limits::read(pipe, keys, &trip.names.rate_limit_keys, ids);
    }
    for q in trip.names.queues.get(trip.qs.clone()).unwrap_or_default() {
        read_queue(pipe, keys, q, now);
    }
    for w in trip.names.workers.get(trip.ws.clone()).unwrap_or_default() {
        let key = keys.worker(w);
        // Sized up front: growing 200 commands of 10 arguments was a tenth of a scrape's CPU.
        let bytes = 5 + key.len() + fields.iter().map(|f| f.len()).sum::<usize>();
        let mut hmget = redis::Cmd::with_capacity(2 + fields.len(), bytes);
        hmget.arg("HMGET").arg(&key).arg(fields);
        pipe.add_command(hmget);
        if full {
            pipe.cmd("TTL").arg(&key);
            pipe.cmd("SMEMBERS").arg(keys.worker_executions(w));
        }
    }
}

impl Counts {
    /// What the trips of one read found, with each queue's live listeners.
    pub(super) fn finish(mut self, names: &Names) -> Self {
        let listeners = listener_counts(&names.queues, &self.workers);
        for ((q, _), n) in self.queues.iter_mut().zip(listeners) {
            q.workers = n;
        }
        self
    }
}

/// Reads the replies of `add(trip)` from `r` into `acc`.
pub(super) fn take(
    keys: &Keys,
    r: &mut Replies,
    trip: &CountTrip<'_>,
    detail: Detail,
    acc: &mut Counts,
) {
    let (fields, full) = worker_fields(detail);
    if trip.first {
        (acc.limits, acc.waiting) = rate_limits::parse(r, &trip.names.rate_limit_keys);
    }
    for name in trip.names.queues.get(trip.qs.clone()).unwrap_or_default() {
        acc.queues.push(queue_from_replies(r, keys, name));
    }
    for name in trip.names.workers.get(trip.ws.clone()).unwrap_or_default() {
        let values = r.next();
        if let Some(err) = reply::error(&values) {
            let key = super::super::keys::name_from_bytes(&keys.worker(name));
            acc.problems.push(format!("{key}: {err}"));
        }
        // Without the TTL, a worker whose key is gone shows as a hash without fields.
        let ttl = if full { reply::int(&r.next()) } else { None };
        // The fields this reads, by name: HMGET sends no names back, which halves the
        // bytes of 200 workers (a scrape's largest reply).
        let fields: Vec<(&[u8], &[u8])> = fields
            .iter()
            .zip(reply::items(&values))
            .filter_map(|(f, v)| match v {
                Value::BulkString(b) => Some((f.as_bytes(), b.as_slice())),
                Value::SimpleString(t) => Some((f.as_bytes(), t.as_bytes())),
                _ => None,
            })
            .collect();
        let executions = if full {
            reply::members(&r.next())
        } else {
            Vec::new()
        };
        // A member whose key is gone is a stale registration: RQ does not count it.
        if ttl != Some(-2) && !fields.is_empty() {
            let mut w = worker_from_hash(name, &fields, ttl);
            with_executions(&mut w, &executions);
            acc.workers.push(w);
        }
    }
}
