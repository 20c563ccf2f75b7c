//! `rqctl metrics --listen`: /metrics and /healthz over axum. Each scrape is one overview
//! read (three round trips); scrapes that arrive while a read runs, or within `SHARE` of
//! its end, get that read's text instead of starting their own. The process holds one
//! connection (reconnecting on its own) and the last text: its memory stays flat.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::exposition::{ReadStats, render};
use crate::cli::output::Output;
use crate::rq::{ConnectOptions, Detail, ReadAhead, RqClient};

/// How long a read's text answers later scrapes: scrapes from several Prometheus servers
/// (or a dashboard) that come together cost one read.
const SHARE: Duration = Duration::from_millis(500);

/// The content type Prometheus expects for the text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub struct Scraper {
    opts: ConnectOptions,
    state: tokio::sync::Mutex<ScrapeState>,
}

#[derive(Default)]
struct ScrapeState {
    client: Option<RqClient>,
    /// When the last read ended, and its text.
    last: Option<(Instant, Bytes)>,
    stats: ReadStats,
    /// Whether the last read succeeded (None before the first): a change is logged once.
    up: Option<bool>,
    /// The names the last read found: the next read sends their counts with its first
    /// round trip (two round trips a scrape while queues and workers stay the same).
    ahead: ReadAhead,
}

impl Scraper {
    #[must_use]
    pub fn new(opts: ConnectOptions, client: Option<RqClient>) -> Self {
        Self {
            opts,
            state: tokio::sync::Mutex::new(ScrapeState {
                client,
                ..ScrapeState::default()
            }),
        }
    }

    /// The exposition text for a scrape that arrives now.
    pub async fn scrape(&self) -> Bytes {
        let arrived = Instant::now();
        let mut st = self.state.lock().await;
        if let Some((ended, text)) = &st.last
            && *ended + SHARE >= arrived
        {
            return text.clone();
        }
        let started = Instant::now();
        let ScrapeState { client, ahead, .. } = &mut *st;
        let read = read(client, ahead, &self.opts).await;
        st.stats.count += 1;
        st.stats.seconds += started.elapsed().as_secs_f64();
        // Bytes: every scrape that shares this read sends it without a copy.
        let text = Bytes::from(match &read {
            Ok(ov) => render(Some(ov), st.stats, SystemTime::now()),
            Err(_) => render(None, st.stats, SystemTime::now()),
        });
        let up = read.is_ok();
        if st.up != Some(up) {
            log_change(st.up, read.as_ref().err());
            st.up = Some(up);
        }
        st.last = Some((Instant::now(), text.clone()));
        text
    }
}

/// One overview read; connects first when there is no connection. After a failure the
/// connection is dropped, so that the next scrape starts from a fresh connect.
async fn read(
    client: &mut Option<RqClient>,
    ahead: &mut ReadAhead,
    opts: &ConnectOptions,
) -> Result<crate::rq::Overview, crate::rq::Error> {
    let mut c = match client.take() {
        Some(c) => c,
        None => RqClient::connect(opts).await?,
    };
    let result = c.overview_ahead(Detail::Counts, ahead).await;
    if result.is_ok() {
        *client = Some(c);
    }
    result
}

/// One line on stderr when Redis stops or starts answering (never one per scrape).
fn log_change(before: Option<bool>, err: Option<&crate::rq::Error>) {
    let mut out = Output::new(false);
    match (before, err) {
        (_, Some(e)) => out.note(&format!(
            "rqctl metrics: Redis cannot be read, rq_up is 0: {e}"
        )),
        (Some(false), None) => out.note("rqctl metrics: Redis answers again, rq_up is 1"),
        (_, None) => {}
    }
}

async fn metrics(State(scraper): State<Arc<Scraper>>) -> impl IntoResponse {
    let text = scraper.scrape().await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "rqctl metrics: see /metrics (Prometheus) and /healthz\n",
    )
}

/// Serves until SIGINT or SIGTERM. `listener` is bound by the caller, so that an address in
/// use is reported before anything else happens.
pub async fn serve(listener: tokio::net::TcpListener, scraper: Scraper) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/", get(index))
        .with_state(Arc::new(scraper));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Parses `--listen`: `PORT` (loopback), `:PORT` (every interface), `HOST:PORT` or
/// `[V6]:PORT`; host names are resolved.
pub async fn parse_listen(addr: &str) -> Result<SocketAddr, String> {
    let addr = addr.trim();
    let bad = |why: &str| {
        format!(
            "--listen {addr:?}: {why} (use PORT, :PORT for every interface, HOST:PORT or [V6]:PORT)"
        )
    };
    if let Ok(port) = addr.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Some(port) = addr.strip_prefix(':') {
        let port = port.parse::<u16>().map_err(|_| bad("not a port"))?;
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    if let Ok(sa) = addr.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Err(bad("no port"));
    };
    if port.parse::<u16>().is_err() {
        return Err(bad("not a port"));
    }
    if host.is_empty() || host.contains(['/', ' ', '[', ']']) {
        return Err(bad("not a host"));
    }
    match tokio::net::lookup_host(addr).await {
        Ok(mut addrs) => addrs.next().ok_or_else(|| bad("the host has no address")),
        Err(e) => Err(bad(&format!("the host cannot be resolved: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listen_addresses() {
        let p = |s: &'static str| async move { parse_listen(s).await };
        assert_eq!(p("9726").await.unwrap().to_string(), "127.0.0.1:9726");
        assert_eq!(p(":9726").await.unwrap().to_string(), "0.0.0.0:9726");
        assert_eq!(p("10.1.2.3:80").await.unwrap().to_string(), "10.1.2.3:80");
        assert_eq!(p("[::1]:9726").await.unwrap().to_string(), "[::1]:9726");
        assert!(p("localhost:9726").await.unwrap().ip().is_loopback());
        for bad in [
            "",
            "x",
            ":x",
            "9726x",
            "1.2.3.4",
            "host:99999",
            "a b:1",
            ":",
        ] {
            assert!(p(bad).await.is_err(), "{bad}");
        }
    }
}
