//! Bounded per-queue history of what rqtop has seen, for sparklines and drain estimates.
//!
//! Recorded on the UI task once per tick for every queue, so a tick must stay linear in the
//! number of queues, cheap, and light on memory: tracks are kept in the overview's order, so
//! a tick walks them side by side with the queues (names are only looked up again when the
//! list of queues changed, and queues that disappeared are dropped then); the sample times
//! are kept once for all queues; and a queue's samples are run-length encoded (an idle
//! queue, the common case among thousands, is one run and allocates nothing of its own).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::rq::QueueInfo;

/// Samples kept per queue (one per tick: two minutes at the default 1 s tick).
pub const SAMPLES: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the UNIX epoch.
    pub at: f64,
    pub queued: u64,
    /// Jobs that finished / failed since the previous sample (registry growth, never negative).
    pub finished: u64,
    pub failed: u64,
}

/// `n` consecutive samples with the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    queued: u64,
    finished: u64,
    failed: u64,
    n: u32,
}

impl Run {
    fn same(&self, other: &Run) -> bool {
        (self.queued, self.finished, self.failed) == (other.queued, other.finished, other.failed)
    }
}

/// One queue's samples: the newest run inline, older runs (oldest first) in `older`.
#[derive(Debug, Clone)]
struct Track {
    /// Shared with `History::index` (a count bump, not a copy, per queue).
    name: Arc<str>,
    newest: Run,
    older: VecDeque<Run>,
    /// Samples held (the sum of the runs' `n`), at most `SAMPLES`.
    len: usize,
    /// Registry totals at the previous sample, for the per-tick growth.
    totals: (u64, u64),
}

impl Track {
    fn new(q: &QueueInfo) -> Self {
        Self {
            name: Arc::from(q.name.as_str()),
            newest: Run {
                queued: 0,
                finished: 0,
                failed: 0,
                n: 0,
            },
            older: VecDeque::new(),
            len: 0,
            totals: (q.finished, q.failed),
        }
    }

    fn record(&mut self, q: &QueueInfo) {
        let run = Run {
            queued: q.queued,
            finished: q.finished.saturating_sub(self.totals.0),
            failed: q.failed.saturating_sub(self.totals.1),
            n: 1,
        };
        self.totals = (q.finished, q.failed);
        if self.newest.n == 0 {
            self.newest = run;
        } else if self.newest.same(&run) {
            self.newest.n += 1;
        } else {
            self.older
                .push_back(std::mem::replace(&mut self.newest, run));
        }
        self.len += 1;
        if self.len > SAMPLES {
            let oldest = self.older.front_mut().unwrap_or(&mut self.newest);
            oldest.n = oldest.n.saturating_sub(1);
            if oldest.n == 0 {
                self.older.pop_front();
            }
            self.len -= 1;
        }
    }

    /// The samples' values, oldest first.
    fn values(&self) -> impl Iterator<Item = Run> + '_ {
        self.older
            .iter()
            .chain(std::iter::once(&self.newest))
            .flat_map(|r| std::iter::repeat_n(*r, r.n as usize))
    }
}

#[derive(Debug, Default, Clone)]
pub struct History {
    /// When each of the last (up to) `SAMPLES` records was taken, oldest first; a queue's
    /// `len` samples are the last `len` of these.
    times: VecDeque<f64>,
    /// One track per queue of the last record, in its order.
    tracks: Vec<Track>,
    /// Where each queue's track is (the first, should a name be listed twice).
    index: HashMap<Arc<str>, usize>,
}

impl History {
    /// Records one sample per queue from the latest counts, and forgets queues that are no
    /// longer listed. Linear in `queues.len()`; names are hashed only when the list of
    /// queues differs from the previous record's.
    pub fn record(&mut self, at: f64, queues: &[QueueInfo]) {
        if self.times.len() == SAMPLES {
            self.times.pop_front();
        }
        self.times.push_back(at);
        let same = self.tracks.len() == queues.len()
            && self
                .tracks
                .iter()
                .zip(queues)
                .all(|(t, q)| *t.name == *q.name);
        if !same {
            self.follow(queues);
        }
        for (t, q) in self.tracks.iter_mut().zip(queues) {
            t.record(q);
        }
    }

