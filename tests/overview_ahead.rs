//! `RqClient::overview_ahead`, the read behind `rqctl metrics --listen`: it sends the counts
//! of the names the last read found with its first round trip. Whether that guess holds or
//! real RQ changed the names in between (a new queue, a worker that starts), it must give
//! what a plain read gives.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::Duration;

use rqtop::rq::{ConnectOptions, Detail, Overview, ReadAhead, RqClient};
use support::{RedisServer, Rq};

/// A plain read, the read ahead, and a plain read again: the read ahead must equal the
/// plain reads. Registered workers heartbeat now and then; when the two plain reads differ
/// (a heartbeat fell between them) the three are read again. Returns whether the guess
/// held in the read that was judged.
async fn check(c: &mut RqClient, ahead: &mut ReadAhead) -> bool {
    let mut last = None;
    for _ in 0..5 {
        let before = c.overview_with(Detail::Counts).await.unwrap();
        let held = ahead.held();
        let read = c.overview_ahead(Detail::Counts, ahead).await.unwrap();
        let after = c.overview_with(Detail::Counts).await.unwrap();
        if before == after {
            assert_eq!(read, before, "read ahead vs plain read");
            return ahead.held() > held;
        }
        last = Some(read);
    }
    panic!("the state never held still for three reads: {last:?}");
}

/// Waits until real RQ lists the worker, idle.
async fn wait_registered(c: &mut RqClient, name: &str) {
    for _ in 0..100 {
        let o = c.overview_with(Detail::Counts).await.unwrap();
        if o.workers
            .iter()
            .any(|w| w.name == name && w.state == "idle")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("worker {name} never registered");
}

/// After registering, a worker heartbeats once more as it starts to wait for jobs; then
/// not for minutes. Reads that follow that heartbeat are not disturbed.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(700)).await;
}

fn names(o: &Overview) -> (Vec<&str>, Vec<&str>) {
    (
        o.queues.iter().map(|q| q.name.as_str()).collect(),
        o.workers.iter().map(|w| w.name.as_str()).collect(),
    )
}

#[test]
fn a_read_ahead_gives_what_a_plain_read_gives_as_real_rq_changes_the_names() {
    support::ensure_test_env();
    let server = RedisServer::start();
    let url = server.url();
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('a', connection=r)\nfor i in range(3): q.enqueue(labjobs.add, i, 1)\nq.enqueue(labjobs.fail, 'x')\n",
    );
    Rq::V2.burst(&url, "a");
    Rq::V2.script(
        &url,
        "from rq import Queue\nimport labjobs\nq = Queue('a', connection=r)\nq.enqueue(labjobs.add, 7, 1)\n",
    );
    let _w1 = Rq::V2.worker(&url, "w1", &["idle-q"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = RqClient::connect(&ConnectOptions::new(&url)).await.unwrap();
        wait_registered(&mut c, "w1").await;
        settle().await;

        // The first read has nothing to guess from.
        let mut ahead = ReadAhead::default();
        assert!(!check(&mut c, &mut ahead).await, "nothing to guess from");
        // Nothing changed: the guess holds.
        assert!(check(&mut c, &mut ahead).await, "the names stayed: the guess holds");
        let o = c.overview_with(Detail::Counts).await.unwrap();
        assert_eq!(names(&o), (vec!["a"], vec!["w1"]));
        assert_eq!((o.queues[0].queued, o.queues[0].finished), (1, 3));
        assert_eq!(o.queues[0].failed, 1);

        // Real RQ adds a queue and a worker between two reads.
        Rq::V2.script(
            &url,
            "from rq import Queue\nimport labjobs\nQueue('b', connection=r).enqueue(labjobs.add, 1, 1)\n",
        );
        let _w2 = Rq::V2.worker(&url, "w2", &["idle-q"]);
        wait_registered(&mut c, "w2").await;
        settle().await;
        assert!(!check(&mut c, &mut ahead).await, "new names: the guess is dropped");
        let o = c.overview_with(Detail::Counts).await.unwrap();
        assert_eq!(names(&o), (vec!["a", "b"], vec!["w1", "w2"]));
        // And the names found are the next guess.
        assert!(check(&mut c, &mut ahead).await, "the new names are the next guess");
    });
}
