//! Pure text formatting shared by rqtop and rqctl, so a table says the same in both.

mod job_text;
mod safe;

use std::time::SystemTime;

pub use job_text::job_text;
pub use safe::{safe, safe_multiline, width};

use crate::rq::Timestamp;

/// `1234567` -> `1,234,567`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A compact duration: `45s`, `3m 12s`, `2h 5m`, `3d 4h`.
#[must_use]
pub fn span(secs: f64) -> String {
    if !secs.is_finite() {
        return "-".to_string();
    }
    let s = secs.abs().round() as u64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let text = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else if secs.abs() < 10.0 && secs.fract().abs() > f64::EPSILON && secs.abs() >= 0.001 {
        format!("{:.1}s", secs.abs())
    } else {
        format!("{sec}s")
    };
    if secs < 0.0 { format!("-{text}") } else { text }
}

/// How long ago `t` was: `5s ago`, or `in 3m 2s` for the future; `-` when unknown.
#[must_use]
pub fn ago(t: Option<Timestamp>, now: SystemTime) -> String {
    match t {
        None => "-".to_string(),
        Some(t) => {
            let age = t.age_secs(now);
            if age >= 0.0 {
                format!("{} ago", span(age))
            } else {
                format!("in {}", span(-age))
            }
        }
    }
}

/// An age without the suffix (for "oldest job" columns).
#[must_use]
pub fn age(t: Option<Timestamp>, now: SystemTime) -> String {
    t.map_or_else(|| "-".to_string(), |t| span(t.age_secs(now).max(0.0)))
}

/// RFC 3339 or `-`.
#[must_use]
pub fn time(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), Timestamp::rfc3339)
}

/// What a page's order is, in the words of what the registry's scores are: queues run from
/// the head, failed/finished/started scores are expiry times, scheduled ones run times,
/// the others the time the job arrived.
#[must_use]
pub fn order_words(source: crate::rq::JobSource, newest_first: bool) -> &'static str {
    use crate::rq::{JobSource, Registry};
    match (source, newest_first) {
        (JobSource::Queue, false) => "next to run first",
        (JobSource::Queue, true) => "last to run first",
        (JobSource::Registry(Registry::Failed | Registry::Finished | Registry::Started), false) => {
            "soonest to expire first"
        }
        (JobSource::Registry(Registry::Failed | Registry::Finished | Registry::Started), true) => {
            "latest to expire first"
        }
        (JobSource::Registry(Registry::Scheduled), false) => "soonest due first",
        (JobSource::Registry(Registry::Scheduled), true) => "latest due first",
        (JobSource::Registry(_), false) => "oldest first",
        (JobSource::Registry(_), true) => "newest first",
    }
}

/// Cuts `s` to `max` characters, marking the cut with `…`.
#[must_use]
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Aligned plain-text table; numeric columns are right-aligned.
#[derive(Debug, Default)]
pub struct TextTable {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// `headers` prefixed with `>` are right-aligned.
    #[must_use]
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers
                .iter()
                .map(|h| h.trim_start_matches('>').to_string())
                .collect(),
            right: headers.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; each cell is made safe for a terminal (it may come from Redis).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.iter().map(|c| safe(c).into_owned()).collect());
    }

    #[must_use]
    pub fn render(&self) -> String {
        let cols = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let mut out = String::new();
        for line in std::iter::once(&self.headers).chain(self.rows.iter()) {
            let mut cells = Vec::with_capacity(cols);
            for (i, width) in widths.iter().enumerate() {
                let c = line.get(i).map_or("", String::as_str);
                let pad = width.saturating_sub(self::width(c));
                cells.push(if self.right[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else if i + 1 == cols {
                    c.to_string()
                } else {
                    format!("{c}{}", " ".repeat(pad))
                });
            }
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_spans() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(span(45.0), "45s");
        assert_eq!(span(192.0), "3m 12s");
        assert_eq!(span(7500.0), "2h 5m");
        assert_eq!(span(1.5), "1.5s");
        assert_eq!(span(f64::NAN), "-");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn table_aligns() {
        let mut t = TextTable::new(&["NAME", ">N"]);
        t.row(vec!["a".into(), "1,000".into()]);
        t.row(vec!["longer".into(), "2".into()]);
        assert_eq!(t.render(), "NAME        N\na       1,000\nlonger      2\n");
    }
}
