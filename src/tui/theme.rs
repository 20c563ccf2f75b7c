//! Semantic styles. No colour is named outside this file; `NO_COLOR` gives a monochrome
//! theme that still marks selection and emphasis with modifiers.

use ratatui::style::{Color, Modifier, Style};

use super::app::Tone;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub header: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub border: Style,
    pub title: Style,
    pub selected: Style,
    pub marked: Style,
    pub muted: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub key: Style,
    pub popup: Style,
}

impl Theme {
    /// The colour theme, or the monochrome one when `NO_COLOR` is set (any value).
    #[must_use]
    pub fn from_env() -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Self::mono()
        } else {
            Self::color()
        }
    }

    #[must_use]
    pub fn color() -> Self {
        Self {
            header: Style::new().fg(Color::Black).bg(Color::Cyan),
            tab: Style::new().fg(Color::Gray),
            tab_active: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
            marked: Style::new().fg(Color::Magenta),
            muted: Style::new().fg(Color::DarkGray),
            good: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            bad: Style::new().fg(Color::Red),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            popup: Style::new(),
        }
    }

    #[must_use]
    pub fn mono() -> Self {
        let plain = Style::new();
        Self {
            header: plain.add_modifier(Modifier::REVERSED),
            tab: plain,
            tab_active: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            border: plain,
            title: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            marked: plain.add_modifier(Modifier::BOLD),
            muted: plain,
            good: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            bad: plain.add_modifier(Modifier::BOLD),
            key: plain.add_modifier(Modifier::BOLD),
            popup: plain,
        }
    }

    /// The header in a context's accent colour (production in red); the monochrome theme
    /// has no colours to change. An unknown name keeps the default (the config file has
    /// checked it already).
    #[must_use]
    pub fn with_accent(mut self, accent: Option<&str>) -> Self {
        let Some(color) = accent.and_then(|a| a.parse::<Color>().ok()) else {
            return self;
        };
        if self.header.bg.is_none() {
            return self;
        }
        let dark = matches!(
            color,
            Color::Black | Color::Red | Color::Blue | Color::Magenta | Color::DarkGray
        ) || matches!(color, Color::Rgb(r, g, b) if u32::from(r) * 3 + u32::from(g) * 6 + u32::from(b) < 1280);
        let fg = if dark { Color::White } else { Color::Black };
        self.header = self.header.bg(color).fg(fg);
        self
    }

    #[must_use]
    pub fn tone(&self, tone: Tone) -> Style {
        match tone {
            Tone::Info => Style::new(),
            Tone::Good => self.good,
            Tone::Warn => self.warn,
            Tone::Bad => self.bad,
        }
    }

    /// The style of a job status word.
    #[must_use]
    pub fn status(&self, status: &str) -> Style {
        match status {
            "failed" | "stopped" | "MISSING" => self.bad,
            "started" | "busy" => self.warn,
            "finished" => self.good,
            "canceled" | "deferred" | "dead" => self.muted,
            _ => Style::new(),
        }
    }
}
