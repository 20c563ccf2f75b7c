//! Redis Sentinel: `redis+sentinel://[user:password@]host1:26379,host2:26379/MASTER[/DB]`
//! (`rediss+sentinel://` for TLS), the form the Python ecosystem uses. The URL's credentials
//! are the master's; the sentinels' own come apart (`SentinelAuth`). The master is found with
//! plain `SENTINEL get-master-addr-by-name`, asking each sentinel in turn.

use super::client::percent_decode;
use std::time::Duration;

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};

use super::Password;
use super::error::{Error, Result, describe};

/// The sentinels' own credentials and TLS, separate from the master's.
#[derive(Debug, Clone, Default)]
pub struct SentinelAuth {
    pub username: Option<String>,
    pub password: Option<Password>,
    /// TLS to the sentinels; `None` follows the URL's scheme (`rediss+sentinel://`).
    pub tls: Option<bool>,
}

/// A parsed `redis+sentinel://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelTarget {
    pub sentinels: Vec<(String, u16)>,
    pub master: String,
    pub db: i64,
    /// TLS to the master (the `rediss+` scheme).
    pub tls: bool,
    pub username: Option<String>,
    pub password: Option<String>,
}

pub const DEFAULT_SENTINEL_PORT: u16 = 26379;

/// `Ok(None)` when the URL is not a Sentinel URL; an error names what is wrong with one.
pub fn parse(url: &str) -> std::result::Result<Option<SentinelTarget>, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(None);
    };
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "redis+sentinel" | "sentinel" => false,
        "rediss+sentinel" => true,
        _ => return Ok(None),
    };
    let shape = "a Sentinel URL looks like redis+sentinel://[:password@]host1:26379,host2:26379/MASTER_NAME[/DB]";
    let (userinfo, rest) = match rest.rfind('@') {
        Some(at) if !rest[..at].contains('/') || rest[..at].contains(':') => {
            (Some(&rest[..at]), &rest[at + 1..])
        }
        _ => (None, rest),
    };
    let (hosts, path) = rest
        .split_once('/')
        .ok_or_else(|| format!("no master name: {shape}"))?;
    let mut parts = path.trim_end_matches('/').splitn(2, '/');
    let master = parts.next().unwrap_or("");
    if master.is_empty() {
        return Err(format!("no master name: {shape}"));
    }
    let db = match parts.next() {
        None | Some("") => 0,
        Some(d) => d
            .parse::<i64>()
            .map_err(|_| format!("database {d:?} is not a number: {shape}"))?,
    };
    let mut sentinels = Vec::new();
    for h in hosts.split(',').filter(|h| !h.is_empty()) {
        sentinels.push(host_port(h).ok_or_else(|| format!("bad sentinel address {h:?}: {shape}"))?);
    }
    if sentinels.is_empty() {
        return Err(format!("no sentinel host: {shape}"));
    }
    let (username, password) = match userinfo {
        None => (None, None),
        Some(ui) => match ui.split_once(':') {
            Some((u, p)) => (
                (!u.is_empty()).then(|| percent_decode(u)),
                (!p.is_empty()).then(|| percent_decode(p)),
            ),
            None => (Some(percent_decode(ui)), None),
        },
    };
    Ok(Some(SentinelTarget {
        sentinels,
        master: percent_decode(master),
        db,
        tls,
        username,
        password,
    }))
}

/// `host`, `host:port` or `[v6]:port`.
fn host_port(s: &str) -> Option<(String, u16)> {
    if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => DEFAULT_SENTINEL_PORT,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => None,
        None => Some((s.to_string(), DEFAULT_SENTINEL_PORT)),
    }
}

fn addr(host: &str, port: u16, tls: bool) -> ConnectionAddr {
    if tls {
        ConnectionAddr::TcpTls {
            host: host.to_string(),
            port,
            insecure: false,
            tls_params: None,
        }
    } else {
        ConnectionAddr::Tcp(host.to_string(), port)
    }
}

