//! Python tracebacks as RQ stores them (`''.join(traceback.format_exception(...))`), read
//! into the final exception and the frames that led to it. Anything else (RQ's own notes
//! such as "Work-horse terminated unexpectedly", garbage, binary) is read as free text.

/// Only the end of a traceback is read: the final exception and its frames are there.
/// A megabyte of text costs no more than this.
const TAIL: usize = 64 * 1024;
/// Longest exception message kept (the rest is cut: signatures use the start).
const MAX_MESSAGE: usize = 1024;
/// At most this many frames are kept (the innermost ones).
const MAX_FRAMES: usize = 64;

/// One `File "...", line N, in func` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub file: String,
    pub line: Option<u32>,
    pub function: String,
}

/// How a traceback text was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Python traceback: `exc_type` and `frames` come from it.
    Python,
    /// Some other text (RQ's own failure notes, garbage): `message` is its last line.
    Text,
    /// Nothing but whitespace.
    Empty,
}

/// The final exception of a traceback (the last of a chain) and its frames, innermost last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub shape: Shape,
    /// e.g. `redis.exceptions.ConnectionError`; empty unless `shape` is `Python`.
    pub exc_type: String,
    pub message: String,
    pub frames: Vec<Frame>,
}

impl Parsed {
    /// The error as recorded, on one line: `KeyError: 'user-42'` (None when empty).
    #[must_use]
    pub fn error_line(&self) -> Option<String> {
        let first = self.message.lines().next().unwrap_or_default();
        match (self.exc_type.is_empty(), first.is_empty()) {
            (true, true) => None,
            (true, false) => Some(first.to_string()),
            (false, true) => Some(self.exc_type.clone()),
            (false, false) => Some(format!("{}: {first}", self.exc_type)),
        }
    }
}

/// Reads a traceback. Never fails: text that is not a traceback is kept as text.
#[must_use]
pub fn parse(text: &str) -> Parsed {
    let text = tail(text);
    let lines: Vec<&str> = text.lines().map(strip_group_margin).collect();
    let Some(start) = lines.iter().rposition(|l| {
        l.trim_start()
            .starts_with("Traceback (most recent call last)")
    }) else {
        return as_text(&lines);
    };
    let mut frames = Vec::new();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        if let Some(frame) = frame_line(line) {
            frames.push(frame);
        } else if !line.starts_with(' ') && !line.trim().is_empty() {
            break; // the exception line
        }
        i += 1;
    }
    let Some(head) = lines.get(i) else {
        return as_text(&lines);
    };
    // The message may run on over further lines (multi-line str(), notes), up to a blank
    // line or the end.
    let rest: Vec<&str> = lines[i + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .copied()
        .collect();
    let (exc_type, first) = split_exception(head);
    let mut message = first.to_string();
    for l in rest {
        message.push('\n');
        message.push_str(l);
    }
    if frames.len() > MAX_FRAMES {
        frames.drain(..frames.len() - MAX_FRAMES);
    }
    Parsed {
        shape: if exc_type.is_empty() {
            Shape::Text
        } else {
            Shape::Python
        },
        exc_type: exc_type.to_string(),
        message: cut(&message, MAX_MESSAGE),
        frames,
    }
}

/// The last `TAIL` bytes, starting at a line boundary when there is one.
fn tail(text: &str) -> &str {
    if text.len() <= TAIL {
        return text;
    }
    let mut from = text.len() - TAIL;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let t = &text[from..];
    t.find('\n').map_or(t, |nl| &t[nl + 1..])
}

/// Exception groups (3.11+) draw their members inside `| ` margins: read through them.
fn strip_group_margin(line: &str) -> &str {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("| ") {
        return rest;
    }
    if trimmed.starts_with("+-") || trimmed == "|" {
        return "";
    }
    line
}

/// Text that is not a traceback: its last non-empty line is the message.
fn as_text(lines: &[&str]) -> Parsed {
    let last = lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty());
    Parsed {
        shape: if last.is_some() {
            Shape::Text
        } else {
            Shape::Empty
        },
        exc_type: String::new(),
        message: last.map(|l| cut(l, MAX_MESSAGE)).unwrap_or_default(),
        frames: Vec::new(),
    }
}

