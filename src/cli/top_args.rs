//! rqtop's command line. The binary turns it into `tui::Options`.

use std::time::Duration;

use clap::Parser;

use super::ConnectArgs;

#[derive(Debug, Parser)]
#[command(
    name = "rqtop",
    version,
    about = "Live terminal console for Python RQ: queues, workers, jobs and schedules",
    after_help = "Keys: ? shows every key. Data comes from Redis keyspace events when the server \
                  publishes them, else from polling every --interval."
)]
pub struct TopArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Poll period when keyspace notifications are off (e.g. 2s, 500ms) [default: the
    /// context's interval, else 2s].
    #[arg(long, value_parser = parse_interval)]
    pub interval: Option<Duration>,
    /// Disable every action that changes data (also RQTOP_READ_ONLY=1).
    #[arg(long, env = "RQTOP_READ_ONLY", value_parser = clap::builder::BoolishValueParser::new())]
    pub read_only: bool,
    /// Add the flags rqtop needs to the server's notify-keyspace-events (keeps existing ones).
    #[arg(long)]
    pub enable_events: bool,
    /// Start a private redis-server with a moving RQ workload and watch it (removed on exit).
    #[arg(long, conflicts_with = "url")]
    pub demo: bool,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d < Duration::from_millis(100) {
        return Err("the interval must be at least 100ms".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn parses() {
        TopArgs::command().debug_assert();
        let a = TopArgs::try_parse_from(["rqtop", "--interval", "5s", "--read-only"]).unwrap();
        assert_eq!(a.interval, Some(Duration::from_secs(5)));
        assert!(a.read_only);
        assert!(TopArgs::try_parse_from(["rqtop", "--interval", "1ms"]).is_err());
        assert!(TopArgs::try_parse_from(["rqtop", "--demo", "--url", "redis://x"]).is_err());
    }
}
