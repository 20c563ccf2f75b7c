//! The only code in rqctl that prints: JSON documents or text to stdout, errors to stderr.
//! A closed pipe (`rqctl jobs q | head`) ends output quietly instead of panicking. Text goes
//! through `present::safe_multiline` on its way out, so no byte that came from Redis can
//! drive the terminal even where a caller forgot to make it safe; JSON stays exact.

use std::io::Write;

use serde::Serialize;

use crate::present::safe_multiline;

/// Writes to stdout; false when the reader is gone (a closed pipe).
fn raw(s: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

pub struct Output {
    pub json: bool,
    /// Stdout is gone (`rqctl info --interval 1s | head -2` after head exits): a repeating
    /// command stops instead of polling Redis for nobody.
    closed: bool,
}

impl Output {
    #[must_use]
    pub fn new(json: bool) -> Self {
        Self {
            json,
            closed: false,
        }
    }

    /// True once a write found nobody reading.
    #[must_use]
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn write(&mut self, s: &str) {
        if !raw(s) {
            self.closed = true;
        }
    }

    /// Writes a control sequence of our own (clear the screen), the one thing that must not
    /// be escaped; never called with text from Redis.
    pub fn raw_control(&mut self, s: &'static str) {
        self.write(s);
    }

    /// Writes a machine format exactly (Prometheus text to a pipe), as `json` does.
    pub fn exact(&mut self, s: &str) {
        self.write(s);
    }

    /// Writes text, made safe for a terminal (callers end lines themselves).
    pub fn text(&mut self, s: &str) {
        self.write(&safe_multiline(s));
    }

    pub fn line(&mut self, s: &str) {
        self.text(&format!("{s}\n"));
    }

    /// Writes one pretty JSON document.
    pub fn json<T: Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let mut s = serde_json::to_string_pretty(value)?;
        s.push('\n');
        self.write(&s);
        Ok(())
    }

    /// A note for the person at the terminal (stderr, so stdout stays machine-readable).
    pub fn note(&mut self, s: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", safe_multiline(s));
    }

    /// One clear line on stderr (the chain of causes joined, no backtrace); with `--json`
    /// also `{"ok": false, "error": "..."}` on stdout, so that a script always gets a document.
    pub fn error(&mut self, e: &anyhow::Error) {
        let msg = e
            .chain()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        if self.json {
            let _ = self.json(&serde_json::json!({"ok": false, "error": msg}));
        }
        self.note(&format!("rqctl: error: {}", crate::present::safe(&msg)));
    }
}
