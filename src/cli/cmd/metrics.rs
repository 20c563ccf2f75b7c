//! `rqctl metrics`: the Prometheus text exposition once, or served on `--listen ADDR`.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use clap::Args;

use crate::cli::metrics::exposition::{ReadStats, render};
use crate::cli::metrics::server::{Scraper, parse_listen, serve};
use crate::cli::output::Output;
use crate::cli::report::UsageError;
use crate::rq::{ConnectOptions, RqClient};

/// rq-exporter's port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9726";

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Serve /metrics and /healthz on ADDR instead of printing once: PORT (loopback),
    /// :PORT (every interface), HOST:PORT. Without a value: 127.0.0.1:9726.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_LISTEN)]
    pub listen: Option<String>,
}

/// Runs before any connection is made: a listening exporter must start (and report rq_up 0)
/// while Redis is down.
pub async fn run(
    args: &MetricsArgs,
    opts: ConnectOptions,
    out: &mut Output,
) -> anyhow::Result<ExitCode> {
    if out.json {
        return Err(UsageError(
            "metrics prints the Prometheus text format; --json does not apply".to_string(),
        )
        .into());
    }
    let Some(listen) = &args.listen else {
        return once(opts, out).await;
    };
    let addr = parse_listen(listen).await.map_err(UsageError)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AddrInUse {
            "the address is already in use (another rqctl metrics or rq-exporter?)".to_string()
        } else {
            e.to_string()
        };
        anyhow::anyhow!("cannot listen on {addr}: {why}")
    })?;
    // A wrong URL or password will not mend itself: refuse to start. A server that is down
    // may come up: serve rq_up 0 until it does.
    let client = match RqClient::connect(&opts).await {
        Ok(c) => Some(c),
        Err(e @ crate::rq::Error::Connect { .. }) => {
            out.note(&format!(
                "rqctl metrics: {e}; serving rq_up 0 until it answers"
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let shown = listener.local_addr().unwrap_or(addr);
    out.note(&format!(
        "rqctl metrics: serving http://{shown}/metrics for {}",
        crate::rq::redact_url(&opts.url)
    ));
    serve(listener, Scraper::new(opts, client)).await?;
    Ok(ExitCode::SUCCESS)
}

/// One read, printed. Redis unreachable: `rq_up 0` is still printed (a textfile collector
/// keeps a valid file), the error goes to stderr and the exit code is 1.
async fn once(opts: ConnectOptions, out: &mut Output) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let read = match RqClient::connect(&opts).await {
        Ok(mut c) => c.overview_with(crate::rq::Detail::Counts).await,
        Err(e) => Err(e),
    };
    let stats = ReadStats {
        count: 1,
        seconds: started.elapsed().as_secs_f64(),
    };
    let text = render(read.as_ref().ok(), stats, SystemTime::now());
    if std::io::stdout().is_terminal() {
        // A person reads it: names from Redis must not drive the terminal.
        out.text(&text);
    } else {
        out.exact(&text);
    }
    match read {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            out.error(&e.into());
            Ok(ExitCode::from(1))
        }
    }
}
