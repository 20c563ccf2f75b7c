//! From RQ's stored bytes to model values: timestamps, wip members, zlib, pickle and JSON
//! payloads. Every function here takes foreign bytes and never panics.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;

use super::model::{CallInfo, Timestamp};
use super::pickle::{self, PyValue};

/// Decompressed payloads larger than this are refused (a zlib bomb must not eat memory).
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;
/// How much of a line a streamed traceback keeps (a summary shows 200 characters of it).
const LINE_KEEP: usize = 1024;
/// How much of `data` is decompressed to find the function name at its start.
pub(crate) const DATA_HEAD_INFLATED: u64 = 4096;

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

/// `exc_string` in a result stream: base64(zlib(utf-8 traceback)). One too large to
/// decompress is named as such, with its size.
pub fn exc_string(raw: &[u8]) -> Result<String, String> {
    let z = base64(raw)?;
    Ok(match inflate(&z) {
        Ok(text) => String::from_utf8_lossy(&text).into_owned(),
        Err(_) => traceback_too_large(z.len() as u64, MAX_INFLATED_BYTES),
    })
}

/// Legacy `exc_info` in the job hash: zlib(utf-8), or plain text in very old RQ. One too
/// large to decompress is named as such, never shown as its compressed bytes.
#[must_use]
pub fn exc_info(raw: &[u8]) -> Option<String> {
    let text = match inflate(raw) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => traceback_too_large(raw.len() as u64, MAX_INFLATED_BYTES),
    };
    (!text.trim().is_empty()).then_some(text)
}

/// What a person sees instead of a traceback that decompresses past `limit`.
#[must_use]
pub fn traceback_too_large(compressed: u64, limit: u64) -> String {
    format!(
        "traceback too large to show ({} compressed, more than the {} limit decompressed)",
        size(compressed),
        size(limit)
    )
}

/// `812 bytes`, `65.2 KiB`, `2.7 MiB`, `64 MiB`.
#[must_use]
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    let (value, unit) = if b < KIB {
        return format!("{bytes} bytes");
    } else if b < KIB * KIB {
        (b / KIB, "KiB")
    } else if b < KIB * KIB * KIB {
        (b / KIB / KIB, "MiB")
    } else {
        (b / KIB / KIB / KIB, "GiB")
    };
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// The last line of a legacy `exc_info` (see `exc_info`) without holding the traceback:
/// it is decompressed in pieces, at most `limit` bytes of it.
#[must_use]
pub fn exc_info_last_line(raw: &[u8], limit: u64) -> Option<String> {
    last_line(raw, limit)
}

/// The last line of a result stream's `exc_string` (see `exc_string`), streamed the same way.
#[must_use]
pub fn exc_string_last_line(raw: &[u8], limit: u64) -> Option<String> {
    match base64(raw) {
        Ok(z) => last_line(&z, limit),
        Err(e) => Some(format!("<undecodable traceback: {e}>")),
    }
}

/// The last non-empty line of zlib(text), or of the bytes as text when they are not zlib
/// (RQ's fallback). A stream that decompresses past `limit` gives the too-large message.
fn last_line(raw: &[u8], limit: u64) -> Option<String> {
    if raw.len() >= 2 && raw[0] == 0x78 {
        let mut tail = LastLine::default();
        let mut decoder = flate2::read::ZlibDecoder::new(raw);
        let mut buf = vec![0; 64 * 1024];
        let mut total = 0_u64;
        loop {
            match decoder.read(&mut buf) {
                Ok(0) => return tail.finish(),
                Ok(n) => {
                    total += n as u64;
                    if total > limit {
                        return Some(traceback_too_large(raw.len() as u64, limit));
                    }
                    tail.feed(&buf[..n]);
                }
                // Not a zlib stream after all: RQ uses the bytes as they are.
                Err(_) => break,
            }
        }
    }
    let mut tail = LastLine::default();
    tail.feed(raw);
    tail.finish()
}

/// Tracks the last non-blank line of text fed in pieces, keeping `LINE_KEEP` bytes of it.
#[derive(Default)]
struct LastLine {
    current: Vec<u8>,
    last: Vec<u8>,
}

impl LastLine {
    fn feed(&mut self, chunk: &[u8]) {
        let mut lines = chunk.split(|b| *b == b'\n');
        if let Some(first) = lines.next() {
            self.extend(first);
        }
        for line in lines {
            self.end_line();
            self.extend(line);
        }
    }

    fn extend(&mut self, part: &[u8]) {
        let room = LINE_KEEP.saturating_sub(self.current.len());
        self.current
            .extend_from_slice(&part[..part.len().min(room)]);
    }

    fn end_line(&mut self) {
        if !self.current.trim_ascii().is_empty() {
            std::mem::swap(&mut self.last, &mut self.current);
        }
        self.current.clear();
    }

