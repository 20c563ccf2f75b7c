//! The threshold syntax of `rqctl check`, made to read well in a monitoring config:
//!
//! * `WARN:CRIT` — alert when the value is above WARN (warning) or above CRIT (critical);
//!   either side may be left out (`:10000` critical only, `5000:` warning only).
//! * `QUEUE=WARN:CRIT` — the same for one queue; a threshold without `QUEUE=` applies to
//!   every other queue. Repeat the flag for several queues.
//! * Counts are whole numbers (`10000`, `10_000` or `10,000`); ages and durations are
//!   `30s`, `10m`, `1h`, `2d`. `--failed-recent` adds the window: `5:20/10m`.

use std::time::Duration;

/// Alert levels, ordered from best to worst; the exit code of a monitoring plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Level {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }

    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Warning => 1,
            Self::Critical => 2,
            Self::Unknown => 3,
        }
    }
}

/// What a threshold compares: a count of jobs or workers, or seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
}

/// Warning and critical levels (either may be absent), in the unit of the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    pub warn: Option<f64>,
    pub crit: Option<f64>,
}

impl Levels {
    /// The level of `value`: above crit is critical, above warn is a warning.
    #[must_use]
    pub fn judge(&self, value: f64) -> Level {
        if self.crit.is_some_and(|c| value > c) {
            Level::Critical
        } else if self.warn.is_some_and(|w| value > w) {
            Level::Warning
        } else {
            Level::Ok
        }
    }

    /// The level that was passed (`crit` when critical, `warn` when a warning).
    #[must_use]
    pub fn limit(&self, level: Level) -> Option<f64> {
        match level {
            Level::Critical => self.crit,
            Level::Warning => self.warn,
            _ => None,
        }
    }
}

/// One flag's value: levels, for one queue or for all, and (for `--failed-recent` and
/// `--stale-workers`) the window or age after `/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub queue: Option<String>,
    pub levels: Levels,
    pub window: Option<Duration>,
}

/// Parses `[QUEUE=]WARN:CRIT[/WINDOW]`. `window` says whether `/WINDOW` is allowed.
pub fn parse(flag: &str, text: &str, unit: Unit, window: bool) -> Result<Threshold, String> {
    let bad = |why: String| format!("--{flag} {text:?}: {why}");
    let (queue, rest) = match text.rsplit_once('=') {
        Some((q, rest)) if !q.is_empty() => (Some(q.to_string()), rest),
        Some(_) => return Err(bad("the queue name before = is empty".into())),
        None => (None, text),
    };
    let (levels_text, win) = match rest.split_once('/') {
        Some((l, w)) if window => {
            let w = humantime::parse_duration(w.trim())
                .map_err(|e| bad(format!("the window {w:?} is not a duration ({e})")))?;
            if w.is_zero() {
                return Err(bad("the window must be longer than 0".into()));
            }
            (l, Some(w))
        }
        Some(_) => return Err(bad("this check takes no /WINDOW".into())),
        None => (rest, None),
    };
    let Some((w, c)) = levels_text.split_once(':') else {
        return Err(bad(format!(
            "expected WARN:CRIT (e.g. {}), or :CRIT or WARN: for one level",
            example(unit)
        )));
    };
    let level = |s: &str| -> Result<Option<f64>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        match unit {
            Unit::Count => {
                let digits: String = s.chars().filter(|c| !matches!(c, '_' | ',')).collect();
                digits
                    .parse::<u64>()
                    .map(|n| Some(n as f64))
                    .map_err(|_| bad(format!("{s:?} is not a whole number")))
            }
            Unit::Seconds => humantime::parse_duration(s)
                .map(|d| Some(d.as_secs_f64()))
                .map_err(|e| bad(format!("{s:?} is not a duration like 10m or 1h ({e})"))),
        }
    };
    let levels = Levels {
        warn: level(w)?,
        crit: level(c)?,
    };
    match (levels.warn, levels.crit) {
        (None, None) => return Err(bad("give a warning level, a critical level, or both".into())),
        (Some(w), Some(c)) if w > c => {
            return Err(bad("the warning level is above the critical level".into()));
        }
        _ => {}
    }
    Ok(Threshold {
        queue,
        levels,
        window: win,
    })
}

fn example(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "5000:10000",
        Unit::Seconds => "10m:1h",
    }
}

/// The threshold that applies to `queue`: its own, else the one for every queue.
#[must_use]
pub fn for_queue<'a>(list: &'a [Threshold], queue: &str) -> Option<&'a Threshold> {
    list.iter()
        .rev()
        .find(|t| t.queue.as_deref() == Some(queue))
        .or_else(|| list.iter().rev().find(|t| t.queue.is_none()))
}

