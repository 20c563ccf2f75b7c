//! CPython 3.11 `repr()` for [`PyValue`], including common stdlib objects.

use super::text::to_latin1;
use super::{MAX_DEPTH, PyValue};

/// Nearest enclosing list or dict: decides how a cut cycle prints. Exact for
/// direct self-references (`[[...]]`, `{'a': {...}}`), a guess otherwise.
#[derive(Clone, Copy)]
pub(super) enum Enclosing {
    List,
    Dict,
    Other,
}

pub(super) fn write(v: &PyValue, out: &mut String, depth: usize, enc: Enclosing) {
    use PyValue as V;
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    let d = depth + 1;
    match v {
        V::None => out.push_str("None"),
        V::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        V::Int(i) => out.push_str(&i.to_string()),
        V::BigInt(s) => out.push_str(s),
        V::Float(f) => out.push_str(&float(*f, true)),
        V::Str(s) => str_repr(s, out),
        V::Bytes(b) => bytes_repr(b, out),
        V::List(items) => {
            out.push('[');
            seq(items, out, d, Enclosing::List);
            out.push(']');
        }
        V::Tuple(items) => {
            out.push('(');
            seq(items, out, d, enc);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        V::Dict(pairs) => dict(pairs, out, d),
        V::Set(items) if items.is_empty() => out.push_str("set()"),
        V::Set(items) => {
            out.push('{');
            seq(items, out, d, enc);
            out.push('}');
        }
        V::FrozenSet(items) if items.is_empty() => out.push_str("frozenset()"),
        V::FrozenSet(items) => {
            out.push_str("frozenset({");
            seq(items, out, d, enc);
            out.push_str("})");
        }
        V::Global(name) => {
            // type.__repr__ leaves out the "builtins." module
            out.push_str("<class '");
            out.push_str(name.strip_prefix("builtins.").unwrap_or(name));
            out.push_str("'>");
        }
        V::Object { class, args, state } => match known_object(class, args, state.as_deref(), d) {
            Some(s) => out.push_str(&s),
            // CPython adds " at 0x...", an address we cannot know
            None => {
                out.push('<');
                out.push_str(class);
                out.push_str(" object>");
            }
        },
        V::Recursive => out.push_str(match enc {
            Enclosing::List => "[...]",
            Enclosing::Dict => "{...}",
            Enclosing::Other => "...",
        }),
    }
}

fn seq(items: &[PyValue], out: &mut String, d: usize, enc: Enclosing) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(v, out, d, enc);
    }
}

fn dict(pairs: &[(PyValue, PyValue)], out: &mut String, d: usize) {
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(k, out, d, Enclosing::Dict);
        out.push_str(": ");
        write(v, out, d, Enclosing::Dict);
    }
    out.push('}');
}

fn rep(v: &PyValue, d: usize) -> String {
    let mut s = String::new();
    write(v, &mut s, d, Enclosing::Other);
    s
}

