//! Lenient readers for raw Redis replies. RQ data is foreign input: every reader accepts
//! whatever shape comes back and yields `None`/empty instead of failing.

use redis::Value;

/// The bytes of a string reply (bulk, simple, verbatim), or of a number.
pub(crate) fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        Value::VerbatimString { text, .. } => Some(text.as_bytes().to_vec()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        Value::Double(d) => Some(d.to_string().into_bytes()),
        Value::Okay => Some(b"OK".to_vec()),
        _ => None,
    }
}

/// A string reply as text (lossy UTF-8); empty strings count as missing, as in RQ.
pub(crate) fn text(v: &Value) -> Option<String> {
    bytes(v)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .filter(|s| !s.is_empty())
}

pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Boolean(b) => Some(i64::from(*b)),
        _ => text(v).and_then(|s| s.trim().parse().ok()),
    }
}

pub(crate) fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Double(d) => Some(*d),
        Value::Int(i) => Some(*i as f64),
        _ => text(v).and_then(|s| parse_score(&s)),
    }
}

/// Scores come back as text in RESP2 and can be `inf`, `-inf` or `-1`.
pub(crate) fn parse_score(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// The elements of an array or set reply; anything else is empty.
pub(crate) fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

/// Members of an array/set reply as byte strings.
pub(crate) fn members(v: &Value) -> Vec<Vec<u8>> {
    items(v).iter().filter_map(bytes).collect()
}

/// Field/value pairs of HGETALL (an array in RESP2, a map in RESP3) or a flat array.
pub(crate) fn pairs(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    match v {
        Value::Map(m) => m
            .iter()
            .filter_map(|(k, v)| Some((bytes(k)?, bytes(v).unwrap_or_default())))
            .collect(),
        _ => items(v)
            .chunks_exact(2)
            .filter_map(|c| Some((bytes(&c[0])?, bytes(&c[1]).unwrap_or_default())))
            .collect(),
    }
}

/// Member/score pairs of a `WITHSCORES` reply (flat array in RESP2, nested in RESP3).
pub(crate) fn scored(v: &Value) -> Vec<(Vec<u8>, f64)> {
    let list = items(v);
    if list.iter().all(|x| matches!(x, Value::Array(_))) && !list.is_empty() {
        return list
            .iter()
            .filter_map(|p| {
                let p = items(p);
                Some((bytes(p.first()?)?, float(p.get(1)?).unwrap_or(f64::NAN)))
            })
            .collect();
    }
    list.chunks_exact(2)
        .filter_map(|c| Some((bytes(&c[0])?, float(&c[1]).unwrap_or(f64::NAN))))
        .collect()
}

/// The server error carried by a reply from an `ignore_errors` pipeline, if any.
pub(crate) fn error(v: &Value) -> Option<String> {
    match v {
        Value::ServerError(e) => Some(e.to_string()),
        _ => None,
    }
}

/// Consumes pipeline replies in the order the commands were queued.
pub(crate) struct Replies {
    inner: std::vec::IntoIter<Value>,
}

impl Replies {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Self {
            inner: values.into_iter(),
        }
    }

    /// The next reply; `Nil` when the server sent fewer than expected.
    pub(crate) fn next(&mut self) -> Value {
        self.inner.next().unwrap_or(Value::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_rq_specials() {
        assert_eq!(parse_score("inf"), Some(f64::INFINITY));
        assert_eq!(parse_score("-1"), Some(-1.0));
        assert_eq!(parse_score("x"), None);
    }

    #[test]
    fn pairs_accept_both_protocols_and_garbage() {
        let resp2 = Value::Array(vec![
            Value::BulkString(b"a".to_vec()),
            Value::BulkString(vec![0xff]),
            Value::BulkString(b"dangling".to_vec()),
        ]);
        assert_eq!(pairs(&resp2), vec![(b"a".to_vec(), vec![0xff])]);
        let resp3 = Value::Map(vec![(Value::SimpleString("k".into()), Value::Int(3))]);
        assert_eq!(pairs(&resp3), vec![(b"k".to_vec(), b"3".to_vec())]);
        assert!(pairs(&Value::Nil).is_empty());
    }
}
