//! A failure's signature: what went wrong, with what varies between occurrences left out.
//! Its id is a fixed hash (FNV-1a, 64 bit) of the exception type, the normalised message,
//! the job's function and the innermost application frame, so it is the same in every run
//! and on every machine (unlike std's randomly keyed hasher).

use serde::Serialize;

use super::normalise;
use super::traceback::{self, Frame, Parsed, Shape};

/// What a signature was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A Python traceback.
    Traceback,
    /// Text RQ recorded instead (a killed work-horse, an abandoned job) or text that is
    /// not a traceback.
    Text,
    /// Nothing was recorded.
    None,
}

/// One cause of failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// 8 hex digits.
    pub id: String,
    pub source: Source,
    /// The exception's type (empty when there is none).
    pub exc_type: String,
    /// The message with its varying parts as placeholders.
    pub message: String,
    /// The job's function (`app.mail.send`), empty when it could not be read.
    pub function: String,
    /// The innermost frame of the application's own code, `dir/file.py:function`.
    pub frame: Option<String>,
}

impl Signature {
    /// The error as one line: `KeyError: '<str>'`.
    #[must_use]
    pub fn error(&self) -> String {
        match (self.exc_type.is_empty(), self.message.is_empty()) {
            (true, _) => self.message.clone(),
            (false, true) => self.exc_type.clone(),
            (false, false) => format!("{}: {}", self.exc_type, self.message),
        }
    }
}

/// The signature of a job of `function` whose latest failure left `traceback`.
#[must_use]
pub fn of(function: Option<&str>, traceback: Option<&str>) -> Signature {
    let parsed = traceback.map(traceback::parse);
    of_parsed(function, parsed.as_ref())
}

/// As `of`, from a traceback already parsed.
#[must_use]
pub fn of_parsed(function: Option<&str>, parsed: Option<&Parsed>) -> Signature {
    let function = function.unwrap_or_default().to_string();
    let (source, exc_type, message, frame) = match parsed {
        None => (
            Source::None,
            String::new(),
            "no traceback recorded".to_string(),
            None,
        ),
        Some(parsed) => {
            let source = match parsed.shape {
                Shape::Python => Source::Traceback,
                Shape::Text => Source::Text,
                Shape::Empty => Source::None,
            };
            let message = if parsed.shape == Shape::Empty {
                "empty traceback".to_string()
            } else {
                normalise::message(&parsed.message)
            };
            let frame = app_frame(&parsed.frames);
            (source, parsed.exc_type.clone(), message, frame)
        }
    };
    let id = id_of(&[
        &exc_type,
        &message,
        &function,
        frame.as_deref().unwrap_or_default(),
    ]);
    Signature {
        id,
        source,
        exc_type,
        message,
        function,
        frame,
    }
}

/// 8 hex digits of FNV-1a over the parts, each ended by a separator byte.
fn id_of(parts: &[&str]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{:08x}", (h >> 32) ^ (h & 0xffff_ffff))
}

/// The innermost frame that is the application's own: not the standard library,
/// site-packages or RQ. Named by its last two path parts (deploy directories differ
/// between machines) and function.
fn app_frame(frames: &[Frame]) -> Option<String> {
    let f = frames.iter().rev().find(|f| is_application(&f.file))?;
    let path = normalise::path(&f.file.replace('\\', "/"));
    let parts: Vec<&str> = path.rsplit('/').take(2).collect();
    let short: Vec<&str> = parts.into_iter().rev().collect();
    Some(format!("{}:{}", short.join("/"), f.function))
}

fn is_application(file: &str) -> bool {
    let f = file.replace('\\', "/");
    let lower = f.to_ascii_lowercase();
    !(f.starts_with('<')
        || lower.contains("/site-packages/")
        || lower.contains("/dist-packages/")
        || lower.contains("/rq/")
        || is_stdlib(&lower))
}

/// `/usr/lib/python3.11/socket.py`, `C:/Python311/Lib/socket.py`: the file sits under a
/// `lib/pythonX.Y` (or `PythonXY/Lib`) directory.
fn is_stdlib(lower: &str) -> bool {
    let parts: Vec<&str> = lower.split('/').collect();
    parts.windows(2).any(|w| {
        let py = |s: &str| s.starts_with("python") || s.starts_with("pypy");
        (w[0] == "lib" && py(w[1])) || (py(w[0]) && w[1] == "lib")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_across_runs_and_machines() {
        // Pinned (checked against an independent FNV-1a in Python): a change here renames
        // every signature users may have scripted.
        assert_eq!(
            id_of(&["ZeroDivisionError", "division by zero", "app.div", ""]).len(),
            8
        );
        assert_eq!(id_of(&["a", "b"]), id_of(&["a", "b"]),);
        assert_ne!(id_of(&["ab", ""]), id_of(&["a", "b"]));
        assert_eq!(of(Some("f"), Some("KeyError: 'x'")).id, "831a1e01");
    }

    #[test]
    fn application_frames_skip_libraries() {
        assert!(is_application("/srv/app/mail/send.py"));
        assert!(is_application("/home/me/python3-tools/app.py"));
        assert!(!is_application("/usr/lib/python3.11/socket.py"));
        assert!(!is_application(
            "/venv/lib/python3.11/site-packages/redis/client.py"
        ));
        assert!(!is_application("/usr/lib/python3/dist-packages/x.py"));
        assert!(!is_application("<frozen importlib._bootstrap>"));
        assert!(!is_application("/src/rq/rq/worker.py"));
    }

    #[test]
    fn no_traceback_is_a_signature_of_its_own() {
        let none = of(Some("f"), None);
        let empty = of(Some("f"), Some(""));
        assert_eq!(none.source, Source::None);
        assert_ne!(none.id, empty.id);
        assert_ne!(none.id, of(Some("g"), None).id);
    }
}