/// `  File "/app/mail.py", line 12, in send` → a frame.
fn frame_line(line: &str) -> Option<Frame> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let close = rest.find("\", line ")?;
    let file = &rest[..close];
    let after = &rest[close + "\", line ".len()..];
    let (num, func) = match after.split_once(", in ") {
        Some((n, f)) => (n, f.trim()),
        None => (after, ""),
    };
    Some(Frame {
        file: file.to_string(),
        line: num.trim().parse().ok(),
        function: func.to_string(),
    })
}

/// `pkg.mod.Error: message` → (`pkg.mod.Error`, `message`); a line that does not start
/// with a dotted name is all message, with no type.
fn split_exception(line: &str) -> (&str, &str) {
    let (name, message) = match line.split_once(':') {
        Some((n, m)) => (n, m.strip_prefix(' ').unwrap_or(m)),
        None => (line.trim_end(), ""),
    };
    if is_dotted_name(name) {
        (name, message)
    } else {
        ("", line)
    }
}

fn is_dotted_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAINED: &str = "Traceback (most recent call last):
  File \"/usr/lib/python3.11/socket.py\", line 10, in connect
    sock.connect(addr)
ConnectionRefusedError: [Errno 111] Connection refused

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/srv/app/sync.py\", line 29, in sync_cache
    return client.ping()
           ^^^^^^^^^^^^^
  File \"/venv/lib/python3.11/site-packages/redis/client.py\", line 867, in ping
    return self.execute_command()
redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.7:6379. Connection refused.
";

    #[test]
    fn the_final_exception_of_a_chain_is_read() {
        let p = parse(CHAINED);
        assert_eq!(p.shape, Shape::Python);
        assert_eq!(p.exc_type, "redis.exceptions.ConnectionError");
        assert_eq!(
            p.message,
            "Error 111 connecting to 10.0.0.7:6379. Connection refused."
        );
        assert_eq!(p.frames.len(), 2);
        assert_eq!(p.frames[0].function, "sync_cache");
        assert_eq!(p.frames[0].line, Some(29));
    }

    #[test]
    fn an_exception_without_a_message_has_only_a_type() {
        let p = parse(
            "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nStopIteration\n",
        );
        assert_eq!(
            (p.exc_type.as_str(), p.message.as_str()),
            ("StopIteration", "")
        );
    }

    #[test]
    fn multi_line_messages_are_kept_whole() {
        let p = parse(
            "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nValueError: first\nsecond line\n",
        );
        assert_eq!(p.message, "first\nsecond line");
    }

    #[test]
    fn rq_notes_and_garbage_are_text() {
        let p = parse("Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ");
        assert_eq!(p.shape, Shape::Text);
        assert_eq!(p.exc_type, "");
        assert!(p.message.starts_with("Work-horse terminated"));
        assert_eq!(parse("  \n\n ").shape, Shape::Empty);
        assert_eq!(parse("").shape, Shape::Empty);
        // A traceback cut before its exception line.
        let cut_short =
            parse("Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n");
        assert_eq!(cut_short.shape, Shape::Text);
    }

    #[test]
    fn exception_groups_are_read_through_their_margins() {
        let text = "  + Exception Group Traceback (most recent call last):
  |   File \"/srv/app/x.py\", line 3, in run
  | ExceptionGroup: many (1 sub-exception)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File \"/srv/app/x.py\", line 9, in inner
    | ValueError: bad 42
    +------------------------------------
";
        let p = parse(text);
        assert_eq!(p.exc_type, "ValueError");
        assert_eq!(p.message, "bad 42");
        assert_eq!(p.frames[0].function, "inner");
    }

    #[test]
    fn huge_text_reads_only_its_tail() {
        let mut text = "x".repeat(1024 * 1024);
        text.push_str(
            "\nTraceback (most recent call last):\n  File \"a.py\", line 1, in f\nKeyError: 'k'\n",
        );
        let p = parse(&text);
        assert_eq!(p.exc_type, "KeyError");
        let garbage = "é".repeat(600_000);
        assert_eq!(parse(&garbage).shape, Shape::Text);
        assert!(parse(&garbage).message.len() <= MAX_MESSAGE);
    }
}
