//! Text and number helpers for the protocol 0 opcodes and LONG1/LONG4.

use super::{MAX_DECIMAL_LONG_BYTES, PyValue, R};

pub(super) fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

pub(super) fn to_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

pub(super) fn parse_key(line: &[u8]) -> R<u64> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| "bad memo key".into())
}

/// INT / LONG text: i64 when it fits, else normalised decimal BigInt text.
pub(super) fn parse_int_text(line: &[u8]) -> R<PyValue> {
    let s = std::str::from_utf8(line)
        .map_err(|_| "bad int text")?
        .trim();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad int text".into());
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(PyValue::Int(i));
    }
    let digits = digits.trim_start_matches('0');
    Ok(PyValue::BigInt(format!(
        "{}{digits}",
        if neg { "-" } else { "" }
    )))
}

/// LONG1 / LONG4 payload: little-endian two's complement of any size.
pub(super) fn long_from_le(b: &[u8]) -> PyValue {
    let neg = b.last().is_some_and(|&x| x & 0x80 != 0);
    let mut mag = b.to_vec();
    if neg {
        let mut carry = true;
        for x in &mut mag {
            *x = !*x;
            if carry {
                (*x, carry) = x.overflowing_add(1);
            }
        }
    }
    while mag.last() == Some(&0) {
        mag.pop();
    }
    if mag.len() <= 8 {
        let mut buf = [0u8; 8];
        buf[..mag.len()].copy_from_slice(&mag);
        let m = u64::from_le_bytes(buf);
        let fits = if neg {
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(m).ok()
        };
        if let Some(i) = fits {
            return PyValue::Int(i);
        }
    }
    let sign = if neg { "-" } else { "" };
    if mag.len() > MAX_DECIMAL_LONG_BYTES {
        let hex: String = mag.iter().rev().map(|b| format!("{b:02x}")).collect();
        return PyValue::BigInt(format!("{sign}0x{}", hex.trim_start_matches('0')));
    }
    // schoolbook division by 10^9 over u32 limbs
    let mut limbs: Vec<u32> = mag
        .chunks(4)
        .map(|c| {
            c.iter()
                .rev()
                .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
        })
        .collect();
    let mut chunks = Vec::new();
    while !limbs.is_empty() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32; // < 2^32 because rem < 10^9
            rem = cur % 1_000_000_000;
        }
        chunks.push(rem);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut out = sign.to_string();
    for (i, c) in chunks.iter().rev().enumerate() {
        out.push_str(&if i == 0 {
            c.to_string()
        } else {
            format!("{c:09}")
        });
    }
    PyValue::BigInt(out)
}

/// Python's `codecs.escape_decode`, used by the protocol 0 STRING opcode.
pub(super) fn escape_decode(s: &[u8]) -> R<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter().copied().peekable();
    while let Some(c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = it.next().ok_or("trailing \\ in STRING")?;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b't' => out.push(9),
            b'n' => out.push(10),
            b'v' => out.push(11),
            b'f' => out.push(12),
            b'r' => out.push(13),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match it.peek() {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            it.next();
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hex = [it.next(), it.next()];
                let v = match hex {
                    [Some(a), Some(b)] => hex_val(&[a, b]),
                    _ => None,
                };
                out.push(
                    v.and_then(|v| u8::try_from(v).ok())
                        .ok_or("bad \\x escape")?,
                );
            }
            _ => out.extend([b'\\', e]),
        }
    }
    Ok(out)
}

fn hex_val(h: &[u8]) -> Option<u32> {
    h.iter()
        .try_fold(0u32, |acc, &b| Some(acc * 16 + char::from(b).to_digit(16)?))
}

/// raw-unicode-escape (UNICODE opcode): latin-1 bytes plus \uXXXX / \UXXXXXXXX,
/// which only count after an odd run of backslashes.
pub(super) fn raw_unicode_escape(b: &[u8]) -> R<String> {
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let run = b[i..].iter().take_while(|&&x| x == b'\\').count();
        let n = match b.get(i + run) {
            Some(b'u') if run % 2 == 1 => 4,
            Some(b'U') if run % 2 == 1 => 8,
            _ => 0,
        };
        out.extend(std::iter::repeat_n('\\', if n > 0 { run - 1 } else { run }));
        i += run;
        if n > 0 {
            let code = b
                .get(i + 1..i + 1 + n)
                .and_then(hex_val)
                .ok_or("bad \\u escape in UNICODE")?;
            if code > 0x10ffff {
                return Err("\\U escape out of range".into());
            }
            // lone surrogates cannot live in a Rust String
            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            i += 1 + n;
        }
    }
    Ok(out)
}