    /// Re-lays the tracks out in the order of `queues`: kept for queues still listed, new
    /// for the others; those of queues no longer listed are dropped.
    fn follow(&mut self, queues: &[QueueInfo]) {
        let mut old: Vec<Option<Track>> = std::mem::take(&mut self.tracks)
            .into_iter()
            .map(Some)
            .collect();
        let index = std::mem::take(&mut self.index);
        let mut tracks = Vec::with_capacity(queues.len());
        let mut placed = HashMap::with_capacity(queues.len());
        for q in queues {
            let kept = index
                .get(q.name.as_str())
                .and_then(|&i| old.get_mut(i))
                .and_then(Option::take);
            let track = kept.unwrap_or_else(|| Track::new(q));
            placed
                .entry(Arc::clone(&track.name))
                .or_insert(tracks.len());
            tracks.push(track);
        }
        self.tracks = tracks;
        self.index = placed;
    }

    /// The queue's samples, oldest first (empty for a queue never recorded).
    #[must_use]
    pub fn samples(&self, queue: &str) -> Vec<Sample> {
        let Some(t) = self.index.get(queue).and_then(|&i| self.tracks.get(i)) else {
            return Vec::new();
        };
        let times = self
            .times
            .iter()
            .skip(self.times.len().saturating_sub(t.len));
        times
            .zip(t.values())
            .map(|(&at, r)| Sample {
                at,
                queued: r.queued,
                finished: r.finished,
                failed: r.failed,
            })
            .collect()
    }

