//! From RQ's stored bytes to model values: timestamps, wip members, zlib, pickle and JSON
//! payloads. Every function here takes foreign bytes and never panics.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;

use super::model::{CallInfo, Timestamp};
use super::pickle::{self, PyValue};

/// Decompressed payloads larger than this are refused (a zlib bomb must not eat memory).
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// RQ's `…%fZ` timestamps (also the old form without fraction); empty means unset.
#[must_use]
pub fn timestamp(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    humantime::parse_rfc3339_weak(t.trim_end_matches('Z'))
        .ok()
        .or_else(|| humantime::parse_rfc3339_weak(t).ok())
        .map(Timestamp)
}

/// A float of UNIX seconds, as RQ writes it for executions, cron and rq-scheduler.
#[must_use]
pub fn epoch(text: &str) -> Option<Timestamp> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(Timestamp::from_unix)
}

/// Splits a started-registry member: 2.x writes `<id>:<32 hex execution id>`, 1.x the bare id
/// (which may itself contain `:`).
#[must_use]
pub fn wip_member(member: &str) -> (&str, Option<&str>) {
    if let Some((id, exec)) = member.rsplit_once(':')
        && exec.len() == 32
        && exec.bytes().all(|b| b.is_ascii_hexdigit())
        && !id.is_empty()
    {
        return (id, Some(exec));
    }
    (member, None)
}

/// zlib-decompress like RQ: if the bytes are not a zlib stream, use them as they are.
pub fn inflate(raw: &[u8]) -> Result<Vec<u8>, String> {
    if raw.len() < 2 || raw[0] != 0x78 {
        return Ok(raw.to_vec());
    }
    let mut out = Vec::new();
    let mut reader = flate2::read::ZlibDecoder::new(raw).take(MAX_INFLATED_BYTES + 1);
    match reader.read_to_end(&mut out) {
        Ok(_) if out.len() as u64 > MAX_INFLATED_BYTES => Err(format!(
            "decompresses to more than {} MiB",
            MAX_INFLATED_BYTES / 1024 / 1024
        )),
        Ok(_) => Ok(out),
        // RQ falls back to the raw bytes when zlib fails.
        Err(_) => Ok(raw.to_vec()),
    }
}

/// A payload decoded with whichever serializer produced it (nothing in Redis says which).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Pickle(PyValue),
    Json(serde_json::Value),
}

impl Payload {
    #[must_use]
    pub fn serializer(&self) -> &'static str {
        match self {
            Self::Pickle(_) => "pickle",
            Self::Json(_) => "json",
        }
    }

    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Pickle(v) => py_to_json(v),
            Self::Json(v) => v.clone(),
        }
    }

    #[must_use]
    pub fn repr(&self) -> String {
        match self {
            Self::Pickle(v) => v.repr(),
            Self::Json(v) => json_repr(v),
        }
    }
}

/// Sniffs and decodes a serialized value: pickle starts with PROTO (0x80), JSON with a
/// JSON token. Protocol 0-1 pickles (no PROTO) are tried last.
pub fn payload(bytes: &[u8]) -> Result<Payload, String> {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err("empty payload".to_string()),
        Some(0x80) => pickle::decode(bytes)
            .map(Payload::Pickle)
            .map_err(|e| e.to_string()),
        Some(b'[' | b'{' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            match serde_json::from_slice(bytes) {
                Ok(v) => Ok(Payload::Json(v)),
                Err(json_err) => pickle::decode(bytes)
                    .map(Payload::Pickle)
                    .map_err(|_| format!("neither JSON ({json_err}) nor pickle")),
            }
        }
        Some(_) => pickle::decode(bytes)
            .map(Payload::Pickle)
            .map_err(|e| format!("unknown serializer ({e})")),
    }
}

/// Decodes a job's `data`: zlib(serializer((func_name, instance, args, kwargs))).
pub fn call(data: &[u8]) -> Result<CallInfo, String> {
    let inflated = inflate(data)?;
    match payload(&inflated)? {
        Payload::Pickle(v) => call_from_pickle(&v),
        Payload::Json(v) => call_from_json(&v),
    }
}

fn call_from_pickle(v: &PyValue) -> Result<CallInfo, String> {
    let (PyValue::Tuple(parts) | PyValue::List(parts)) = v else {
        return Err(format!("expected a 4-tuple, found {}", short(&v.repr())));
    };
    let [func, instance, args, kwargs] = parts.as_slice() else {
        return Err(format!("expected a 4-tuple, found {} items", parts.len()));
    };
    let args: Vec<&PyValue> = match args {
        PyValue::Tuple(a) | PyValue::List(a) => a.iter().collect(),
        PyValue::None => Vec::new(),
        other => vec![other],
    };
    let mut kw = BTreeMap::new();
    let mut kw_repr = BTreeMap::new();
    if let PyValue::Dict(items) = kwargs {
        for (k, v) in items {
            let key = k.as_str().map_or_else(|| k.repr(), str::to_string);
            kw.insert(key.clone(), py_to_json(v));
            kw_repr.insert(key, v.repr());
        }
    }
    Ok(CallInfo {
        func_name: Some(func.as_str().map_or_else(|| func.repr(), str::to_string)),
        instance: (*instance != PyValue::None).then(|| instance.repr()),
        args: args.iter().map(|a| py_to_json(a)).collect(),
        kwargs: kw,
        args_repr: args.iter().map(|a| a.repr()).collect(),
        kwargs_repr: kw_repr,
        serializer: "pickle",
    })
}

