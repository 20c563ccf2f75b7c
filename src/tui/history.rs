//! Bounded per-queue history of what rqtop has seen, for sparklines and drain estimates.

use std::collections::{HashMap, VecDeque};

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

#[derive(Debug, Default, Clone)]
pub struct History {
    queues: HashMap<String, VecDeque<Sample>>,
    last_totals: HashMap<String, (u64, u64)>,
}

impl History {
    /// Records one sample per queue from the latest counts.
    pub fn record(&mut self, at: f64, queues: &[QueueInfo]) {
        for q in queues {
            let (prev_fin, prev_fail) = self
                .last_totals
                .get(&q.name)
                .copied()
                .unwrap_or((q.finished, q.failed));
            self.last_totals
                .insert(q.name.clone(), (q.finished, q.failed));
            let ring = self.queues.entry(q.name.clone()).or_default();
            if ring.len() == SAMPLES {
                ring.pop_front();
            }
            ring.push_back(Sample {
                at,
                queued: q.queued,
                finished: q.finished.saturating_sub(prev_fin),
                failed: q.failed.saturating_sub(prev_fail),
            });
        }
        self.queues
            .retain(|name, _| queues.iter().any(|q| &q.name == name));
    }

    #[must_use]
    pub fn samples(&self, queue: &str) -> Vec<Sample> {
        self.queues
            .get(queue)
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Seconds until the queue is empty at the rate it shrank over the last minute; None
    /// when it is not shrinking.
    #[must_use]
    pub fn drain_eta(&self, queue: &str) -> Option<f64> {
        let ring = self.queues.get(queue)?;
        let last = ring.back()?;
        let first = ring.iter().find(|s| last.at - s.at <= 60.0)?;
        let dt = last.at - first.at;
        if dt < 5.0 || last.queued >= first.queued || last.queued == 0 {
            return None;
        }
        let rate = (first.queued - last.queued) as f64 / dt;
        Some(last.queued as f64 / rate)
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
            workers: 0,
            oldest_queued_at: None,
            expired: 0,
            problem: None,
        }
    }

    #[test]
    fn drain_estimate_from_a_shrinking_queue() {
        let mut h = History::default();
        for i in 0..31 {
            h.record(f64::from(i), &[q("a", 1000 - 10 * u64::from(i as u32), 0)]);
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