/// Parses `--no-worker`'s value: `[QUEUE=]warning|critical`, or a bare `QUEUE` (critical).
pub fn parse_level(text: &str) -> Result<(Option<String>, Level), String> {
    let level_of = |w: &str| match w.trim().to_ascii_lowercase().as_str() {
        "warn" | "warning" => Some(Level::Warning),
        "crit" | "critical" => Some(Level::Critical),
        _ => None,
    };
    match text.rsplit_once('=') {
        Some(("", _)) => Err(format!(
            "--no-worker {text:?}: the queue name before = is empty"
        )),
        Some((q, w)) => match level_of(w) {
            Some(level) => Ok((Some(q.to_string()), level)),
            None => Err(format!(
                "--no-worker {text:?}: expected warning or critical after {q}="
            )),
        },
        None => Ok(match level_of(text) {
            Some(level) => (None, level),
            None if text.trim().is_empty() => return Err("--no-worker \"\": empty".into()),
            // A bare name is a queue, checked at the critical level.
            None => (Some(text.to_string()), Level::Critical),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(w: Option<f64>, c: Option<f64>) -> Levels {
        Levels { warn: w, crit: c }
    }

    #[test]
    fn counts_durations_queues_and_windows() {
        let t = parse("queued", "5000:10,000", Unit::Count, false).unwrap();
        assert_eq!(
            (t.queue, t.levels),
            (None, levels(Some(5000.0), Some(10000.0)))
        );
        let t = parse("queued", "emails=100:", Unit::Count, false).unwrap();
        assert_eq!(t.queue.as_deref(), Some("emails"));
        assert_eq!(t.levels, levels(Some(100.0), None));
        let t = parse("oldest", "10m:1h", Unit::Seconds, false).unwrap();
        assert_eq!(t.levels, levels(Some(600.0), Some(3600.0)));
        let t = parse("failed-recent", "a=b=:5/10m", Unit::Count, true).unwrap();
        assert_eq!(t.queue.as_deref(), Some("a=b"), "the last = splits");
        assert_eq!(t.window, Some(Duration::from_secs(600)));
    }

    #[test]
    fn bad_thresholds_say_why() {
        for (text, unit, window, why) in [
            ("5000", Unit::Count, false, "expected WARN:CRIT"),
            (":", Unit::Count, false, "give a warning level"),
            ("10:5", Unit::Count, false, "above the critical"),
            ("x:5", Unit::Count, false, "not a whole number"),
            ("-1:5", Unit::Count, false, "not a whole number"),
            ("10m:1x", Unit::Seconds, false, "not a duration"),
            ("=1:2", Unit::Count, false, "queue name"),
            ("1:2/10m", Unit::Count, false, "no /WINDOW"),
            ("1:2/soon", Unit::Count, true, "not a duration"),
            ("1:2/0s", Unit::Count, true, "longer than 0"),
        ] {
            let err = parse("queued", text, unit, window).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.starts_with("--queued"), "{err}");
        }
    }

    #[test]
    fn judging_is_strictly_above() {
        let l = levels(Some(10.0), Some(20.0));
        assert_eq!(l.judge(10.0), Level::Ok);
        assert_eq!(l.judge(11.0), Level::Warning);
        assert_eq!(l.judge(21.0), Level::Critical);
        assert_eq!(levels(None, Some(5.0)).judge(5.5), Level::Critical);
        assert_eq!(levels(Some(5.0), None).judge(500.0), Level::Warning);
    }

    #[test]
    fn a_queues_own_threshold_wins() {
        let list = vec![
            parse("queued", "emails=1:2", Unit::Count, false).unwrap(),
            parse("queued", "10:20", Unit::Count, false).unwrap(),
        ];
        assert_eq!(for_queue(&list, "emails").unwrap().levels.crit, Some(2.0));
        assert_eq!(for_queue(&list, "other").unwrap().levels.crit, Some(20.0));
        assert!(for_queue(&list[..1], "other").is_none());
    }

    #[test]
    fn no_worker_levels() {
        assert_eq!(parse_level("critical").unwrap(), (None, Level::Critical));
        assert_eq!(
            parse_level("emails=warn").unwrap(),
            (Some("emails".into()), Level::Warning)
        );
        assert_eq!(
            parse_level("emails").unwrap(),
            (Some("emails".into()), Level::Critical)
        );
        assert!(parse_level("emails=loud").is_err());
        assert!(parse_level("=warning").is_err());
    }
}
