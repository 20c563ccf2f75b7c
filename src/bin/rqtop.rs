//! rqtop: the live console. Parse, connect (before touching the terminal, so a bad URL is a
//! plain error), then hand over to the library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rqtop::cli::top_args::TopArgs;
use rqtop::rq::{ConnectOptions, RqClient};
use rqtop::{demo, tui};

#[tokio::main]
async fn main() -> ExitCode {
    let args = TopArgs::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = e
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            // The terminal is restored by now; it may also be gone (SSH closed): ignore that.
            let _ = writeln!(
                std::io::stderr(),
                "rqtop: error: {}",
                rqtop::present::safe(&msg)
            );
            // A URL that does not parse is a usage error, as in rqctl.
            let usage = matches!(
                e.downcast_ref::<rqtop::rq::Error>(),
                Some(rqtop::rq::Error::InvalidUrl { .. })
            ) || e.downcast_ref::<rqtop::cli::report::UsageError>().is_some()
                || matches!(
                    e.downcast_ref::<rqtop::config::ConfigError>(),
                    Some(c) if !matches!(c, rqtop::config::ConfigError::Password { .. })
                );
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

async fn run(args: TopArgs) -> anyhow::Result<()> {
    if args.connect.is_fleet() {
        if args.connect.url.is_some() {
            anyhow::bail!(rqtop::cli::report::UsageError(
                "--url names one target: leave it out with several contexts".into()
            ));
        }
        let targets = args.connect.resolve_fleet(args.interval, args.read_only)?;
        for t in &targets {
            for w in &t.warnings {
                let _ = writeln!(std::io::stderr(), "rqtop: {}", rqtop::present::safe(w));
            }
        }
        let every = targets
            .iter()
            .map(|t| t.interval)
            .min()
            .unwrap_or(rqtop::config::resolve::DEFAULT_INTERVAL);
        let targets = targets
            .into_iter()
            .map(|t| tui::fleet::run::FleetTarget {
                name: t.context.unwrap_or_default(),
                read_only: t.read_only,
                connect: t.connect,
            })
            .collect();
        return tui::fleet::run::run(targets, every).await;
    }
    if !args.demo {
        let resolved = args.connect.resolve(args.interval, args.read_only)?;
        // On the normal screen, before the TUI covers it.
        for w in &resolved.warnings {
            let _ = writeln!(std::io::stderr(), "rqtop: {}", rqtop::present::safe(w));
        }
        let opts = tui::Options {
            interval: resolved.interval,
            read_only: resolved.read_only,
            enable_events: args.enable_events,
            context: resolved.context.clone(),
            accent: resolved.accent.clone(),
            queues: resolved.queues.clone(),
            contexts: resolved.contexts.clone(),
            switcher: Some(switcher(&args)),
        };
        let client = RqClient::connect(&resolved.connect).await?;
        return tui::run(client, opts).await;
    }
    let opts = tui::Options {
        interval: args
            .interval
            .unwrap_or(rqtop::config::resolve::DEFAULT_INTERVAL),
        read_only: args.read_only,
        enable_events: args.enable_events,
        context: None,
        accent: None,
        queues: Vec::new(),
        contexts: Vec::new(),
        switcher: None,
    };
    // A private redis-server with a moving workload; both end with rqtop.
    let server = demo::DemoServer::start()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let url = server.url();
    let workload = tokio::spawn(async move { demo::run_workload(&url, stopped).await });
    // On the normal screen, before the TUI covers it (the header shows the URL meanwhile).
    let _ = writeln!(
        std::io::stderr(),
        "rqtop --demo: a private Redis at {url} (removed on exit); in another terminal try\n  rqctl -u {url} info",
        url = server.url()
    );
    let client = RqClient::connect(&ConnectOptions::new(server.url())).await?;
    let result = tui::run(client, opts).await;
    let _ = stop.send(true);
    let _ = workload.await;
    drop(server);
    result
}

/// How rqtop's `:ctx NAME` connects: the config file read again, the context resolved as at
/// start (flags that set read-only or the interval still apply), then connected. Reading a
/// password (a file, a command) blocks, so it runs off the async workers.
fn switcher(args: &TopArgs) -> tui::switch::Switcher {
    let connect = args.connect.clone();
    let (interval, read_only) = (args.interval, args.read_only);
    tui::switch::Switcher(std::sync::Arc::new(move |name: String| {
        let connect = connect.clone();
        Box::pin(async move {
            let lookup = name.clone();
            let resolved = tokio::task::spawn_blocking(move || {
                connect.resolve_switch(&lookup, interval, read_only)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e:#}"))?;
            let client = RqClient::connect(&resolved.connect)
                .await
                .map_err(|e| e.to_string())?;
            Ok(tui::switch::Switched {
                client,
                context: name,
                read_only: resolved.read_only,
                accent: resolved.accent,
                queues: resolved.queues,
                interval: resolved.interval,
                warnings: resolved.warnings,
            })
        })
    }))
}
