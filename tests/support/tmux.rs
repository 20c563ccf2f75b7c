//! A private tmux server (its own socket) running one session `t`, killed on drop: the way
//! end-to-end tests drive the real rqtop binary at a given size.

use std::process::Command;
use std::time::Duration;

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts session `t` of `width`x`height` running `cmd` on the socket `socket`.
    pub fn start(socket: &str, width: u16, height: u16, cmd: &str) -> Self {
        let t = Self {
            socket: socket.to_string(),
        };
        let (w, h) = (width.to_string(), height.to_string());
        t.run(&["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, cmd]);
        t
    }

    /// Runs one tmux command on this server; its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    /// The screen once `ok` holds for it (15 s at most; then a panic showing the screen).
    pub fn wait_screen(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        super::wait_for(Duration::from_secs(15), || {
            let s = self.screen();
            ok(&s).then_some(s)
        })
        .unwrap_or_else(|| panic!("waiting for {what}; screen:\n{}", self.screen()))
    }

    pub fn kill(&self) {
        self.run(&["kill-server"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
