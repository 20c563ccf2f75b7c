//! The one boundary for untrusted text: everything read from Redis is someone else's bytes.
//! Before it reaches a terminal, control characters and the invisible characters that
//! reorder or hide text (bidi overrides, zero-width marks) are shown as visible escapes, so
//! a job description cannot set the window title, write the clipboard (OSC 52), clear the
//! screen or make a prompt read differently. `--json` output does not pass through here.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

/// One line of untrusted text made safe: newlines and tabs are escaped too, so a value can
/// never start a line of its own (in a table, a prompt, a report).
#[must_use]
pub fn safe(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Untrusted text that may span lines (a traceback): newlines and tabs stay, every other
/// control or invisible character is escaped.
#[must_use]
pub fn safe_multiline(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Columns `s` takes on a terminal once printed (wide characters count two).
#[must_use]
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, keep_lines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c, keep_lines) {
            out.push(c);
        } else if let Some(byte) = raw_byte(c) {
            // A byte of a name that is not UTF-8 (see rq::keys::name_from_bytes).
            out.push_str(&format!("\\x{byte:02x}"));
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{:04x}", c as u32));
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char, keep_lines: bool) -> bool {
    if keep_lines && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control() || invisible(c) || raw_byte(c).is_some()
}

fn raw_byte(c: char) -> Option<u32> {
    (c as u32).checked_sub(0x10_ff00)
}

/// Characters that change how the text around them reads without showing themselves:
/// bidi embeddings, overrides and isolates, zero-width marks and joiners, line and
/// paragraph separators, the BOM, interlinear annotation marks, fillers that render as
/// nothing (Hangul fillers, the grapheme joiner), variation selectors and tag characters
/// (used to hide text).
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00ad | 0x034f | 0x061c | 0x115f | 0x1160 | 0x180b..=0x180f | 0x200b..=0x200f
        | 0x2028..=0x202e | 0x2060..=0x2069 | 0x3164 | 0xfe00..=0xfe0f | 0xfeff | 0xffa0
        | 0xfff9..=0xfffb | 0xe0000..=0xe007f | 0xe0100..=0xe01ef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(safe("plain text"), "plain text");
        assert!(matches!(safe("plain"), Cow::Borrowed(_)));
        assert_eq!(safe("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(safe("\x1b]52;c;aGk=\x1b\\"), "\\x1b]52;c;aGk=\\x1b\\");
        assert_eq!(safe("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
        assert_eq!(safe("\u{9b}2J"), "\\x9b2J");
        assert_eq!(safe("abc\u{202e}fdp.exe"), "abc\\u202efdp.exe");
        assert_eq!(safe("zero\u{200b}width"), "zero\\u200bwidth");
        assert_eq!(safe("héllo wörld ✓ 日本"), "héllo wörld ✓ 日本");
        let not_utf8 = crate::rq::keys::name_from_bytes(&[b'q', 0xff]);
        assert_eq!(safe(&not_utf8), "q\\xff");
    }

    #[test]
    fn multiline_keeps_lines_only() {
        assert_eq!(
            safe_multiline("Traceback:\n\tline\x1b[2J\u{2066}"),
            "Traceback:\n\tline\\x1b[2J\\u2066"
        );
    }

    #[test]
    fn nothing_escaped_remains_active() {
        // Whatever the input, the output holds no control or invisible character.
        let nasty: String = (0u32..0x3000)
            .filter_map(char::from_u32)
            .chain(['\u{feff}', '\u{fff9}'])
            .collect();
        for c in safe(&nasty).chars() {
            assert!(!c.is_control() && !invisible(c), "{:?} left active", c);
        }
    }

    #[test]
    fn width_counts_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本"), 4);
    }
}