    /// Queues with a history (those listed by the last record).
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Seconds until the queue is empty at the rate its jobs actually ended (finished or
    /// failed) over the last minute; None when none ended. A queue that shrank because it
    /// was emptied or compacted is not draining, so the depth's own fall is not used.
    #[must_use]
    pub fn drain_eta(&self, queue: &str) -> Option<f64> {
        let samples = self.samples(queue);
        let last = samples.last()?;
        let start = samples.iter().position(|s| last.at - s.at <= 60.0)?;
        let dt = last.at - samples[start].at;
        let ended: u64 = samples[start + 1..]
            .iter()
            .map(|s| s.finished + s.failed)
            .sum();
        if dt < 5.0 || ended == 0 || last.queued == 0 {
            return None;
        }
        Some(last.queued as f64 / (ended as f64 / dt))
    }
}

/// A one-cell-per-sample sparkline in block characters, scaled to the window's maximum.
#[must_use]
pub fn spark(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|&v| {
            if max == 0 {
                BARS[0]
            } else {
                let i = (v as f64 / max as f64 * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draining_is_jobs_ending_not_the_depth_falling() {
        let mut h = History::default();
        // Emptied: depth 1,000 to 0 and then growing, nothing finishing (workers suspended).
        for (i, queued) in [1000, 0, 10, 20, 30, 40, 50, 60].into_iter().enumerate() {
            h.record(i as f64 * 2.0, &[q("a", queued, 0)]);
        }
        assert_eq!(h.drain_eta("a"), None, "not draining");
        // Draining: 10 jobs a second finish, 100 queued.
        let mut h = History::default();
        for i in 0..10_u32 {
            h.record(f64::from(i), &[q("b", 100, u64::from(i) * 10)]);
        }
        let eta = h.drain_eta("b").unwrap();
        assert!((eta - 10.0).abs() < 0.5, "{eta}");
    }

    fn q(name: &str, queued: u64, finished: u64) -> QueueInfo {
        QueueInfo {
            name: name.into(),
            queued,
            started: 0,
            deferred: 0,
            finished,
            failed: 0,
            scheduled: 0,
            canceled: 0,
            ready: 0,
            rate_limited: 0,
            workers: 0,
            oldest_queued_at: None,
            expired: 0,
            next_scheduled_at: None,
            problem: None,
        }
    }

    #[test]
    fn drain_estimate_from_a_shrinking_queue() {
        let mut h = History::default();
        for i in 0..31 {
            // 10 jobs finish each second.
            let n = u64::from(i as u32);
            h.record(f64::from(i), &[q("a", 1000 - 10 * n, 10 * n)]);
        }
        let eta = h.drain_eta("a").unwrap();
        assert!((eta - 70.0).abs() < 1.0, "{eta}");
        let mut growing = History::default();
        for i in 0..31 {
            growing.record(f64::from(i), &[q("b", u64::from(i as u32), 0)]);
        }
        assert_eq!(growing.drain_eta("b"), None);
    }

    #[test]
    fn queues_that_disappear_are_dropped_and_come_back_afresh() {
        let mut h = History::default();
        h.record(0.0, &[q("a", 1, 0), q("b", 2, 0), q("c", 3, 0)]);
        h.record(1.0, &[q("a", 1, 0), q("c", 4, 0)]);
        assert_eq!(h.len(), 2);
        assert!(h.samples("b").is_empty(), "b is gone");
        assert_eq!(h.samples("c").len(), 2);
        h.record(2.0, &[q("b", 9, 0)]);
        assert_eq!(h.len(), 1);
        let b = h.samples("b");
        assert_eq!(b.len(), 1, "b starts a new history");
        assert_eq!((b[0].at, b[0].queued), (2.0, 9));
        h.record(3.0, &[]);
        assert!(h.is_empty());
    }

    #[test]
    fn samples_match_a_plain_ring_whatever_the_runs() {
        // The run-length encoding must give exactly what a plain ring of samples would:
        // same values, same times, same bound, for steady, alternating and late queues.
        let mut h = History::default();
        let mut plain: HashMap<&str, VecDeque<Sample>> = HashMap::new();
        let mut totals: HashMap<&str, u64> = HashMap::new();
        for i in 0..300u64 {
            let at = 1000.0 + i as f64;
            let mut qs = vec![
                q("steady", 7, 100),
                q("flip", i % 2, 10 * i),
                q("steps", i / 17, i * i % 50),
            ];
            if i >= 250 {
                qs.push(q("late", i, 0));
            }
            h.record(at, &qs);
            for x in &qs {
                let name: &str = match x.name.as_str() {
                    "steady" => "steady",
                    "flip" => "flip",
                    "steps" => "steps",
                    _ => "late",
                };
                let prev = totals.insert(name, x.finished).unwrap_or(x.finished);
                let ring = plain.entry(name).or_default();
                if ring.len() == SAMPLES {
                    ring.pop_front();
                }
                ring.push_back(Sample {
                    at,
                    queued: x.queued,
                    finished: x.finished.saturating_sub(prev),
                    failed: 0,
                });
            }
        }
        for (name, ring) in &plain {
            let want: Vec<Sample> = ring.iter().copied().collect();
            assert_eq!(h.samples(name), want, "{name}");
        }
        assert_eq!(h.samples("late").len(), 50);
        assert_eq!(h.samples("steady").len(), SAMPLES);
        let steady = &h.tracks[h.index["steady"]];
        assert_eq!(steady.older.len(), 0, "a steady queue is one run");
    }

    #[test]
    fn a_name_listed_twice_shows_its_first_listing() {
        let mut h = History::default();
        h.record(0.0, &[q("a", 1, 0), q("a", 5, 0)]);
        h.record(1.0, &[q("a", 2, 0), q("a", 6, 0)]);
        let s = h.samples("a");
        assert_eq!(s.iter().map(|x| x.queued).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn a_reordered_list_keeps_each_queues_history() {
        let mut h = History::default();
        h.record(0.0, &[q("a", 1, 0), q("b", 2, 0), q("c", 3, 0)]);
        h.record(1.0, &[q("c", 4, 0), q("a", 5, 0)]);
        h.record(2.0, &[q("c", 6, 0), q("a", 7, 0)]);
        let queued = |name| h.samples(name).iter().map(|x| x.queued).collect::<Vec<_>>();
        assert_eq!(queued("a"), vec![1, 5, 7]);
        assert_eq!(queued("c"), vec![3, 4, 6]);
        assert!(queued("b").is_empty());
        assert_eq!(h.samples("a")[0].at, 0.0);
    }

    #[test]
    fn bounded_and_throughput_never_negative() {
        let mut h = History::default();
        for i in 0..500 {
            h.record(
                f64::from(i),
                &[q("a", 5, if i % 2 == 0 { 100 } else { 50 })],
            );
        }
        let s = h.samples("a");
        assert_eq!(s.len(), SAMPLES);
        assert!(s.iter().all(|x| x.finished <= 50));
        assert_eq!(spark(&[0, 5, 10], 10), "▁▅█");
        assert_eq!(spark(&[], 10), "");
    }
}
