//! Passwords out of URLs and error text, in every form a URL can hold them.

/// Hides the password of a URL, whatever it holds (`/`, `@`, `:`, `?`, `#`, `%`...):
/// `redis://user:***@host:6379/0`. The user info runs to the last `@` before the query, so a
/// password with `/` or `@` in it is still found; user info without a `:` is kept only when
/// it looks like a user name.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return scrub(url, &secrets(url));
    };
    let head = &url[..scheme_end + 3];
    let rest = &url[scheme_end + 3..];
    let Some(at) = userinfo_end(rest) else {
        return redact_query(url);
    };
    let userinfo = &rest[..at];
    let shown_user = match userinfo.find(':') {
        Some(colon) => format!("{}:***", &userinfo[..colon]),
        None if looks_like_user(userinfo) => userinfo.to_string(),
        None => "***".to_string(),
    };
    redact_query(&format!("{head}{shown_user}{}", &rest[at..]))
}

/// Where the user info ends (its `@`): the last `@`, unless it sits in a query
/// (`?key=...@...`), then the last one before the query.
fn userinfo_end(rest: &str) -> Option<usize> {
    let at = rest.rfind('@')?;
    match rest.find('?') {
        Some(q) if q < at && rest[q..at].contains('=') => rest[..q].rfind('@'),
        _ => Some(at),
    }
}

/// A password holding URL delimiters must be percent-encoded: say so when that may be why.
pub(super) fn delimiter_hint(url: &str) -> &'static str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match userinfo_end(rest) {
        Some(at) if rest[..at].contains(['/', '?', '#', '@']) => {
            " (a password holding / ? # or @ must be percent-encoded in the URL, e.g. / as %2F)"
        }
        _ => "",
    }
}

fn looks_like_user(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `?password=...` is also accepted by redis URLs. A password holding `&` continues into
/// what looks like further parameters: everything up to the next known parameter is hidden.
fn redact_query(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_string();
    };
    let mut params: Vec<String> = Vec::new();
    let mut in_password = false;
    for p in url[q + 1..].split('&') {
        let key = p.split_once('=').map_or(p, |(k, _)| k);
        if key.eq_ignore_ascii_case("password") {
            in_password = true;
            params.push(format!("{key}=***"));
        } else if in_password && !is_known_param(key) {
            // still the password
        } else {
            in_password = false;
            params.push(p.to_string());
        }
    }
    format!("{}?{}", &url[..q], params.join("&"))
}

fn is_known_param(key: &str) -> bool {
    ["db", "protocol", "username", "user", "insecure"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
}

/// The values of `password=` in a query, each up to the next `&` (as a parser reads it)
/// and up to the next known parameter (as a person meant it).
fn query_passwords(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = query.split('&').collect();
    for (i, p) in parts.iter().enumerate() {
        if let Some((k, v)) = p.split_once('=')
            && k.eq_ignore_ascii_case("password")
        {
            out.push(v.to_string());
            let tail: Vec<&str> = parts[i + 1..]
                .iter()
                .take_while(|p| !is_known_param(p.split_once('=').map_or(p, |(k, _)| k)))
                .copied()
                .collect();
            if !tail.is_empty() {
                out.push(format!("{v}&{}", tail.join("&")));
            }
        }
    }
    out
}

/// Every form in which the URL's password could appear in someone's error text: as
/// written, percent-decoded, and the user info whole.
fn secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let after = userinfo_end(rest).map_or(0, |at| at + 1);
    let query_at = rest[after..].find('?').map_or(rest.len(), |q| q + after);
    if let Some(at) = userinfo_end(rest) {
        let userinfo = &rest[..at];
        let password = userinfo.split_once(':').map_or(userinfo, |(_, p)| p);
        out.push(userinfo.to_string());
        out.push(password.to_string());
    }
    out.extend(query_passwords(rest[query_at..].trim_start_matches('?')));
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    // Longest first, so that a password inside the user info is not left half-replaced.
    out.retain(|s| s.len() >= 3);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `%XX` escapes of a URL part decoded (invalid ones kept as they are; lossy UTF-8).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

/// Error text about `url` with its password removed in every form it could take.
pub(crate) fn scrub_url_secrets(text: &str, url: &str) -> String {
    scrub(&text.replace(url, &redact_url(url)), &secrets(url))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_shown() {
        assert_eq!(
            redact_url("redis://:s3cret@h:6379/0"),
            "redis://:***@h:6379/0"
        );
        assert_eq!(redact_url("rediss://app:p@ss@h/2"), "rediss://app:***@h/2");
        assert_eq!(redact_url("redis://h:6379/0"), "redis://h:6379/0");
        assert_eq!(redact_url("redis://u@h"), "redis://u@h");
        assert_eq!(
            redact_url("unix:///tmp/r.sock?db=1&password=x"),
            "unix:///tmp/r.sock?db=1&password=***"
        );
        assert_eq!(redact_url("garbage"), "garbage");
    }

    /// Passwords made of every character class, in every place a URL can hold one: the
    /// redacted form and scrubbed error text never contain them.
    #[test]
    fn passwords_of_every_character_class_never_shown() {
        let classes = [
            "plainpass",
            "pa/ss/word",
            "p@ss@word",
            "pa:ss:word",
            "pa?ss",
            "pa#ss",
            "pa%2Fss",
            "pa ss",
            "pä$$wörd",
            "p&ss=x",
            "sl/ash@and:colon?q#f",
            "////",
            "@@@@",
        ];
        for pw in classes {
            for url in [
                format!("redis://:{pw}@h:6379/0"),
                format!("redis://user:{pw}@h/1"),
                format!("rediss://u:{pw}@h:6380/0#insecure"),
                format!("redis://{pw}@h:6379"),
                format!("unix:///tmp/r.sock?db=1&password={pw}"),
            ] {
                if url.contains(&format!("//{pw}@")) && super::looks_like_user(pw) {
                    continue; // `redis://name@host` names a user, not a password
                }
                let shown = redact_url(&url);
                let decoded = super::percent_decode(pw);
                assert!(!shown.contains(pw), "{url} -> {shown}");
                let err = format!("bad URL {url}: near '{pw}' ({decoded})");
                let scrubbed = super::scrub_url_secrets(&err, &url);
                assert!(!scrubbed.contains(pw), "{err} -> {scrubbed}");
                assert!(!scrubbed.contains(&decoded), "{err} -> {scrubbed}");
            }
        }
    }
}
