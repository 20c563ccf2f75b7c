"""Helper of tui_measure.py: run rqtop under a pty and keep a virtual 80x24 screen.

The screen emulator understands what ratatui's crossterm backend writes: cursor moves
(CSI row;col H), clears (CSI J / K), SGR (ignored) and text. A reader thread feeds every
chunk into it, stamps it with time.perf_counter(), and checks the registered waits
against the screen after each chunk, so a wait reports the time of the chunk that made
its condition true.
"""

import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time

KEYS = {"pgdn": b"\x1b[6~", "right": b"\x1b[C", "left": b"\x1b[D"}


class Screen:
    def __init__(self, rows=24, cols=80):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.pending = ""  # an unfinished escape sequence

    def text(self):
        return "\n".join("".join(row) for row in self.cells)

    def feed(self, s):
        s = self.pending + s
        self.pending = ""
        i, n = 0, len(s)
        while i < n:
            ch = s[i]
            if ch == "\x1b":
                if i + 1 >= n:
                    self.pending = s[i:]
                    return
                if s[i + 1] == "[":
                    j = i + 2
                    while j < n and not ("@" <= s[j] <= "~"):
                        j += 1
                    if j >= n:
                        self.pending = s[i:]
                        return
                    self.csi(s[i + 2:j], s[j])
                    i = j + 1
                else:  # ESC 7, ESC (B, ...: skip the next char (and one more for ESC ( / ESC ))
                    i += 3 if s[i + 1] in "()" else 2
                continue
            if ch == "\r":
                self.c = 0
            elif ch == "\n":
                self.r = min(self.r + 1, self.rows - 1)
            elif ch >= " ":
                if self.c < self.cols:
                    self.cells[self.r][self.c] = ch
                self.c += 1
            i += 1

    def csi(self, params, final):
        if params.startswith("?"):
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final in "Hf":
            r = nums[0] if nums else 1
            c = nums[1] if len(nums) > 1 else 1
            self.r, self.c = max(r, 1) - 1, max(c, 1) - 1
        elif final == "J":
            mode = nums[0] if nums else 0
            if mode in (2, 3):
                self.cells = [[" "] * self.cols for _ in range(self.rows)]
            elif mode == 0:
                self.cells[self.r][self.c:] = [" "] * (self.cols - self.c)
                for r in range(self.r + 1, self.rows):
                    self.cells[r] = [" "] * self.cols
        elif final == "K":
            self.cells[self.r][self.c:] = [" "] * (self.cols - min(self.c, self.cols))
        elif final == "G":
            self.c = (nums[0] if nums else 1) - 1
        # m (SGR) and anything else: no effect on the text


class Tui:
    """rqtop under a pty. `t0` is the perf_counter just before the spawn."""

    def __init__(self, argv, pidfile=None, rows=24, cols=80):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        env.pop("NO_COLOR", None)
        self.master = master
        self.screen = Screen(rows, cols)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.waits = []  # [pred, event, result-holder]
        self.first_output = None
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        if pidfile:
            with open(pidfile, "a") as f:
                f.write(f"{self.proc.pid}\n")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        import codecs
        dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            t = time.perf_counter()
            with self.lock:
                if not data:
                    for w in self.waits:
                        w[1].set()
                    return
                if self.first_output is None:
                    self.first_output = t
                self.raw += data
                self.screen.feed(dec.decode(data))
                if self.waits:
                    text = self.screen.text()
                    for w in list(self.waits):
                        if w[0](text):
                            w[2].append(t)
                            w[1].set()
                            self.waits.remove(w)

    def expect(self, pred):
        """Registers a condition now (before sending a key); returns a handle for wait()."""
        if isinstance(pred, str):
            s = pred
            pred = lambda text: s in text  # noqa: E731
        w = [pred, threading.Event(), []]
        with self.lock:
            if pred(self.screen.text()):
                w[2].append(time.perf_counter())
                w[1].set()
            else:
                self.waits.append(w)
        return w

    def wait(self, w, timeout=10.0):
        """perf_counter time at which the condition became true, or None on timeout/exit."""
        w[1].wait(timeout)
        with self.lock:
            if w in self.waits:
                self.waits.remove(w)
        return w[2][0] if w[2] else None

    def wait_for(self, pred, timeout=10.0):
        return self.wait(self.expect(pred), timeout)

    def text(self):
        with self.lock:
            return self.screen.text()

    def send(self, key):
        os.write(self.master, KEYS.get(key, key.encode() if isinstance(key, str) else key))
        return time.perf_counter()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("q")
                self.proc.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(sig)
                    self.proc.wait(3)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        self.reader.join(2)
        try:
            os.close(self.master)
        except OSError:
            pass
        return self.proc.returncode


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)
