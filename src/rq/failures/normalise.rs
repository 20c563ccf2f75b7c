//! Error messages with their varying parts replaced by placeholders, so that
//! `Timeout connecting to 10.0.0.7:6379 after 5.2s` and `... 10.0.0.9:6379 after 5.0s`
//! read the same: quoted values, UUIDs, timestamps, host:port, IPs, hex and numbers.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Longest normalised message kept.
const MAX_NORMALISED: usize = 300;
/// Longest message read.
const MAX_INPUT: usize = 4096;

/// The varying parts, leftmost-first: earlier alternatives win at the same position.
static VARYING: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // ASCII word boundaries (`(?-u:\b)`) keep the regex on its fast DFA.
    let re = concat!(
        r"(?P<uuid>\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b)",
        r"|(?P<time>\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b)",
        r"|(?P<hostport>\[[0-9a-fA-F:.]+\]:\d{1,5}\b|\b[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*:\d{1,5}\b)",
        r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b)",
        r"|(?P<hex>\b0[xX][0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b)",
        r"|(?P<num>\d+(?:\.\d+)?)",
    );
    Regex::new(&format!("(?-u){re}")).ok()
});

/// The message with its varying parts as placeholders (`<str>`, `<uuid>`, `<time>`,
/// `<host:port>`, `<ip>`, `<hex>` (0x…), `<id>` (8+ hex digits), `<n>`), whitespace collapsed, at most 300 bytes.
#[must_use]
pub fn message(text: &str) -> String {
    // Signatures use the start of a message; the rest is not worth the time.
    let unquoted = quoted(&super::traceback::cut(text, MAX_INPUT));
    let replaced = match VARYING.as_ref() {
        Some(re) => re
            .replace_all(&unquoted, |c: &Captures| placeholder(c, &unquoted))
            .into_owned(),
        None => unquoted,
    };
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    super::traceback::cut(&collapsed, MAX_NORMALISED)
}

/// A file path with the ids inside it (release dirs, numbered parts) as placeholders, so
/// that one frame reads the same across deploys.
#[must_use]
pub fn path(p: &str) -> String {
    match VARYING.as_ref() {
        Some(re) => re
            .replace_all(p, |c: &Captures| placeholder(c, p))
            .into_owned(),
        None => p.to_string(),
    }
}

fn placeholder(c: &Captures, haystack: &str) -> String {
    let whole = c.get(0).map_or("", |m| m.as_str());
    let kind = ["uuid", "time", "hostport", "ip", "hex", "num"]
        .into_iter()
        .find(|k| c.name(k).is_some())
        .unwrap_or("num");
    match kind {
        "uuid" => "<uuid>".into(),
        "time" => "<time>".into(),
        "hostport" => {
            // `v2:3` or `python3:12` are not hosts unless the name holds a dot or digits
            // only; a bare word before `:N` (e.g. `line:12`) keeps its word.
            let host = whole.rsplit_once(':').map_or(whole, |(h, _)| h);
            if host.contains('.') || host.starts_with('[') || host == "localhost" {
                "<host:port>".into()
            } else if host.bytes().all(|b| b.is_ascii_digit()) {
                "<n>:<n>".into()
            } else {
                format!("{host}:<n>")
            }
        }
        "ip" => "<ip>".into(),
        "hex" => {
            if whole.starts_with("0x") || whole.starts_with("0X") {
                "<hex>".into()
            } else if whole.bytes().any(|b| b.is_ascii_digit()) {
                // An id of 8+ hex digits; one that happens to hold no letter is the same
                // kind of id, so digits alone are no different.
                "<id>".into()
            } else {
                whole.to_string() // a word of a-f letters only, e.g. `deadbeefed`
            }
        }
        _ => {
            // Digits glued to a word (`python3`, `utf8`, `v2`) are part of a name.
            let start = c.get(0).map_or(0, |m| m.start());
            let glued = haystack[..start]
                .chars()
                .next_back()
                .is_some_and(|ch| ch.is_alphabetic());
            if glued {
                whole.to_string()
            } else {
                "<n>".into()
            }
        }
    }
}

/// Quoted values (`'user-42'`, `"a b"`) become `'<str>'`. A quote glued to a word on its
/// left is an apostrophe (`can't`), not a quote.
fn quoted(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = (c == '\'' || c == '"')
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if opens {
            let close = (i + 1..chars.len())
                .take_while(|&j| chars[j] != '\n')
                .find(|&j| {
                    chars[j] == c && chars[j - 1] != '\\' && {
                        let after = chars.get(j + 1);
                        !after.is_some_and(|a| a.is_alphanumeric())
                    }
                });
            if let Some(j) = close {
                out.push(c);
                out.push_str("<str>");
                out.push(c);
                i = j + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varying_parts_become_placeholders() {
        let cases = [
            (
                "Timeout connecting to 10.0.0.7:6379 after 5.2s",
                "Timeout connecting to <host:port> after <n>s",
            ),
            (
                "Error 111 connecting to redis.internal:6390. Connection refused.",
                "Error <n> connecting to <host:port>. Connection refused.",
            ),
            ("'user-1034'", "'<str>'"),
            ("can't find \"a b\" in x", "can't find \"<str>\" in x"),
            (
                "job 5deb82ed-abda-4e2a-bede-6d30b63d88be at 2026-11-29T23:40:01.123Z",
                "job <uuid> at <time>",
            ),
            ("object at 0x7f3a9c1b2d40", "object at <hex>"),
            ("sha deadbeef01234567 bad", "sha <id> bad"),
            ("bucket 1234567890123456 full", "bucket <id> full"),
            (
                "order 9001 of 12 at 1732900000.25",
                "order <n> of <n> at <id>.<n>",
            ),
            ("user_123 on python3 v2", "user_<n> on python3 v2"),
            ("ping 10.1.2.3 lost", "ping <ip> lost"),
            ("at 12:30:45 today", "at <time> today"),
            ("  many   spaces\n\tand lines ", "many spaces and lines"),
            (
                "/data/users/8812/report.csv missing",
                "/data/users/<n>/report.csv missing",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(message(input), want, "{input}");
        }
    }

    #[test]
    fn same_cause_same_text() {
        assert_eq!(
            message("card 4111-000 declined for order 9000 (12.50 EUR)"),
            message("card 4111-222 declined for order 9002 (37.50 EUR)")
        );
    }

    #[test]
    fn messages_are_bounded() {
        assert!(message(&"a1 ".repeat(100_000)).len() <= MAX_NORMALISED);
        assert!(message(&"'".repeat(10_000)).len() <= MAX_NORMALISED);
    }
}
