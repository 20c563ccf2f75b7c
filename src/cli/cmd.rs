//! One file per rqctl subcommand.

pub mod check;
pub mod completions;
pub mod contexts;
pub mod empty;
pub mod failures;
pub mod fleet;
pub mod info;
pub mod job;
pub mod jobs;
pub mod jobs_ops;
pub mod jobs_where;
pub mod metrics;
pub mod ratelimits;
pub mod requeue;
pub mod schedules;
pub mod selected;
pub mod wait;
pub mod worker;
pub mod workers;

use crate::rq::RqClient;

/// The named queues (each must exist: a typo is an error, not "0 jobs"), or every queue
/// in `rq:queues` when none is named.
pub async fn queues_or_all(client: &mut RqClient, named: &[String]) -> anyhow::Result<Vec<String>> {
    if !named.is_empty() {
        for q in named {
            known_queue(client, q).await?;
        }
        return Ok(named.to_vec());
    }
    Ok(client
        .overview()
        .await?
        .queues
        .into_iter()
        .map(|q| q.name)
        .collect())
}

/// Fails with "no such queue" unless RQ knows `queue`, suggesting a known queue whose name
/// differs only in case or by one letter.
pub async fn known_queue(client: &mut RqClient, queue: &str) -> anyhow::Result<()> {
    if client.queue_exists(queue).await? {
        return Ok(());
    }
    let names = client.queue_names().await.unwrap_or_default();
    let hint = if let Some(n) = names.iter().find(|n| *crate::present::safe(n) == *queue) {
        // The name was typed as rqctl shows it, escapes and all: give it back as the shell
        // must quote it to pass the real characters.
        format!(
            "its real name holds characters shown escaped; pass them with the shell's $'…' quoting: {} ",
            shell_quoted(n)
        )
    } else {
        match names.iter().find(|n| near(n, queue)) {
            Some(n) => format!("did you mean `{}`? ", crate::present::safe(n)),
            None => String::new(),
        }
    };
    Err(crate::rq::Error::NotFound {
        kind: "queue",
        id: format!("{queue} ({hint}rqctl queues lists them)"),
    }
    .into())
}

/// `name` in bash's ANSI-C quoting ($'…'), every byte that is not printable ASCII as
/// `\xNN` (for names that are not UTF-8, the byte itself; see rq::keys::name_bytes).
fn shell_quoted(name: &str) -> String {
    let mut out = String::from("$'");
    for &b in crate::rq::keys::name_bytes(name).iter() {
        match b {
            b'\'' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// Same name but for case, or one letter added, dropped or changed.
fn near(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn near_names() {
        use super::near;
        assert!(near("emails", "Emails"));
        assert!(near("emails", "email"));
        assert!(near("emails", "emails2"));
        assert!(near("emails", "emaols"));
        assert!(!near("emails", "high"));
        assert!(!near("emails", "emails"[..3].as_ref()));
    }
}
