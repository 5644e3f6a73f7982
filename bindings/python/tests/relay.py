"""A relay on loopback for the Python suite and the leak driver: `homevisit-relay serve --demo` in a
temporary directory, with the address and single-use invite codes it prints."""

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RELAY = Path(os.environ.get("HOMEVISIT_RELAY", ROOT / "target" / "debug" / "homevisit-relay"))

LISTENING = re.compile(r"homevisit relay listening on (\S+)")
# "  Elena Rivera   (educator   ) 0123abcd..." (one single-use invite code per demo person)
INVITE = re.compile(r"^\s+(\S.*?)\s+\((\w+)\s*\)\s+(\S+)\s*$")
START_TIMEOUT_S = 60  # liveness bound only


class Relay:
    """A relay started with `serve --demo`: its address and the invite codes it printed."""

    def __init__(self, data_dir: Path, log_path: Path, stop_after_secs: int = 300):
        self.data_dir = data_dir
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(RELAY), "--data", str(data_dir), "serve", "--demo",
             "--listen", "127.0.0.1:0", "--stop-after-secs", str(stop_after_secs)],
            stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1,
        )
        self.url = None
        self.codes = {}  # display name -> invite code
        self.roles = {}  # display name -> role
        lines: "queue.Queue[str | None]" = queue.Queue()

        def drain():  # keeps reading so the relay never blocks on a full pipe
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.url is None or len(self.codes) < 3:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError(f"the relay did not start (see {log_path})")
            if m := LISTENING.search(line):
                self.url = m.group(1)
            elif m := INVITE.match(line):
                self.codes[m.group(1)] = m.group(3)
                self.roles[m.group(1)] = m.group(2)

    def code(self, name: str) -> str:
        """The invite code for `name`; single-use, so it is handed out once."""
        return self.codes.pop(name)

    def admin(self, *args: str) -> str:
        """Runs an administrator's command (`devices`, `revoke ID`, ...) on this relay's data, as
        a district's administrator would beside the running relay; returns what it printed."""
        done = subprocess.run([str(RELAY), "--data", str(self.data_dir), *args],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"homevisit-relay {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def devices_of_educator(self, educator_id: str) -> list:
        """The ids of an educator's devices, from `homevisit-relay devices` (grouped by person)."""
        lines = self.admin("devices").splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith(f"educator {educator_id} "))
        ids = []
        for line in lines[start + 1:]:
            if not line.startswith("  "):
                break
            ids.append(line.split()[0])
        return ids

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
