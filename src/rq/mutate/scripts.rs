//! Every mutating Lua script, each built behind `guard.lua` (check every write, then write)
//! and taking the key prefix as its first argument, so no script spells `rq:` itself.

use std::sync::LazyLock;

use redis::Script;

const GUARD: &str = include_str!("../scripts/guard.lua");

fn guarded(parts: &[&str]) -> Script {
    let mut text = String::from(GUARD);
    for p in parts {
        text.push_str(p);
    }
    Script::new(&text)
}

/// Requeue named members (ids mode) or the head of a registry (head mode): one shared body.
pub(super) static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    guarded(&[
        include_str!("../scripts/requeue_ids.lua"),
        include_str!("../scripts/requeue_core.lua"),
        "return out\n",
    ])
});
pub(super) static REQUEUE_HEAD: LazyLock<Script> = LazyLock::new(|| {
    guarded(&[
        include_str!("../scripts/requeue_head.lua"),
        include_str!("../scripts/requeue_core.lua"),
        "return {out, members}\n",
    ])
});
pub(super) static DELETE: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/delete.lua")]));
pub(super) static CANCEL: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/cancel.lua")]));
pub(super) static ENQUEUE_NOW: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/enqueue_now.lua")]));
pub(super) static ABANDON: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/abandon.lua")]));
pub(super) static EMPTY_QUEUE: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/empty_queue.lua")]));
pub(super) static DELETE_QUEUE: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/delete_queue.lua")]));
pub(super) static CLEAN_READY: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/clean_ready.lua")]));
pub(super) static CLEAN_RATE_LIMITS: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/clean_rate_limits.lua")]));
pub(super) static COMPACT: LazyLock<Script> =
    LazyLock::new(|| guarded(&[include_str!("../scripts/compact.lua")]));

/// What a script said about one job: a code (see `mutate::reason`) and, for a refusal by
/// a check (-8), why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub code: i64,
    pub detail: Option<String>,
}

impl Outcome {
    /// Reads one entry of a script's reply: an integer, or `{code, why}`.
    pub(crate) fn of(v: &redis::Value) -> Self {
        use super::super::reply;
        if let Some(code) = reply::int(v) {
            return Self { code, detail: None };
        }
        let parts = reply::items(v);
        Self {
            code: parts.first().and_then(reply::int).unwrap_or(UNEXPECTED),
            detail: parts.get(1).and_then(reply::text),
        }
    }

    /// The reason to show a person.
    pub(crate) fn reason(&self) -> String {
        match &self.detail {
            Some(d) => d.clone(),
            None => super::reason(self.code).to_string(),
        }
    }
}

/// The code for a reply this client cannot read.
pub(crate) const UNEXPECTED: i64 = -99;
/// The code for a job whose batch failed as a whole: it may or may not have been changed.
pub(crate) const UNKNOWN: i64 = -98;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_both_shapes() {
        assert_eq!(Outcome::of(&redis::Value::Int(1)).code, 1);
        let refused = redis::Value::Array(vec![
            redis::Value::Int(-8),
            redis::Value::BulkString(b"no permission: ZADD on rq:canceled:q".to_vec()),
        ]);
        let o = Outcome::of(&refused);
        assert_eq!(o.code, -8);
        assert_eq!(o.reason(), "no permission: ZADD on rq:canceled:q");
        assert_eq!(Outcome::of(&redis::Value::Nil).code, UNEXPECTED);
    }
}
