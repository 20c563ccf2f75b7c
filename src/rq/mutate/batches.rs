//! Batched script calls: many jobs per call, several calls per round trip, two round trips
//! in flight, and an honest account of what is known when the connection fails midway.

use futures_util::StreamExt;
use redis::{Cmd, Script};

use super::super::client::RqClient;
use super::super::error::Error;
use super::super::reply;
use super::scripts::{Outcome, UNKNOWN};
use super::{BATCH, BATCHES_PER_TRIP};

/// What a batched run learnt: one outcome per item answered, in order; the error that
/// stopped it; and how many items were sent whose outcome is unknown (the connection
/// failed before Redis answered, so they may or may not have been changed).
#[derive(Debug, Default)]
pub(crate) struct Batches {
    pub outcomes: Vec<Outcome>,
    pub error: Option<Error>,
    pub unknown: u64,
}

impl RqClient {
    /// Runs `script` over `items` in batches of `BATCH`, several batches per round trip;
    /// the key prefix and `args` come first, then each item's own args (pushed by
    /// `item_args`). Stops at the first error.
    pub(crate) async fn run_batches<T, A: AsRef<[u8]>>(
        &mut self,
        script: &Script,
        keys: &[Vec<u8>],
        args: &[A],
        items: &[T],
        item_args: impl Fn(&T, &mut Cmd),
    ) -> Batches {
        let mut out = Batches {
            outcomes: Vec::with_capacity(items.len()),
            ..Batches::default()
        };
        if items.is_empty() {
            return out;
        }
        if let Err(e) = script.load_async(self.connection()).await {
            out.error = Some(Error::redis("load script", &e));
            return out;
        }
        let prefix = self.keys.with_colon().to_string();
        let (stamp, now) = super::now_stamps();
        let invocation = |batch: &[T]| {
            let mut cmd = redis::cmd("EVALSHA");
            cmd.arg(script.get_hash()).arg(keys.len());
            for k in keys {
                cmd.arg(k.as_slice());
            }
            cmd.arg(prefix.as_str()).arg(stamp.as_str()).arg(now);
            for a in args {
                cmd.arg(a.as_ref());
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
        for (index, group) in groups.iter().enumerate() {
            let Some(result) = replies_in_order.next().await else {
                break;
            };
            let replies = match result {
                Ok(r) => r,
                Err(e) => {
                    // This group and the one sent behind it may have run: nobody knows.
                    let behind = groups.get(index + 1).map_or(0, |g| g.len());
                    out.unknown += (group.len() + behind) as u64;
                    out.error = Some(Error::redis("run script", &e));
                    return out;
                }
            };
            for (batch, mut reply) in group.chunks(BATCH).zip(replies) {
                // By the error's code: redis-rs words it "NoScript: ...".
                if matches!(&reply, redis::Value::ServerError(e) if e.code() == "NOSCRIPT") {
                    // The server lost its script cache meanwhile: this batch did not run.
                    let mut c = conn.clone();
                    let retried = match script.load_async(&mut c).await {
                        Ok(_) => invocation(batch).query_async(&mut c).await,
                        Err(e) => Err(e),
                    };
                    match retried {
                        Ok(v) => reply = v,
                        Err(e) => {
                            out.unknown += batch.len() as u64;
                            out.error = Some(Error::redis("run script", &e));
                            return out;
                        }
                    }
                }
                let got = reply::items(&reply);
                let trouble = match reply::error(&reply) {
                    Some(err) => Some(err),
                    None if got.len() != batch.len() => Some(format!(
                        "expected {} results, got {}",
                        batch.len(),
                        got.len()
                    )),
                    None => None,
                };
                if let Some(err) = reply::error(&reply).filter(|e| refused_before_running(e)) {
                    // The server refused the call itself (ACL on a declared key, OOM...):
                    // nothing of this batch ran, so each job is a refusal, not an unknown.
                    let why = explain_refusal(&err, keys);
                    out.outcomes.extend(batch.iter().map(|_| Outcome {
                        code: -8,
                        detail: Some(why.clone()),
                    }));
                    continue;
                }
                if let Some(reason) = trouble {
                    // Each job is whole or untouched, but which of this batch ran before the
                    // error is not known: count them as unknown and go on with the rest.
                    out.unknown += batch.len() as u64;
                    out.outcomes.extend(batch.iter().map(|_| Outcome {
                        code: UNKNOWN,
                        detail: Some(reason.clone()),
                    }));
                    out.error.get_or_insert(Error::Redis {
                        op: "run script",
                        reason,
                    });
                    continue;
                }
                out.outcomes.extend(got.iter().map(Outcome::of));
            }
        }
        out
    }
}

/// True for an error reply to the call itself, before the script ran: errors raised while a
/// script runs name the script ("user_script:12" / "script: ...").
pub(crate) fn refused_before_running(err: &str) -> bool {
    let lower = err.to_ascii_lowercase();
    lower.starts_with("noscript") || !lower.contains("script")
}

/// Names what a refused call needed, in the words of the guard's own refusals.
pub(crate) fn explain_refusal(err: &str, keys: &[Vec<u8>]) -> String {
    let lower = err.to_ascii_lowercase();
    if lower.contains("noperm") || lower.contains("no permission") {
        let names: Vec<String> = keys
            .iter()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        if names.is_empty() {
            format!("no permission: {err}")
        } else {
            format!(
                "no permission: this Redis user may not write {} ({err})",
                names.join(", ")
            )
        }
    } else {
        err.to_string()
    }
}
