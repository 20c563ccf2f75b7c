//! The terminal's lifecycle: raw mode and the alternate screen while rqtop runs, restored
//! on every way out (return, error, panic via ratatui's hook, signals handled by the loop).

use std::io::IsTerminal;

use ratatui::DefaultTerminal;

/// Owns the terminal; restores it when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    /// Refuses to start without a terminal (pipes, CI) instead of failing halfway.
    pub fn enter() -> anyhow::Result<Self> {
        if !std::io::stdout().is_terminal() {
            anyhow::bail!("rqtop needs a terminal; for scripts use rqctl (e.g. rqctl info --json)");
        }
        // try_init installs a panic hook that restores the terminal before the report.
        let terminal = ratatui::try_init()?;
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