    fn finish(mut self) -> Option<String> {
        self.end_line();
        let text = String::from_utf8_lossy(&self.last);
        let line = text.trim();
        (!line.is_empty()).then(|| short(line).to_string())
    }
}

/// The function name from the head of a job's `data` (possibly cut off: a table reads only
/// the first bytes): zlib of a pickled or JSON `(func_name, instance, args, kwargs)`
/// starts with the name, so a few KB decompressed are enough whatever the arguments.
#[must_use]
pub fn func_from_data_head(head: &[u8]) -> Option<String> {
    func_from_payload_head(&inflate_head(head, DATA_HEAD_INFLATED))
}

/// As `func_from_data_head`, from the head already decompressed.
pub(crate) fn func_from_payload_head(payload: &[u8]) -> Option<String> {
    match payload.iter().copied().find(|b| !b.is_ascii_whitespace())? {
        b'[' => json_first_string(payload),
        _ => pickle_first_string(payload),
    }
}

/// Up to `max` decompressed bytes of a zlib stream that may be cut short; bytes that are
/// not zlib are returned as they are (RQ's fallback).
fn inflate_head(raw: &[u8], max: u64) -> Vec<u8> {
    let cut = |b: &[u8]| b[..b.len().min(usize::try_from(max).unwrap_or(usize::MAX))].to_vec();
    if raw.len() < 2 || raw[0] != 0x78 {
        return cut(raw);
    }
    let mut out = Vec::new();
    // A cut stream ends in an error after yielding what it holds, which is what is wanted.
    let _ = flate2::read::ZlibDecoder::new(raw)
        .take(max)
        .read_to_end(&mut out);
    if out.is_empty() { cut(raw) } else { out }
}

/// The first string of a JSON array's text, which may be cut off after it.
fn json_first_string(b: &[u8]) -> Option<String> {
    let start = b.iter().position(|c| *c == b'[')? + 1;
    let rest = &b[start..];
    let open = rest.iter().position(|c| !c.is_ascii_whitespace())?;
    if rest[open] != b'"' {
        return None;
    }
    let mut escaped = false;
    let close = rest[open + 1..].iter().position(|c| {
        let end = !escaped && *c == b'"';
        escaped = !escaped && *c == b'\\';
        end
    })?;
    serde_json::from_slice(&rest[open..open + close + 2]).ok()
}