/// Reprs of well-known classes, or None to fall back to `<class object>`.
fn known_object(
    class: &str,
    args: &[PyValue],
    state: Option<&PyValue>,
    d: usize,
) -> Option<String> {
    use PyValue as V;
    match (class, args) {
        ("datetime.datetime", [s, tz @ ..]) if tz.len() <= 1 => {
            let [y0, y1, mo, day, h, mi, sec, u0, u1, u2] = state_bytes(s)?;
            let time = hms(h, mi, sec, u32::from_be_bytes([0, u0, u1, u2]));
            let tail = dt_tail(mo & 0x80 != 0, tz.first(), d);
            let year = u16::from_be_bytes([y0, y1]);
            Some(format!(
                "datetime.datetime({year}, {}, {day}, {time}{tail})",
                mo & 0x7f
            ))
        }
        ("datetime.date", [s]) => {
            let [y0, y1, mo, day] = state_bytes(s)?;
            Some(format!(
                "datetime.date({}, {mo}, {day})",
                u16::from_be_bytes([y0, y1])
            ))
        }
        ("datetime.time", [s, tz @ ..]) if tz.len() <= 1 => {
            let [h, mi, sec, u0, u1, u2] = state_bytes(s)?;
            let time = hms(h & 0x7f, mi, sec, u32::from_be_bytes([0, u0, u1, u2]));
            Some(format!(
                "datetime.time({time}{})",
                dt_tail(h & 0x80 != 0, tz.first(), d)
            ))
        }
        ("datetime.timedelta", [V::Int(days), V::Int(secs), V::Int(us)]) => {
            let parts: Vec<String> = [("days", days), ("seconds", secs), ("microseconds", us)]
                .iter()
                .filter(|(_, v)| **v != 0)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let parts = if parts.is_empty() {
                "0".to_string()
            } else {
                parts.join(", ")
            };
            Some(format!("datetime.timedelta({parts})"))
        }
        ("datetime.timezone", [td @ V::Object { class, .. }, name @ ..])
            if class == "datetime.timedelta" && name.len() <= 1 =>
        {
            let td = rep(td, d);
            Some(match name.first() {
                None if td == "datetime.timedelta(0)" => "datetime.timezone.utc".to_string(),
                None => format!("datetime.timezone({td})"),
                Some(n) => format!("datetime.timezone({td}, {})", rep(n, d)),
            })
        }
        ("zoneinfo.ZoneInfo._unpickle", [key @ V::Str(_), ..]) => {
            Some(format!("zoneinfo.ZoneInfo(key={})", rep(key, d)))
        }
        ("decimal.Decimal", [s @ V::Str(_)]) => Some(format!("Decimal({})", rep(s, d))),
        ("uuid.UUID", _) => {
            let Some(V::Dict(pairs)) = state else {
                return None;
            };
            let n = pairs.iter().find_map(|(k, v)| match (k, v) {
                (V::Str(k), V::Int(i)) if k == "int" => u128::try_from(*i).ok(),
                (V::Str(k), V::BigInt(s)) if k == "int" => s.parse::<u128>().ok(),
                _ => None,
            })?;
            let h = format!("{n:032x}");
            let (a, b, c, e, f) = (&h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]);
            Some(format!("UUID('{a}-{b}-{c}-{e}-{f}')"))
        }
        ("collections.OrderedDict", []) => Some("OrderedDict()".into()),
        ("collections.OrderedDict", [V::Dict(pairs)]) => {
            // 3.11 shows a list of pairs ("OrderedDict({...})" is 3.12+)
            let items = pairs
                .iter()
                .map(|(k, v)| V::Tuple(vec![k.clone(), v.clone()]));
            Some(format!(
                "OrderedDict({})",
                rep(&V::List(items.collect()), d)
            ))
        }
        ("collections.defaultdict", _) => {
            let (factory, items) = match args {
                [] => (&V::None, None),
                [dd @ V::Dict(_)] => (&V::None, Some(dd)),
                [f] => (f, None),
                [f, dd @ V::Dict(_)] => (f, Some(dd)),
                _ => return None,
            };
            let items = items.map_or_else(|| "{}".to_string(), |dd| rep(dd, d));
            Some(format!("defaultdict({}, {items})", rep(factory, d)))
        }
        ("collections.Counter", []) => Some("Counter()".into()),
        ("collections.Counter", [V::Dict(pairs)]) => {
            let mut pairs = pairs.clone();
            // most_common() order when all counts are ints (stable sort, like Python)
            if pairs.iter().all(|(_, v)| matches!(v, V::Int(_))) {
                pairs.sort_by_key(|(_, v)| {
                    std::cmp::Reverse(if let V::Int(i) = v { *i } else { 0 })
                });
            }
            Some(match pairs.is_empty() {
                true => "Counter()".into(),
                false => format!("Counter({})", rep(&V::Dict(pairs), d)),
            })
        }
        ("builtins.bytearray", []) => Some("bytearray(b'')".into()),
        ("builtins.bytearray", [b @ V::Bytes(_)]) => Some(format!("bytearray({})", rep(b, d))),
        ("builtins.complex", [re, im]) => Some(complex(num(re)?, num(im)?)),
        ("builtins.range", [V::Int(start), V::Int(stop), V::Int(step)]) => Some(match step {
            1 => format!("range({start}, {stop})"),
            _ => format!("range({start}, {stop}, {step})"),
        }),
        _ => None,
    }
}

