//! RQ's result streams (`rq:results:<id>`, RQ >= 1.12): the latest entry of one.

use super::decode::{self, Payload};
use super::model::{JobResult, Timestamp};
use super::reply;
use redis::Value;

/// The name RQ gives each result `type`.
#[must_use]
pub fn kind_name(code: &str) -> String {
    match code {
        "1" => "successful".to_string(),
        "2" => "failed".to_string(),
        "3" => "stopped".to_string(),
        "4" => "retried".to_string(),
        "5" => "max_retries_exceeded".to_string(),
        other => other.to_string(),
    }
}

/// Parses the reply of `XREVRANGE rq:results:<id> + - COUNT 1`.
#[must_use]
pub fn latest(v: &Value) -> Option<JobResult> {
    let entry = reply::items(v).first()?;
    let parts = reply::items(entry);
    let entry_id = parts.first().and_then(reply::text)?;
    let fields = reply::pairs(parts.get(1)?);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.as_slice() == name.as_bytes())
            .map(|(_, v)| v.as_slice())
    };
    let text = |name: &str| {
        get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .filter(|s| !s.is_empty())
    };
    // The entry id's millisecond part is the result's creation time.
    let created_at = entry_id
        .split('-')
        .next()
        .and_then(|ms| ms.parse::<f64>().ok())
        .and_then(|ms| Timestamp::from_unix(ms / 1000.0));
    let (return_value, return_value_repr) = match get("return_value") {
        Some(raw) => match decode::base64(raw).and_then(|b| decode::payload(&b)) {
            Ok(p) => (Some(p.to_json()), Some(p.repr())),
            Err(e) => (None, Some(format!("<undecodable return value: {e}>"))),
        },
        None => (None, None),
    };
    let exc_string = get("exc_string").map(|raw| {
        decode::exc_string(raw).unwrap_or_else(|e| format!("<undecodable traceback: {e}>"))
    });
    Some(JobResult {
        kind: kind_name(&text("type").unwrap_or_default()),
        created_at,
        worker_name: text("worker_name"),
        return_value,
        return_value_repr,
        exc_string,
        execution_id: text("execution_id"),
        source: "stream",
    })
}

/// One field of the entry in an `XREVRANGE rq:results:<id> + - COUNT 1` reply, raw.
#[must_use]
pub(crate) fn latest_field(v: &Value, name: &str) -> Option<Vec<u8>> {
    let entry = reply::items(v).first()?;
    let fields = reply::items(reply::items(entry).get(1)?);
    fields
        .chunks_exact(2)
        .find(|kv| reply::bytes(&kv[0]).is_some_and(|k| k == name.as_bytes()))
        .and_then(|kv| reply::bytes(&kv[1]))
}

/// RQ < 1.12 (or Redis < 5) kept the return value in the hash field `result` (pickle, no zlib).
#[must_use]
pub fn legacy(result: Option<&[u8]>, exc_info: Option<String>) -> Option<JobResult> {
    if result.is_none() && exc_info.is_none() {
        return None;
    }
    let decoded: Option<Result<Payload, String>> = result.map(decode::payload);
    let (return_value, return_value_repr) = match decoded {
        Some(Ok(p)) => (Some(p.to_json()), Some(p.repr())),
        Some(Err(e)) => (None, Some(format!("<undecodable return value: {e}>"))),
        None => (None, None),
    };
    Some(JobResult {
        kind: if exc_info.is_some() {
            "failed"
        } else {
            "successful"
        }
        .to_string(),
        created_at: None,
        worker_name: None,
        return_value,
        return_value_repr,
        exc_string: exc_info,
        execution_id: None,
        source: "hash",
    })
}
