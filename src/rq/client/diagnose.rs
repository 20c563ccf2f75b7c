//! When a connection fails, a short raw look at the other side turns "broken pipe" or
//! "timed out" into what it seems to be: an HTTP server, a silent one, plain Redis asked
//! for TLS. Bounded to a few seconds; it sends one inline PING and nothing else.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LOOK: Duration = Duration::from_secs(2);

/// What the peer at `host:port` answered to a plain `PING`, in words; None when nothing
/// useful could be learnt (no TCP connection at all: the error already says so).
pub(super) async fn what_answers(host: &str, port: u16, tls_expected: bool) -> Option<String> {
    let mut stream = tokio::time::timeout(LOOK, TcpStream::connect((host, port)))
        .await
        .ok()?
        .ok()?;
    stream.write_all(b"PING\r\n").await.ok()?;
    let mut buf = [0_u8; 64];
    let read = tokio::time::timeout(LOOK, stream.read(&mut buf)).await;
    let answer = match read {
        Err(_) => {
            return Some(if tls_expected {
                format!("{host}:{port} accepted the connection but neither TLS nor Redis answered")
            } else {
                format!(
                    "{host}:{port} accepted the connection but answered nothing: not a Redis server, or one that expects TLS (rediss://)"
                )
            });
        }
        Ok(Err(_) | Ok(0)) => {
            return Some(format!(
                "{host}:{port} closed the connection at once: not a Redis server?"
            ));
        }
        Ok(Ok(n)) => &buf[..n],
    };
    Some(if answer.starts_with(b"HTTP/") {
        format!("{host}:{port} is an HTTP server, not Redis")
    } else if answer.starts_with(b"+PONG") || answer.starts_with(b"-NOAUTH") {
        if !tls_expected {
            return None;
        }
        format!("{host}:{port} speaks plain Redis, not TLS: use redis:// instead of rediss://")
    } else if matches!(answer.first(), Some(0x15 | 0x16)) {
        format!("{host}:{port} speaks TLS: use rediss://")
    } else {
        format!("{host}:{port} does not speak the Redis protocol")
    })
}
