//! `rqctl completions SHELL`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::cli::output::Output;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs, out: &mut Output) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "rqctl", &mut buf);
    let script = String::from_utf8_lossy(&buf);
    if out.json {
        out.json(
            &serde_json::json!({"ok": true, "shell": args.shell.to_string(), "script": script}),
        )
    } else {
        out.text(&script);
        Ok(())
    }
}
