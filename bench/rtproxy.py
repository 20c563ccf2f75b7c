#!/usr/bin/env python3
"""Counting TCP proxy for Redis: bytes, commands and round trips per connection.

    python rtproxy.py --listen 17001 --target 127.0.0.1:16379 --stats stats.json

Definitions (per client connection; totals are sums over connections):

* bytes_c2s / bytes_s2c: payload bytes client->server / server->client.
* commands: Redis commands sent by the client, found by parsing the client's
  byte stream as RESP (arrays of bulk strings) or inline commands (a plain
  text line). `by_command` counts them by name (CLIENT SETINFO -> "CLIENT SETINFO").
* round_trips: the number of times the client sends data after having
  received a response, plus its first send. I.e. every client->server chunk
  that follows a server->client chunk (or is the first chunk) starts a new
  round trip; further chunks sent before any reply arrives (pipelining, or a
  large command split over several TCP reads) belong to the same round trip.
  This is what a network latency is paid for.
* handshake: commands before the first command that is not HELLO, AUTH,
  CLIENT, SELECT, READONLY or ASKING; handshake_round_trips are the round
  trips made only of such commands. The *_excl_handshake figures subtract
  them.

Stats file (JSON, written atomically): on every accept and close, on SIGUSR2,
and at exit (SIGTERM/SIGINT). SIGUSR1 resets all counters (and the list of
closed connections) and rewrites the file. `active` is the number of open
client connections; a caller waits for active == 0 after its client exits.
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import time

HANDSHAKE = {"HELLO", "AUTH", "CLIENT", "SELECT", "READONLY", "ASKING"}
SUBCOMMAND = {"CLIENT", "CONFIG", "OBJECT", "SCRIPT", "XINFO", "MEMORY", "COMMAND", "CLUSTER",
              "FUNCTION", "ACL", "PUBSUB", "SLOWLOG", "LATENCY", "MODULE", "XGROUP"}


class RespParser:
    """Incremental parser of the client->server stream; yields command names."""

    def __init__(self):
        self.buf = bytearray()
        self.errors = 0

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            r = self._one()
            if r is None:
                break
            if r:
                out.append(r)
        return out

    def _line(self, pos):
        end = self.buf.find(b"\r\n", pos)
        if end < 0:
            return None, pos
        return bytes(self.buf[pos:end]), end + 2

    def _one(self):
        """Parse one command at the start of buf. None = need more data, '' = skipped."""
        if not self.buf:
            return None
        if self.buf[0:1] == b"*":
            line, pos = self._line(0)
            if line is None:
                return None
            try:
                n = int(line[1:])
            except ValueError:
                self.errors += 1
                del self.buf[:pos]
                return ""
            args = []
            for _ in range(max(n, 0)):
                if pos >= len(self.buf):
                    return None
                if self.buf[pos:pos + 1] != b"$":
                    # Not a bulk string: give up on this command (should not happen).
                    self.errors += 1
                    del self.buf[:pos]
                    return ""
                line, p2 = self._line(pos)
                if line is None:
                    return None
                ln = int(line[1:])
                if p2 + ln + 2 > len(self.buf):
                    return None
                if len(args) < 2:
                    args.append(bytes(self.buf[p2:p2 + ln]))
                pos = p2 + ln + 2
            del self.buf[:pos]
            return self._name(args)
        # Inline command: one text line (\n or \r\n terminated).
        end = self.buf.find(b"\n")
        if end < 0:
            return None
        line = bytes(self.buf[:end]).strip()
        del self.buf[:end + 1]
        if not line:
            return ""
        return self._name(line.split()[:2])

    @staticmethod
    def _name(args):
        if not args:
            return ""
        name = args[0].decode(errors="replace").upper()
        if name in SUBCOMMAND and len(args) > 1:
            name += " " + args[1].decode(errors="replace").upper()
        return name


class ConnStats:
    def __init__(self, cid, peer):
        self.cid = cid
        self.peer = peer
        self.opened = time.time()
        self.closed = None
        self.bytes_c2s = 0
        self.bytes_s2c = 0
        self.commands = 0
        self.round_trips = 0
        self.by_command = {}
        self.handshake_commands = 0
        self.handshake_round_trips = 0
        self.in_handshake = True
        self.last = None  # 'c2s' or 's2c'
        self.parser = RespParser()

    def on_c2s(self, data):
        self.bytes_c2s += len(data)
        if self.last != "c2s":
            self.round_trips += 1  # a new round trip starts
            self.last = "c2s"
        for name in self.parser.feed(data):
            self.commands += 1
            self.by_command[name] = self.by_command.get(name, 0) + 1
            if self.in_handshake:
                if name.split(" ", 1)[0] in HANDSHAKE:
                    self.handshake_commands += 1
                else:
                    # First real command: every earlier round trip was handshake-only;
                    # this one carries a real command, so it is not.
                    self.in_handshake = False
                    self.handshake_round_trips = self.round_trips - 1
        if self.in_handshake:
            self.handshake_round_trips = self.round_trips

    def on_s2c(self, data):
        self.bytes_s2c += len(data)
        self.last = "s2c"

    def as_dict(self):
        return {
            "id": self.cid,
            "peer": self.peer,
            "opened": self.opened,
            "closed": self.closed,
            "duration_s": (self.closed or time.time()) - self.opened,
            "bytes_c2s": self.bytes_c2s,
            "bytes_s2c": self.bytes_s2c,
            "commands": self.commands,
            "round_trips": self.round_trips,
            "handshake_commands": self.handshake_commands,
            "handshake_round_trips": self.handshake_round_trips,
            "commands_excl_handshake": self.commands - self.handshake_commands,
            "round_trips_excl_handshake": self.round_trips - self.handshake_round_trips,
            "parse_errors": self.parser.errors,
            "by_command": dict(sorted(self.by_command.items(), key=lambda kv: -kv[1])),
        }


class Proxy:
    def __init__(self, target_host, target_port, stats_path):
        self.target = (target_host, target_port)
        self.stats_path = stats_path
        self.next_id = 1
        self.reset()

    def reset(self):
        self.conns = []  # every connection since the last reset (open and closed)
        self.active = {}
        self.since = time.time()

    def dump(self):
        conns = [c.as_dict() for c in self.conns]
        keys = ["bytes_c2s", "bytes_s2c", "commands", "round_trips", "handshake_commands",
                "handshake_round_trips", "commands_excl_handshake", "round_trips_excl_handshake"]
        totals = {k: sum(c[k] for c in conns) for k in keys}
        by_command = {}
        for c in conns:
            for k, v in c["by_command"].items():
                by_command[k] = by_command.get(k, 0) + v
        totals["connections"] = len(conns)
        totals["by_command"] = dict(sorted(by_command.items(), key=lambda kv: -kv[1]))
        doc = {"since": self.since, "written": time.time(), "active": len(self.active),
               "totals": totals, "connections": conns}
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, self.stats_path)

    async def handle(self, creader, cwriter):
        cid = self.next_id
        self.next_id += 1
        peer = cwriter.get_extra_info("peername")
        st = ConnStats(cid, f"{peer[0]}:{peer[1]}" if peer else "?")
        self.conns.append(st)
        self.active[cid] = st
        try:
            sreader, swriter = await asyncio.open_connection(*self.target)
        except OSError as e:
            print(f"rtproxy: cannot connect to target: {e}", file=sys.stderr)
            cwriter.close()
            self.active.pop(cid, None)
            st.closed = time.time()
            self.dump()
            return
        self.dump()

        async def pump(reader, writer, on_data):
            try:
                while True:
                    data = await reader.read(1 << 16)
                    if not data:
                        break
                    on_data(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except (OSError, RuntimeError):
                    pass

        t1 = asyncio.create_task(pump(creader, swriter, st.on_c2s))
        t2 = asyncio.create_task(pump(sreader, cwriter, st.on_s2c))
        # The connection is over when the client side is done; then give the server
        # side a moment to flush, and close everything.
        await t1
        try:
            await asyncio.wait_for(t2, timeout=2)
        except asyncio.TimeoutError:
            t2.cancel()
        for w in (swriter, cwriter):
            try:
                w.close()
            except Exception:
                pass
        st.closed = time.time()
        self.active.pop(cid, None)
        self.dump()


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, required=True, help="port to listen on (127.0.0.1)")
    ap.add_argument("--target", required=True, help="host:port of the Redis server")
    ap.add_argument("--stats", required=True, help="JSON stats file")
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    proxy = Proxy(host, int(port), args.stats)

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_reset():
        proxy.reset()
        proxy.dump()

    loop.add_signal_handler(signal.SIGUSR1, on_reset)
    loop.add_signal_handler(signal.SIGUSR2, proxy.dump)
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, lambda: stop.done() or stop.set_result(None))

    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.listen)
    proxy.dump()
    print(f"rtproxy: 127.0.0.1:{args.listen} -> {args.target}, stats in {args.stats}", file=sys.stderr, flush=True)
    async with server:
        await stop
    proxy.dump()


if __name__ == "__main__":
    asyncio.run(main())