/// The first item of a pickled tuple when it is a string, read from the head of the pickle
/// alone: PROTO and FRAME (protocol 4+), MARK, then the string opcode CPython writes for
/// `func_name` in any protocol. Anything else is not a call RQ wrote: unknown.
fn pickle_first_string(b: &[u8]) -> Option<String> {
    let mut at = 0;
    if b.first() == Some(&0x80) {
        at = 2; // PROTO n
    }
    if b.get(at) == Some(&0x95) {
        at += 9; // FRAME + 8-byte length
    }
    if b.get(at) != Some(&b'(') {
        return None; // MARK opens the 4-tuple
    }
    let op = *b.get(at + 1)?;
    let body = at + 2;
    let sized = |width: usize| -> Option<&[u8]> {
        let mut len = [0_u8; 8];
        len[..width].copy_from_slice(b.get(body..body + width)?);
        let n = usize::try_from(u64::from_le_bytes(len)).ok()?;
        b.get(body + width..(body + width).checked_add(n)?)
    };
    let line = || -> Option<&[u8]> {
        let rest = b.get(body..)?;
        rest.get(..rest.iter().position(|c| *c == b'\n')?)
    };
    // Protocol 0-1 texts are escaped; a name that needs escapes is left unknown.
    let unescaped = |t: &[u8]| (!t.contains(&b'\\')).then(|| latin1(t));
    match op {
        0x8c => sized(1).map(|t| String::from_utf8_lossy(t).into_owned()), // SHORT_BINUNICODE
        b'X' => sized(4).map(|t| String::from_utf8_lossy(t).into_owned()), // BINUNICODE
        0x8d => sized(8).map(|t| String::from_utf8_lossy(t).into_owned()), // BINUNICODE8
        b'U' => sized(1).map(latin1),                                      // SHORT_BINSTRING
        b'T' => sized(4).map(latin1),                                      // BINSTRING
        b'V' => unescaped(line()?),                                        // UNICODE
        b'S' => {
            // STRING: a quoted repr
            let t = line()?;
            let q = *t.first()?;
            let inner = t.strip_prefix(&[q])?.strip_suffix(&[q])?;
            if q == b'\'' || q == b'"' {
                unescaped(inner)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Python 2 `str` bytes as the pickle decoder reads them: one code point per byte.
fn latin1(b: &[u8]) -> String {
    b.iter().map(|c| char::from(*c)).collect()
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

    fn zlib(raw: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, raw).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn function_from_the_head_of_data_in_every_form() {
        // CPython protocol 5 (FRAME, MEMOIZE), as in rq-data-model.md 2.5.
        let p5 =
            b"\x80\x05\x95\x1a\0\0\0\0\0\0\0(\x8c\x0blabjobs.add\x94NK\x02K\x03\x86\x94}\x94t\x94.";
        assert_eq!(
            func_from_data_head(&zlib(p5)).as_deref(),
            Some("labjobs.add")
        );
        // Uncompressed data is accepted, as RQ does.
        assert_eq!(func_from_data_head(p5).as_deref(), Some("labjobs.add"));
        let p2 = b"\x80\x02(X\x03\x00\x00\x00a.bq\x00N)}q\x01tq\x02.";
        assert_eq!(func_from_data_head(&zlib(p2)).as_deref(), Some("a.b"));
        let py2 = b"\x80\x02(U\x03a.bq\x00N)}q\x01tq\x02.";
        assert_eq!(func_from_data_head(&zlib(py2)).as_deref(), Some("a.b"));
        let p0 = b"(Vm.f\np0\nNt.";
        assert_eq!(func_from_data_head(p0).as_deref(), Some("m.f"));
        let json = br#" ["m.\"odd\"", null, [], {}]"#;
        assert_eq!(
            func_from_data_head(&zlib(json)).as_deref(),
            Some("m.\"odd\"")
        );
        for junk in [
            &b""[..],
            b"\x78\x9c",
            b"(N",
            b"[1, 2]",
            b"\x80\x05K\x01.",
            b"(\x8c\xff",
        ] {
            assert_eq!(func_from_data_head(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn function_from_a_cut_off_stream() {
        // 300 KB of incompressible arguments after the name: the first 2 KB name it.
        let mut seed = 7_u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (seed >> 33) as u8
            })
            .collect();
        let mut pickle = b"\x80\x04(\x8c\x08big.task\x94NB".to_vec();
        pickle.extend_from_slice(&(noise.len() as u32).to_le_bytes());
        pickle.extend_from_slice(&noise);
        pickle.extend_from_slice(b"\x85}t.");
        let z = zlib(&pickle);
        assert!(z.len() > 100_000);
        assert_eq!(func_from_data_head(&z[..2048]).as_deref(), Some("big.task"));
        assert_eq!(func_from_data_head(&z[..12]), None);
    }

    #[test]
    fn last_line_streams_and_names_what_is_too_large() {
        let mut tb = String::from("Traceback (most recent call last):\n");
        for _ in 0..50_000 {
            tb.push_str("  File \"x.py\", line 1, in f\n    f()\n");
        }
        tb.push_str("RecursionError: deep \u{e9}\n\n  \n");
        let z = zlib(tb.as_bytes());
        assert_eq!(
            exc_info_last_line(&z, 8 << 20).as_deref(),
            Some("RecursionError: deep \u{e9}")
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(&z);
        assert_eq!(
            exc_string_last_line(b64.as_bytes(), 8 << 20).as_deref(),
            Some("RecursionError: deep \u{e9}")
        );
        let too_large = exc_info_last_line(&z, 1 << 20).unwrap();
        assert!(
            too_large.starts_with("traceback too large to show (")
                && too_large.ends_with("more than the 1 MiB limit decompressed)"),
            "{too_large}"
        );
        // Plain text (very old RQ) and zlib("") (RQ 2.x requeue).
        assert_eq!(
            exc_info_last_line(b"Trace\nKeyError: 'k'\n", 1 << 20).as_deref(),
            Some("KeyError: 'k'")
        );
        assert_eq!(
            exc_info_last_line(&[0x78, 0x9c, 3, 0, 0, 0, 0, 1], 1 << 20),
            None
        );
        // A long last line is summarised from its start.
        let long = format!("ValueError: {}", "v".repeat(100_000));
        let line = exc_info_last_line(&zlib(long.as_bytes()), 1 << 20).unwrap();
        assert!(line.starts_with("ValueError: vvv") && line.chars().count() == 200);
    }

    #[test]
    fn oversized_tracebacks_are_named_never_shown_raw() {
        let bomb = zlib(&vec![b'x'; (MAX_INFLATED_BYTES + 1) as usize]);
        let text = exc_info(&bomb).unwrap();
        assert!(text.starts_with("traceback too large to show ("), "{text}");
        assert!(
            text.contains(" KiB compressed, more than the 64 MiB limit"),
            "{text}"
        );
        assert!(!text.contains('\0'));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bomb);
        assert_eq!(exc_string(b64.as_bytes()).unwrap(), text);
        assert_eq!(size(812), "812 bytes");
        assert_eq!(size(66_765), "65.2 KiB");
        assert_eq!(size(64 << 20), "64 MiB");
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