/// datetime pickles carry a packed bytes state (a latin-1 str in py2 pickles).
fn state_bytes<const N: usize>(v: &PyValue) -> Option<[u8; N]> {
    match v {
        PyValue::Bytes(b) => b.as_slice().try_into().ok(),
        PyValue::Str(s) => to_latin1(s)?.try_into().ok(),
        _ => None,
    }
}

/// CPython drops seconds and microseconds when they are zero.
fn hms(h: u8, mi: u8, s: u8, us: u32) -> String {
    match (s, us) {
        (_, 1..) => format!("{h}, {mi}, {s}, {us}"),
        (1.., 0) => format!("{h}, {mi}, {s}"),
        _ => format!("{h}, {mi}"),
    }
}

/// The ", fold=1" and ", tzinfo=..." suffixes, in CPython's order.
fn dt_tail(fold: bool, tz: Option<&PyValue>, d: usize) -> String {
    let mut s = String::new();
    if fold {
        s.push_str(", fold=1");
    }
    if let Some(tz) = tz.filter(|t| **t != PyValue::None) {
        s.push_str(", tzinfo=");
        write(tz, &mut s, d, Enclosing::Other);
    }
    s
}

fn num(v: &PyValue) -> Option<f64> {
    match v {
        PyValue::Float(f) => Some(*f),
        PyValue::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn complex(re: f64, im: f64) -> String {
    let im_s = float(im, false);
    if re == 0.0 && re.is_sign_positive() {
        return format!("{im_s}j");
    }
    let sign = if im_s.starts_with('-') { "" } else { "+" };
    format!("({}{sign}{im_s}j)", float(re, false))
}

/// Python float repr: shortest round-trip digits, scientific notation when the
/// decimal exponent is < -4 or >= 16. `dot_zero` adds ".0" to integral values
/// (complex components leave it out).
pub(super) fn float(f: f64, dot_zero: bool) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{f:e}"); // shortest round-trip digits, e.g. "-1.25e-7"
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = mant.strip_prefix('-').map_or(("", mant), |m| ("-", m));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.unsigned_abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((exp.unsigned_abs() - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = exp.unsigned_abs() as usize + 1;
    if digits.len() > point {
        return format!("{sign}{}.{}", &digits[..point], &digits[point..]);
    }
    let zeros = "0".repeat(point - digits.len());
    format!("{sign}{digits}{zeros}{}", if dot_zero { ".0" } else { "" })
}

/// Python's quote choice: single quotes unless the text has ' and no ".
fn quote_for(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double { '"' } else { '\'' }
}

fn str_repr(s: &str, out: &mut String) {
    let q = quote_for(s.contains('\''), s.contains('"'));
    out.push(q);
    for c in s.chars() {
        let u = u32::from(c);
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ if c == q => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ if u >= 0xa0 && is_printable(c) => out.push(c),
            _ if u <= 0xff => out.push_str(&format!("\\x{u:02x}")),
            _ if u <= 0xffff => out.push_str(&format!("\\u{u:04x}")),
            _ => out.push_str(&format!("\\U{u:08x}")),
        }
    }
    out.push(q);
}

/// `str.isprintable()` for non-ASCII: not Cc, Cf, Co, Zs, Zl, Zp (tables for
/// Unicode 14, CPython 3.11). Unassigned code points (Cn) other than the
/// noncharacters are treated as printable: that table is too large.
fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    let format_char = matches!(u, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891
        | 0x8e2 | 0x180e | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064
        | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd);
    let nonchar = u & 0xfffe == 0xfffe || (0xfdd0..=0xfdef).contains(&u);
    !(c.is_control() || c.is_whitespace() || format_char || private || nonchar)
}

fn bytes_repr(b: &[u8], out: &mut String) {
    let q = quote_for(b.contains(&b'\''), b.contains(&b'"'));
    out.push('b');
    out.push(q);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ if char::from(c) == q => {
                out.push('\\');
                out.push(q);
            }
            b' '..=b'~' => out.push(char::from(c)),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(q);
}
