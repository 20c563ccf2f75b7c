//! The selector language: terms separated by spaces, all of which must hold.
//!
//! ```text
//! selector := term (' '+ term)*
//! term     := ['!'] field op value | ['!'] word
//! field    := id | queue | func | worker | status | sig | origin | exc | age | ended
//!           | meta.<key>
//! op       := '=' | '!=' | '~' | '<' | '<=' | '>' | '>='
//! value    := bare | '"' (char | '\"' | '\\')* '"' | '/' regex '/'   (regex after ~)
//! ```
//! Names (`queue=emails`, `func=app.mail.*`) match globs (`*`, `?`); `~` is a substring
//! (any case) or `~/regex/`; `age` and `ended` compare durations (`age>1h`, `ended<10m`);
//! `exc=` matches the exception type, `exc~` the whole error line. A plain word is a
//! substring of the id, function, queue or error. `!term` negates a term.

use std::fmt;
use std::time::Duration;

use regex::Regex;

/// Fields a term can name, for errors and help.
pub const FIELDS: &str =
    "id, queue, func, worker, status, sig, origin, exc, age, ended, meta.<key>";
/// Longest regex accepted (compiled size is bounded by the regex crate too).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A parsed selector: every term must match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    pub terms: Vec<Term>,
}

/// One term, possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub negated: bool,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// A plain word: substring of id, function, queue or error (any case).
    Word(String),
    /// A name or text field against a value.
    Text {
        field: Field,
        op: TextOp,
        value: TextValue,
    },
    /// A time field against a duration ago.
    Age {
        field: TimeField,
        op: Cmp,
        value: Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    Queue,
    Func,
    Worker,
    Status,
    Sig,
    Origin,
    Exc,
    Meta(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    /// Since the job was created.
    Age,
    /// Since the job ended (failed).
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Ne,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A glob or substring, or a regular expression (after `~`).
#[derive(Debug, Clone)]
pub enum TextValue {
    Plain(String),
    Regex(Regex),
}

impl PartialEq for TextValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Plain(a), Self::Plain(b)) => a == b,
            (Self::Regex(a), Self::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

/// What is wrong with a selector, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// The offending term as written.
    pub term: String,
    /// Its byte offset in the selector.
    pub at: usize,
    pub reason: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad selector term '{}' (at character {}): {}. Fields: {FIELDS}; e.g. \
             queue=emails func=app.mail.* exc~Timeout age>1h sig=3fa9c1e0 !status=failed",
            self.term.escape_debug(),
            self.at + 1,
            self.reason
        )
    }
}

impl std::error::Error for SelectorError {}

