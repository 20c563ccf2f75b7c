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

pub fn run(args: &CompletionsArgs, out: &mut Output) {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "rqctl", &mut buf);
    out.text(&String::from_utf8_lossy(&buf));
}
