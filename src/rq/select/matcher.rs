//! Whether a scanned job matches a selector.

use std::time::{Duration, SystemTime};

use super::parse::{Cmp, Field, Selector, Test, TextOp, TextValue, TimeField};
use crate::rq::failures::{ScanNeeds, ScannedJob};

impl Selector {
    /// True when every term holds for `job` (times measured from `now`).
    #[must_use]
    pub fn matches(&self, job: &ScannedJob, now: SystemTime) -> bool {
        self.terms
            .iter()
            .all(|t| t.negated != test(&t.test, job, now))
    }

    /// What a scan must read for this selector.
    #[must_use]
    pub fn needs(&self) -> ScanNeeds {
        let uses_errors = self.terms.iter().any(|t| match &t.test {
            Test::Word(_) => true,
            Test::Text { field, .. } => matches!(field, Field::Exc | Field::Sig),
            Test::Age { .. } => false,
        });
        ScanNeeds {
            skip_tracebacks: !uses_errors,
            meta: self.terms.iter().any(|t| {
                matches!(
                    &t.test,
                    Test::Text {
                        field: Field::Meta(_),
                        ..
                    }
                )
            }),
        }
    }

    /// No terms: selects everything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

fn test(t: &Test, job: &ScannedJob, now: SystemTime) -> bool {
    match t {
        Test::Word(w) => {
            let w = w.to_lowercase();
            [
                Some(job.id.as_str()),
                job.function.as_deref(),
                Some(job.queue.as_str()),
                job.error.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|s| s.to_lowercase().contains(&w))
        }
        Test::Text { field, op, value } => {
            let subject = subject(field, job, *op);
            match op {
                TextOp::Eq => subject.as_deref().is_some_and(|s| text_eq(value, s)),
                TextOp::Ne => !subject.as_deref().is_some_and(|s| text_eq(value, s)),
                TextOp::Contains => subject.as_deref().is_some_and(|s| match value {
                    TextValue::Plain(v) => s.to_lowercase().contains(&v.to_lowercase()),
                    TextValue::Regex(re) => re.is_match(s),
                }),
            }
        }
        Test::Age { field, op, value } => {
            let at = match field {
                TimeField::Age => job.created_at,
                TimeField::Ended => job.ended_at,
            };
            let Some(at) = at else {
                return false; // no time recorded: neither older nor younger
            };
            let ago = now.duration_since(at.0).unwrap_or(Duration::ZERO);
            match op {
                Cmp::Lt => ago < *value,
                Cmp::Le => ago <= *value,
                Cmp::Gt => ago > *value,
                Cmp::Ge => ago >= *value,
            }
        }
    }
}

/// The text a field names in `job`; `exc=` is the exception type, `exc~` the error line.
fn subject(field: &Field, job: &ScannedJob, op: TextOp) -> Option<String> {
    match field {
        Field::Id => Some(job.id.clone()),
        Field::Queue => Some(job.queue.clone()),
        Field::Func => job.function.clone(),
        Field::Worker => job.worker_name.clone(),
        Field::Status => job.status.as_ref().map(|s| s.as_str().to_string()),
        Field::Sig => Some(job.signature.id.clone()),
        Field::Origin => job.origin.clone(),
        Field::Exc if op == TextOp::Contains => job.error.clone(),
        Field::Exc => {
            let t = &job.signature.exc_type;
            (!t.is_empty()).then(|| t.clone())
        }
        Field::Meta(key) => {
            let v = job.meta.as_ref()?.get(key)?;
            Some(match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        }
    }
}

/// `=`: a glob for a plain value (`*`, `?`); a dotted exception type also matches by its
/// last part (`exc=ConnectionError` matches `redis.exceptions.ConnectionError`).
fn text_eq(value: &TextValue, s: &str) -> bool {
    match value {
        TextValue::Plain(p) => {
            glob(p, s)
                || s.rsplit('.')
                    .next()
                    .is_some_and(|last| last != s && glob(p, last) && !p.contains('.'))
        }
        TextValue::Regex(re) => re.is_match(s),
    }
}

/// Glob match with `*` (any run) and `?` (one character), iterative (no backtracking
/// blow-up on long names).
#[must_use]
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rq::failures::signature;
    use crate::rq::model::{JobStatus, Timestamp};

    fn job(now: SystemTime) -> ScannedJob {
        let tb = "Traceback (most recent call last):\n  File \"/srv/app/sync.py\", line 3, in sync\nredis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.7:6379.\n";
        ScannedJob {
            id: "j1".into(),
            queue: "emails".into(),
            exists: true,
            status: Some(JobStatus::Failed),
            origin: Some("emails".into()),
            function: Some("app.mail.send".into()),
            created_at: Some(Timestamp(now - Duration::from_secs(7200))),
            ended_at: Some(Timestamp(now - Duration::from_secs(120))),
            worker_name: Some("batch-3".into()),
            score: None,
            traceback: Some(tb.into()),
            signature: signature::of(Some("app.mail.send"), Some(tb)),
            error: Some(
                "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.7:6379.".into(),
            ),
            meta: Some(serde_json::json!({"tenant": 42, "region": "eu"})),
        }
    }

    #[test]
    fn terms_match_as_documented() {
        let now = SystemTime::now();
        let j = job(now);
        let sig = j.signature.id.clone();
        let yes = [
            "queue=emails func=app.mail.* exc~connecting age>1h ended<10m".to_string(),
            "exc=ConnectionError exc=redis.exceptions.ConnectionError exc=*Error".into(),
            format!("sig={sig} worker=batch-? status=failed meta.tenant=42 meta.region=eu"),
            "!queue=reports queue!=reports exc~/Error \\d+ connecting/ MAIL".into(),
            String::new(),
        ];
        for s in yes {
            assert!(super::super::parse(&s).unwrap().matches(&j, now), "{s}");
        }
        let no = [
            "queue=email",
            "exc=KeyError",
            "age<1h",
            "ended>10m",
            "meta.tenant=43",
            "meta.missing=x",
            "!exc~connecting",
            "status=finished",
            "nothing-like-this",
        ];
        for s in no {
            assert!(!super::super::parse(s).unwrap().matches(&j, now), "{s}");
        }
        let mut gone = j.clone();
        gone.ended_at = None;
        assert!(!super::super::parse("ended<1h").unwrap().matches(&gone, now));
        assert!(!super::super::parse("ended>1h").unwrap().matches(&gone, now));
    }

    #[test]
    fn globs() {
        assert!(glob("app.mail.*", "app.mail.send"));
        assert!(glob("*", ""));
        assert!(glob("b?tch-*", "batch-3"));
        assert!(!glob("app.mail.*", "app.billing.charge"));
        assert!(!glob("emails", "emails2"));
        assert!(glob(
            "*a*a*a*a*b",
            &"a".repeat(50).chars().chain(['b']).collect::<String>()
        ));
        assert!(!glob("*a*a*a*a*b", &"a".repeat(10_000)));
    }
}