fn info_for(
    addr: ConnectionAddr,
    db: i64,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<ConnectionInfo> {
    let mut settings = RedisConnectionInfo::default()
        .set_db(db)
        .set_skip_set_lib_name();
    if let Some(u) = user {
        settings = settings.set_username(u);
    }
    if let Some(p) = password {
        settings = settings.set_password(p);
    }
    let info = addr.into_connection_info().map_err(|e| Error::InvalidUrl {
        url: "redis+sentinel://…".into(),
        reason: describe(&e),
    })?;
    Ok(info.set_redis_settings(settings))
}

impl SentinelTarget {
    /// How to reach the master at `host:port` with the master's credentials, where the
    /// options' own (from a password source) win over the URL's.
    pub fn master_info(
        &self,
        host: &str,
        port: u16,
        username: Option<&str>,
        password: Option<&Password>,
    ) -> Result<ConnectionInfo> {
        info_for(
            addr(host, port, self.tls),
            self.db,
            username.or(self.username.as_deref()),
            password.map(Password::expose).or(self.password.as_deref()),
        )
    }

    /// The master's address as the sentinels know it: the first sentinel that answers
    /// wins; each one that does not says why.
    pub async fn find_master(
        &self,
        auth: &SentinelAuth,
        timeout: Duration,
    ) -> std::result::Result<(String, u16), String> {
        let mut why = Vec::new();
        for (host, port) in &self.sentinels {
            match self.ask(host, *port, auth, timeout).await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => why.push(format!(
                    "{host}:{port} knows no master named {:?}",
                    self.master
                )),
                Err(e) => why.push(format!("{host}:{port}: {e}")),
            }
        }
        Err(format!(
            "no sentinel gave the address of master {:?} ({})",
            self.master,
            why.join("; ")
        ))
    }

    async fn ask(
        &self,
        host: &str,
        port: u16,
        auth: &SentinelAuth,
        timeout: Duration,
    ) -> std::result::Result<Option<(String, u16)>, String> {
        let tls = auth.tls.unwrap_or(self.tls);
        let info = info_for(
            addr(host, port, tls),
            0,
            auth.username.as_deref(),
            auth.password.as_ref().map(Password::expose),
        )
        .map_err(|e| e.to_string())?;
        let client = redis::Client::open(info).map_err(|e| describe(&e))?;
        let ask = async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(&self.master)
                .query_async::<Option<(String, u16)>>(&mut conn)
                .await
        };
        match tokio::time::timeout(timeout, ask).await {
            Err(_) => Err(format!(
                "timed out after {}",
                humantime::format_duration(timeout)
            )),
            Ok(r) => r.map_err(|e| describe(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_python_form() {
        let t = parse("redis+sentinel://:pw@h1:26379,h2:26380/mymaster/2")
            .unwrap()
            .unwrap();
        assert_eq!(
            t.sentinels,
            [("h1".to_string(), 26379), ("h2".to_string(), 26380)]
        );
        assert_eq!((t.master.as_str(), t.db, t.tls), ("mymaster", 2, false));
        assert_eq!((t.username, t.password.as_deref()), (None, Some("pw")));
        let t = parse("rediss+sentinel://u:p%40ss@h1,[::1]:5/m")
            .unwrap()
            .unwrap();
        assert_eq!(t.sentinels[0], ("h1".to_string(), DEFAULT_SENTINEL_PORT));
        assert_eq!(t.sentinels[1], ("::1".to_string(), 5));
        assert_eq!((t.db, t.tls), (0, true));
        assert_eq!(t.password.as_deref(), Some("p@ss"));
        assert_eq!(parse("redis://h/0"), Ok(None));
        assert_eq!(parse("garbage"), Ok(None));
        for bad in [
            "redis+sentinel://h1:26379",
            "redis+sentinel://h1:26379/",
            "redis+sentinel:///m",
            "redis+sentinel://h1:x/m",
            "redis+sentinel://h1/m/zero",
            "redis+sentinel://h1:99999/m",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("redis+sentinel://"), "{bad}: {e}");
        }
    }
}
