//! The terminal's lifecycle: raw mode and the alternate screen while rqtop runs, restored
//! on every way out (return, error, panic via ratatui's hook, signals handled by the loop).

use std::io::IsTerminal;

use ratatui::DefaultTerminal;

/// Owns the terminal; restores it when dropped.
pub struct TerminalGuard {
    terminal: Option<DefaultTerminal>,
}

impl TerminalGuard {
    /// Refuses to start without a terminal (pipes, CI) instead of failing halfway.
    pub fn enter() -> anyhow::Result<Self> {
        if !std::io::stdout().is_terminal() {
            anyhow::bail!("rqtop needs a terminal; for scripts use rqctl (e.g. rqctl info --json)");
        }
        // try_init installs a panic hook that restores the terminal before the report.
        let terminal = ratatui::try_init()?;
        Ok(Self {
            terminal: Some(terminal),
        })
    }

    /// Draws one frame.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        match &mut self.terminal {
            Some(t) => t.draw(render).map(|_| ()),
            None => Ok(()),
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // When the terminal is gone (a closed SSH session), ratatui's own clean-up reports
        // the failure with eprintln!, which panics on the dead stderr and aborts before
        // anything else is cleaned up (the demo's redis-server). So: restore quietly, and if
        // the cursor cannot be shown any more, do not let Terminal's Drop try again.
        // Blank the alternate screen and home the cursor before leaving it: after a resize,
        // tmux otherwise carries the last frame's lines into the normal screen's history
        // (stray border lines above the prompt).
        // (Not Terminal::clear: it first asks the terminal for the cursor position, and the
        // answer never comes while the event reader owns stdin.)
        if let Some(t) = &mut self.terminal {
            use crossterm::{cursor::MoveTo, execute, terminal::Clear, terminal::ClearType};
            let _ = execute!(t.backend_mut(), Clear(ClearType::All), MoveTo(0, 0));
        }
        let _ = ratatui::try_restore();
        if let Some(mut t) = self.terminal.take()
            && t.show_cursor().is_err()
        {
            std::mem::forget(t);
        }
    }
}