fn call_from_json(v: &serde_json::Value) -> Result<CallInfo, String> {
    let Some([func, instance, args, kwargs]) = v.as_array().map(Vec::as_slice) else {
        return Err("expected a JSON array [func, instance, args, kwargs]".to_string());
    };
    let args: Vec<serde_json::Value> = args.as_array().cloned().unwrap_or_default();
    let kwargs: BTreeMap<String, serde_json::Value> = kwargs
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(CallInfo {
        func_name: func.as_str().map(str::to_string),
        instance: (!instance.is_null()).then(|| json_repr(instance)),
        args_repr: args.iter().map(json_repr).collect(),
        kwargs_repr: kwargs
            .iter()
            .map(|(k, v)| (k.clone(), json_repr(v)))
            .collect(),
        args,
        kwargs,
        serializer: "json",
    })
}

/// JSON where the Python value maps onto JSON; Python's repr as a string where it does not.
#[must_use]
pub fn py_to_json(v: &PyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        PyValue::None => J::Null,
        PyValue::Bool(b) => J::Bool(*b),
        PyValue::Int(i) => J::from(*i),
        PyValue::Float(f) if f.is_finite() => J::from(*f),
        PyValue::Str(s) => J::String(s.clone()),
        PyValue::List(items) | PyValue::Tuple(items) => {
            J::Array(items.iter().map(py_to_json).collect())
        }
        PyValue::Dict(items) if items.iter().all(|(k, _)| matches!(k, PyValue::Str(_))) => {
            J::Object(
                items
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), py_to_json(v)))
                    .collect(),
            )
        }
        other => J::String(other.repr()),
    }
}

/// A Python-like rendering of a JSON value (what the JSON serializer's user passed).
#[must_use]
pub fn json_repr(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "None".to_string(),
        serde_json::Value::Bool(true) => "True".to_string(),
        serde_json::Value::Bool(false) => "False".to_string(),
        serde_json::Value::String(s) => PyValue::Str(s.clone()).repr(),
        serde_json::Value::Array(a) => {
            format!(
                "[{}]",
                a.iter().map(json_repr).collect::<Vec<_>>().join(", ")
            )
        }
        serde_json::Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", PyValue::Str(k.clone()).repr(), json_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        serde_json::Value::Number(n) => n.to_string(),
    }
}

/// Base64 as RQ writes it in result streams.
pub fn base64(text: &[u8]) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim_ascii())
        .map_err(|e| format!("bad base64: {e}"))
}

/// `exc_string` in a result stream: base64(zlib(utf-8 traceback)).
pub fn exc_string(raw: &[u8]) -> Result<String, String> {
    let z = base64(raw)?;
    Ok(String::from_utf8_lossy(&inflate(&z)?).into_owned())
}

/// Legacy `exc_info` in the job hash: zlib(utf-8), or plain text in very old RQ.
#[must_use]
pub fn exc_info(raw: &[u8]) -> Option<String> {
    let text = inflate(raw).map_or_else(
        |_| String::from_utf8_lossy(raw).into_owned(),
        |b| String::from_utf8_lossy(&b).into_owned(),
    );
    (!text.trim().is_empty()).then_some(text)
}

/// The last non-empty line of a traceback: the exception and its message.
#[must_use]
pub fn error_summary(traceback: &str) -> Option<String> {
    traceback
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| short(l).to_string())
}

/// The function name from a description like `labjobs.add(2, 3)`.
#[must_use]
pub fn func_from_description(description: &str) -> Option<String> {
    let name = description.split('(').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A hash field value for display: text verbatim, binary as a size and a hex prefix.
#[must_use]
pub fn field_display(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => s.to_string(),
        _ => {
            let hex: String = raw.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let more = if raw.len() > 16 { "…" } else { "" };
            format!("<{} bytes: {hex}{more}>", raw.len())
        }
    }
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(200) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_both_forms() {
        let a = timestamp("2026-11-23T19:35:51.040728Z").unwrap();
        assert_eq!(a.rfc3339(), "2026-11-23T19:35:51Z");
        assert!(timestamp("2026-11-23T19:35:51Z").is_some());
        assert!(timestamp("").is_none());
        assert!(timestamp("yesterday").is_none());
        assert_eq!(
            epoch("1795462589.81645").unwrap().rfc3339(),
            "2026-11-23T19:36:29Z"
        );
        assert!(epoch("nan").is_none());
    }

    #[test]
    fn wip_members_both_versions() {
        assert_eq!(
            wip_member("job-1:e8aa576dab5441f989a4e21f1c6344b8"),
            ("job-1", Some("e8aa576dab5441f989a4e21f1c6344b8"))
        );
        assert_eq!(wip_member("old:style:id"), ("old:style:id", None));
        assert_eq!(wip_member("plain"), ("plain", None));
    }

    #[test]
    fn json_serializer_call() {
        // zlib('["labjobs.hello", null, ["json"], {}]') as RQ's JSON serializer writes it.
        let raw = br#"["labjobs.hello", null, ["json"], {"n": 1}]"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, raw).unwrap();
        let c = call(&z.finish().unwrap()).unwrap();
        assert_eq!(c.func_name.as_deref(), Some("labjobs.hello"));
        assert_eq!(c.args_repr, vec!["'json'"]);
        assert_eq!(c.kwargs_repr.get("n").map(String::as_str), Some("1"));
        assert_eq!(c.serializer, "json");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(call(b"").is_err());
        assert!(call(&[0x78, 0x9c, 1, 2, 3]).is_err());
        assert!(call(&[0x80, 0x05, 0xff]).is_err());
        assert_eq!(exc_info(&[0x78, 0x9c, 3, 0, 0, 0, 0, 1]), None);
        assert_eq!(
            error_summary("Traceback\n  x\nValueError: kaboom\n"),
            Some("ValueError: kaboom".into())
        );
        assert_eq!(field_display(&[0, 1, 2]), "<3 bytes: 000102>");
    }
}
