//! A tiny pickle *encoder* (protocol 5, the default `HIGHEST_PROTOCOL` of the Pythons RQ 2.12
//! runs on) for the plain values the demo writes: None, bool, int, float, str, bytes, tuple,
//! list and dict. It emits the opcodes CPython's `pickle.dumps(x, protocol=5)` emits, minus
//! the memo (`MEMOIZE`), which nothing here needs: `pickletools.optimize` of CPython's
//! output gives the same bytes.

use std::fmt;

use crate::rq::pickle::PyValue;

const PROTO: u8 = 0x80;
const FRAME: u8 = 0x95;
const STOP: u8 = b'.';
const NONE: u8 = b'N';
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const LONG1: u8 = 0x8a;
const BINFLOAT: u8 = b'G';
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE: u8 = b'X';
const SHORT_BINBYTES: u8 = b'C';
const BINBYTES: u8 = b'B';
const EMPTY_TUPLE: u8 = b')';
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const MARK: u8 = b'(';
const TUPLE: u8 = b't';
const EMPTY_LIST: u8 = b']';
const APPEND: u8 = b'a';
const APPENDS: u8 = b'e';
const EMPTY_DICT: u8 = b'}';
const SETITEM: u8 = b's';
const SETITEMS: u8 = b'u';

/// CPython's BATCHSIZE for APPENDS/SETITEMS.
const BATCH: usize = 1000;
/// CPython only frames bodies of at least this many bytes.
const FRAME_MIN: usize = 4;
/// Nesting bound (the values here are built by the demo, but stay total on any input).
const MAX_DEPTH: usize = 100;

/// Why a value cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pickle encode: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

/// `pickle.dumps(value, protocol=5)` for the supported value kinds.
pub fn dumps(value: &PyValue) -> Result<Vec<u8>, EncodeError> {
    let mut body = Vec::new();
    write(value, &mut body, 0)?;
    body.push(STOP);
    let mut out = Vec::with_capacity(body.len() + 11);
    out.extend_from_slice(&[PROTO, 5]);
    if body.len() >= FRAME_MIN {
        out.push(FRAME);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(&body);
    Ok(out)
}

fn write(v: &PyValue, out: &mut Vec<u8>, depth: usize) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return Err(EncodeError("nested too deeply".into()));
    }
    match v {
        PyValue::None => out.push(NONE),
        PyValue::Bool(true) => out.push(NEWTRUE),
        PyValue::Bool(false) => out.push(NEWFALSE),
        PyValue::Int(i) => int(*i, out),
        PyValue::Float(f) => {
            out.push(BINFLOAT);
            out.extend_from_slice(&f.to_be_bytes());
        }
        PyValue::Str(s) => sized(s.as_bytes(), SHORT_BINUNICODE, BINUNICODE, out)?,
        PyValue::Bytes(b) => sized(b, SHORT_BINBYTES, BINBYTES, out)?,
        PyValue::Tuple(items) => {
            let op = match items.len() {
                0 => EMPTY_TUPLE,
                1 => TUPLE1,
                2 => TUPLE2,
                3 => TUPLE3,
                _ => {
                    out.push(MARK);
                    TUPLE
                }
            };
            for item in items {
                write(item, out, depth + 1)?;
            }
            out.push(op);
        }
        // CPython's batch_list_exact / batch_dict_exact: a single item uses APPEND/SETITEM,
        // anything longer MARK-ed batches of 1000 (dicts end with an empty batch when their
        // size is a multiple of 1000).
        PyValue::List(items) => {
            out.push(EMPTY_LIST);
            if let [one] = items.as_slice() {
                write(one, out, depth + 1)?;
                out.push(APPEND);
            } else {
                for chunk in items.chunks(BATCH) {
                    out.push(MARK);
                    for item in chunk {
                        write(item, out, depth + 1)?;
                    }
                    out.push(APPENDS);
                }
            }
        }
        PyValue::Dict(pairs) => {
            out.push(EMPTY_DICT);
            if let [(k, val)] = pairs.as_slice() {
                write(k, out, depth + 1)?;
                write(val, out, depth + 1)?;
                out.push(SETITEM);
            } else if !pairs.is_empty() {
                let mut rest = pairs.as_slice();
                loop {
                    let (chunk, tail) = rest.split_at(rest.len().min(BATCH));
                    out.push(MARK);
                    for (k, val) in chunk {
                        write(k, out, depth + 1)?;
                        write(val, out, depth + 1)?;
                    }
                    out.push(SETITEMS);
                    if chunk.len() < BATCH {
                        break;
                    }
                    rest = tail;
                }
            }
        }
        other => {
            return Err(EncodeError(format!(
                "unsupported value {}",
                other.repr().chars().take(40).collect::<String>()
            )));
        }
    }
    Ok(())
}

/// BININT1 / BININT2 / BININT / LONG1, as CPython's `save_long` picks them.
fn int(i: i64, out: &mut Vec<u8>) {
    if (0..=0xff).contains(&i) {
        out.push(BININT1);
        out.push(i as u8);
    } else if (0..=0xffff).contains(&i) {
        out.push(BININT2);
        out.extend_from_slice(&(i as u16).to_le_bytes());
    } else if let Ok(small) = i32::try_from(i) {
        out.push(BININT);
        out.extend_from_slice(&small.to_le_bytes());
    } else {
        // Minimal little-endian two's complement (CPython's encode_long).
        let mut bytes = i.to_le_bytes().to_vec();
        while bytes.len() > 1 {
            let last = bytes[bytes.len() - 1];
            let prev_sign = bytes[bytes.len() - 2] & 0x80;
            if (last == 0 && prev_sign == 0) || (last == 0xff && prev_sign != 0) {
                bytes.pop();
            } else {
                break;
            }
        }
        out.push(LONG1);
        out.push(bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
}

fn sized(data: &[u8], short: u8, long: u8, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if let Ok(n) = u8::try_from(data.len()) {
        out.push(short);
        out.push(n);
    } else {
        let n = u32::try_from(data.len()).map_err(|_| EncodeError("string too long".into()))?;
        out.push(long);
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(data);
    Ok(())
}

/// Shorthands for building values.
#[must_use]
pub fn s(text: impl AsRef<str>) -> PyValue {
    PyValue::Str(text.as_ref().to_string())
}

#[must_use]
pub fn dict(pairs: Vec<(&str, PyValue)>) -> PyValue {
    PyValue::Dict(pairs.into_iter().map(|(k, v)| (s(k), v)).collect())
}
