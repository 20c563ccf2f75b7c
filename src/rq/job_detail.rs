//! Assembles one whole job from its hash and the keys around it.

use std::collections::{BTreeMap, HashMap};

use super::decode;
use super::model::{Job, JobResult, JobStatus, Timestamp};
use super::results;

/// Builds a `Job`. Every field is optional in foreign data; decoding problems are reported
/// in `data_error`/`meta_error` and never hide the rest of the job.
pub(crate) fn build(
    id: &str,
    fields: &[(Vec<u8>, Vec<u8>)],
    latest: Option<JobResult>,
    dependents: Vec<String>,
    mut dependencies: Vec<String>,
    rq_scheduler_score: Option<f64>,
    ttl: Option<i64>,
) -> Job {
    let raw: HashMap<&[u8], &[u8]> = fields
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let bytes = |k: &str| raw.get(k.as_bytes()).copied().filter(|v| !v.is_empty());
    let text = |k: &str| bytes(k).map(|b| String::from_utf8_lossy(b).into_owned());
    let ts = |k: &str| text(k).and_then(|t| decode::timestamp(&t));
    let int = |k: &str| text(k).and_then(|t| t.trim().parse::<i64>().ok());

    let data = bytes("data").unwrap_or_default();
    let (call, data_error) = if data.is_empty() {
        (None, Some("no data field".to_string()))
    } else {
        match decode::call(data) {
            Ok(c) => (Some(c), None),
            Err(e) => (
                None,
                Some(format!("cannot decode data ({} bytes): {e}", data.len())),
            ),
        }
    };
    let (meta, meta_error) = match bytes("meta") {
        None => (None, None),
        Some(m) => match decode::payload(m) {
            Ok(p) => (Some(p.to_json()), None),
            Err(e) => (
                None,
                Some(format!("cannot decode meta ({} bytes): {e}", m.len())),
            ),
        },
    };
    // Legacy (RQ < 1.12) hash fields are the fallback when there is no result stream.
    // RQ 2.x writes exc_info = zlib("") on requeue, which decodes to nothing.
    let legacy_exc = bytes("exc_info").and_then(decode::exc_info);
    let latest = latest.or_else(|| results::legacy(bytes("result"), legacy_exc.clone()));
    let status = JobStatus::parse(text("status").as_deref());
    let exc_info = latest
        .as_ref()
        .and_then(|r| r.exc_string.clone())
        .or(legacy_exc);
    if dependencies.is_empty() {
        if let Some(ids) =
            text("dependency_ids").and_then(|j| serde_json::from_str::<Vec<String>>(&j).ok())
        {
            dependencies = ids;
        } else if let Some(one) = text("dependency_id") {
            dependencies = vec![one];
        }
    }
    let description = text("description");
    // From `data` only: a custom description is free text, not a function name. When the
    // arguments cannot be decoded, the head of `data` may still name the function.
    let func_name = call
        .as_ref()
        .and_then(|c| c.func_name.clone())
        .or_else(|| decode::func_from_data_head(data));
    let call = call.unwrap_or_else(|| super::model::CallInfo {
        func_name: None,
        instance: None,
        args: Vec::new(),
        kwargs: BTreeMap::new(),
        args_repr: Vec::new(),
        kwargs_repr: BTreeMap::new(),
        serializer: "unknown",
    });
    Job {
        id: id.to_string(),
        status,
        origin: text("origin"),
        func_name,
        serializer: data_error.is_none().then_some(call.serializer),
        args: call.args,
        kwargs: call.kwargs,
        args_repr: call.args_repr,
        kwargs_repr: call.kwargs_repr,
        instance: call.instance,
        data_error,
        data_size: data.len(),
        description,
        created_at: ts("created_at"),
        enqueued_at: ts("enqueued_at"),
        started_at: ts("started_at"),
        ended_at: ts("ended_at"),
        last_heartbeat: ts("last_heartbeat"),
        worker_name: text("worker_name"),
        timeout: int("timeout"),
        result_ttl: int("result_ttl"),
        failure_ttl: int("failure_ttl"),
        ttl: int("ttl"),
        retries_left: int("retries_left"),
        group_id: text("group_id"),
        meta,
        meta_error,
        result: latest.as_ref().and_then(|r| r.return_value.clone()),
        exc_info,
        latest_result: latest,
        dependency_ids: dependencies,
        dependents_total: dependents.len() as u64,
        dependents,
        expires_in: ttl,
        rq_scheduler_next_run: rq_scheduler_score.and_then(Timestamp::from_unix),
        scheduled_for: None,
        fields: fields
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    decode::field_display(v),
                )
            })
            .collect(),
    }
}