impl std::str::FromStr for Selector {
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses a selector. An empty one selects everything.
pub fn parse(input: &str) -> Result<Selector, SelectorError> {
    let mut terms = Vec::new();
    let mut p = Cursor { s: input, i: 0 };
    loop {
        p.skip_spaces();
        if p.done() {
            return Ok(Selector { terms });
        }
        let start = p.i;
        let term = p.term().map_err(|reason| SelectorError {
            term: p.term_text(start),
            at: start,
            reason,
        })?;
        if !p.done() && !p.peek().is_some_and(char::is_whitespace) {
            return Err(SelectorError {
                term: p.term_text(start),
                at: start,
                reason: "unexpected text after the value (quote values with spaces or quotes)"
                    .into(),
            });
        }
        terms.push(term);
    }
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        Some(c)
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
    /// The term starting at `start`, up to the next space (for error messages).
    fn term_text(&self, start: usize) -> String {
        let rest = &self.s[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest[..end].to_string()
    }

    fn term(&mut self) -> Result<Term, String> {
        let negated = self.eat("!");
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            self.bump();
        }
        let name = &self.s[start..self.i];
        let op = ["!=", "<=", ">=", "=", "~", "<", ">"]
            .into_iter()
            .find(|op| self.s[self.i..].starts_with(op));
        let Some(op) = op else {
            // A plain word: the rest up to a space, or a quoted string.
            self.i = start;
            let word = self.value(false)?;
            if word.is_empty() {
                return Err("empty term".into());
            }
            return Ok(Term {
                negated,
                test: Test::Word(word),
            });
        };
        self.i += op.len();
        let test = match name {
            "age" | "ended" => {
                let field = if name == "age" {
                    TimeField::Age
                } else {
                    TimeField::Ended
                };
                let cmp = match op {
                    "<" => Cmp::Lt,
                    "<=" => Cmp::Le,
                    ">" => Cmp::Gt,
                    ">=" => Cmp::Ge,
                    _ => {
                        return Err(format!(
                            "{name} takes <, <=, > or >= and a duration (e.g. {name}>1h)"
                        ));
                    }
                };
                let text = self.value(false)?;
                let value = humantime::parse_duration(&text).map_err(|e| {
                    format!("'{text}' is not a duration ({e}); e.g. 90s, 10m, 1h30m, 2d")
                })?;
                Test::Age {
                    field,
                    op: cmp,
                    value,
                }
            }
            _ => {
                let field = field_named(name)?;
                let op = match op {
                    "=" => TextOp::Eq,
                    "!=" => TextOp::Ne,
                    "~" => TextOp::Contains,
                    other => {
                        return Err(format!(
                            "{name} takes =, != or ~ (not {other}); only age and ended compare"
                        ));
                    }
                };
                let value = if op == TextOp::Contains && self.eat("/") {
                    TextValue::Regex(self.regex()?)
                } else {
                    TextValue::Plain(self.value(true)?)
                };
                Test::Text { field, op, value }
            }
        };
        Ok(Term { negated, test })
    }

    /// A bare value (up to a space) or a quoted one. `allow_empty` for `field=""`.
    fn value(&mut self, allow_empty: bool) -> Result<String, String> {
        if self.eat("\"") {
            let mut out = String::new();
            loop {
                match self.bump() {
                    None => return Err("unterminated quote".into()),
                    Some('"') => return Ok(out),
                    Some('\\') => match self.bump() {
                        Some(c @ ('"' | '\\')) => out.push(c),
                        Some(c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return Err("unterminated quote".into()),
                    },
                    Some(c) => out.push(c),
                }
            }
        }
        let start = self.i;
        while self.peek().is_some_and(|c| !c.is_whitespace()) {
            if self.peek() == Some('"') {
                return Err("a quote inside a value: quote the whole value".into());
            }
            self.bump();
        }
        let v = &self.s[start..self.i];
        if v.is_empty() && !allow_empty {
            return Err("missing value".into());
        }
        if v.is_empty() {
            return Err("missing value (write \"\" for an empty one)".into());
        }
        Ok(v.to_string())
    }

    /// After `~/`: a regex up to the next unescaped `/` (`\/` is a slash).
    fn regex(&mut self) -> Result<Regex, String> {
        let mut pat = String::new();
        loop {
            match self.bump() {
                None => return Err("unterminated /regex/".into()),
                Some('/') => break,
                Some('\\') => match self.bump() {
                    Some('/') => pat.push('/'),
                    Some(c) => {
                        pat.push('\\');
                        pat.push(c);
                    }
                    None => return Err("unterminated /regex/".into()),
                },
                Some(c) => pat.push(c),
            }
        }
        regex::RegexBuilder::new(&pat)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| format!("bad regex: {}", e.to_string().replace('\n', " ")))
    }
}

fn field_named(name: &str) -> Result<Field, String> {
    Ok(match name {
        "id" => Field::Id,
        "queue" => Field::Queue,
        "func" | "function" => Field::Func,
        "worker" => Field::Worker,
        "status" => Field::Status,
        "sig" | "signature" => Field::Sig,
        "origin" => Field::Origin,
        "exc" | "error" => Field::Exc,
        "" => return Err("missing field name before the operator".into()),
        other => match other.strip_prefix("meta.") {
            Some(key) if !key.is_empty() => Field::Meta(key.to_string()),
            _ => return Err(format!("unknown field '{other}'")),
        },
    })
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        match &self.test {
            Test::Word(w) => {
                // A word that would read as a term (has an operator) is quoted.
                let looks_like_term = w.contains(['=', '~', '<', '>']);
                write_value(f, w, looks_like_term || w.starts_with('!'))
            }
            Test::Text { field, op, value } => {
                write!(f, "{field}")?;
                f.write_str(match op {
                    TextOp::Eq => "=",
                    TextOp::Ne => "!=",
                    TextOp::Contains => "~",
                })?;
                match value {
                    TextValue::Plain(v) => {
                        // `~/x` would read as a regex.
                        let force = *op == TextOp::Contains && v.starts_with('/');
                        write_value(f, v, force)
                    }
                    TextValue::Regex(re) => {
                        f.write_str("/")?;
                        let mut chars = re.as_str().chars();
                        while let Some(c) = chars.next() {
                            match c {
                                '\\' => {
                                    f.write_str("\\")?;
                                    if let Some(n) = chars.next() {
                                        write!(f, "{n}")?;
                                    }
                                }
                                '/' => f.write_str("\\/")?,
                                c => write!(f, "{c}")?,
                            }
                        }
                        f.write_str("/")
                    }
                }
            }
            Test::Age { field, op, value } => {
                f.write_str(match field {
                    TimeField::Age => "age",
                    TimeField::Ended => "ended",
                })?;
                f.write_str(match op {
                    Cmp::Lt => "<",
                    Cmp::Le => "<=",
                    Cmp::Gt => ">",
                    Cmp::Ge => ">=",
                })?;
                if value.is_zero() {
                    return f.write_str("0s");
                }
                let text = humantime::format_duration(*value).to_string();
                f.write_str(&text.replace(' ', ""))
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id => f.write_str("id"),
            Self::Queue => f.write_str("queue"),
            Self::Func => f.write_str("func"),
            Self::Worker => f.write_str("worker"),
            Self::Status => f.write_str("status"),
            Self::Sig => f.write_str("sig"),
            Self::Origin => f.write_str("origin"),
            Self::Exc => f.write_str("exc"),
            Self::Meta(k) => write!(f, "meta.{k}"),
        }
    }
}

/// A value bare when it reads back as itself, else quoted.
fn write_value(f: &mut fmt::Formatter<'_>, v: &str, force_quotes: bool) -> fmt::Result {
    let bare =
        !force_quotes && !v.is_empty() && !v.contains(|c: char| c.is_whitespace() || c == '"');
    if bare {
        return f.write_str(v);
    }
    f.write_str("\"")?;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => f.write_str("\\\"")?,
            // A backslash is written doubled only where the reader would take it as an
            // escape: before a quote or a backslash, or at the end.
            '\\' if matches!(chars.peek(), None | Some('"' | '\\')) => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_examples_parse() {
        let s = parse(
            "queue=emails func=app.mail.* exc~Timeout age>1h sig=3fa9c1 worker=batch-3 \
             status=failed ended<10m meta.tenant=42",
        )
        .unwrap();
        assert_eq!(s.terms.len(), 9);
        assert_eq!(
            s.terms[3].test,
            Test::Age {
                field: TimeField::Age,
                op: Cmp::Gt,
                value: Duration::from_secs(3600)
            }
        );
        assert_eq!(
            s.to_string(),
            "queue=emails func=app.mail.* exc~Timeout age>1h sig=3fa9c1 worker=batch-3 \
             status=failed ended<10m meta.tenant=42"
        );
        let neg = parse("!queue=a queue!=b exc~/Conn(ection)?Error/ \"two words\"").unwrap();
        assert!(neg.terms[0].negated);
        assert_eq!(
            neg.to_string(),
            "!queue=a queue!=b exc~/Conn(ection)?Error/ \"two words\""
        );
    }

    #[test]
    fn errors_point_at_the_term_and_list_the_fields() {
        let e = parse("queue=a agee>1h").unwrap_err();
        assert_eq!(e.term, "agee>1h");
        assert_eq!(e.at, 8);
        let text = e.to_string();
        assert!(text.contains("unknown field 'agee'"), "{text}");
        assert!(text.contains("queue, func"), "{text}");
        for bad in [
            "age>soon",
            "age=1h",
            "queue>3",
            "exc~/(/",
            "queue=",
            "queue=\"open",
            "=x",
            "exc~/unterminated",
            "meta.=1",
            "queue=a\"b",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn empty_selects_all() {
        assert_eq!(parse("  ").unwrap(), Selector::default());
    }
}
