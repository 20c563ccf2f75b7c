//! `rqctl contexts`: the config file's contexts. Never reads a password, never shows one.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::ConnectArgs;
use crate::cli::output::Output;
use crate::config::{self, resolve};
use crate::present::TextTable;

#[derive(Serialize)]
struct Row {
    name: String,
    /// The URL with any password as `***`, or the sentinels and master name.
    target: String,
    /// `file`, `env`, `command` or `url`; null when there is none.
    password_source: Option<&'static str>,
    read_only: bool,
    default: bool,
    accent: Option<String>,
    queues: Vec<String>,
}

#[derive(Serialize)]
struct Document {
    config: Option<String>,
    default: Option<String>,
    contexts: Vec<Row>,
}

pub fn run(args: &ConnectArgs, out: &mut Output) -> anyhow::Result<ExitCode> {
    let (path, file) = config::load(args.config.as_deref(), &config::process_env)?;
    let default = file.default_name().map(str::to_string);
    let rows: Vec<Row> = file
        .contexts
        .iter()
        .map(|(name, ctx)| Row {
            name: name.clone(),
            target: resolve::shown_target(ctx),
            password_source: resolve::password_kind(ctx),
            read_only: ctx.read_only,
            default: default.as_deref() == Some(name.as_str()),
            accent: ctx.accent.as_ref().map(|a| a.0.clone()),
            queues: ctx.queues.clone(),
        })
        .collect();
    let shown_path = path.as_ref().map(|p| p.display().to_string());
    if out.json {
        out.json(&Document {
            config: shown_path,
            default,
            contexts: rows,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        let at = shown_path.unwrap_or_else(|| "no config file".to_string());
        out.line(&format!("no contexts ({at})"));
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = TextTable::new(&["", "CONTEXT", "TARGET", "PASSWORD", "READ-ONLY"]);
    for r in &rows {
        t.row(vec![
            if r.default { "*" } else { "" }.to_string(),
            r.name.clone(),
            r.target.clone(),
            r.password_source.unwrap_or("-").to_string(),
            if r.read_only { "yes" } else { "no" }.to_string(),
        ]);
    }
    out.text(&t.render());
    if let Some(p) = shown_path {
        out.line(&format!("(from {p}; * marks the default)"));
    }
    Ok(ExitCode::SUCCESS)
}
