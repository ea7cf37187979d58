"""A non-loopback peer without leaving the machine: a private network namespace.

`probe(args, env)` runs `sso-sync ARGS` inside a fresh network namespace (`unshare -n`; `sudo -n
unshare` when not root) in which 192.0.2.10 (a documentation address) sits on `lo`, next to a TCP
listener on that address that records every byte it is sent. `{peer}` in the arguments and in
the environment's values becomes `192.0.2.10:PORT`. Nothing can leave the namespace: it has no
other interface. Where no namespace can be made, the test fails: it never skips.

Run as a module, this file is the part that runs inside the namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

ADDRESS = "192.0.2.10"
ROOT = Path(__file__).resolve().parents[2]


def _unshare_argv() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "-n"]
    if shutil.which("sudo"):
        return ["sudo", "-n", "unshare", "-n"]
    raise AssertionError("cannot make a private network namespace: need root or `sudo -n`")


def probe(args: list[str], env: dict[str, str], timeout: float = 60) -> dict:
    """Exit code, stderr and the bytes the listener received, from inside a namespace."""
    inner = f"{sys.executable} -m tests.support.netns"
    script = f"ip link set lo up && ip addr add {ADDRESS}/32 dev lo && exec {inner}"
    argv = [*_unshare_argv()]
    if argv[0] == "sudo":
        # sudo drops the environment: carry it in the request instead.
        argv += ["env", *(f"{k}={v}" for k, v in env.items())]
        env_for_run = None
    else:
        env_for_run = env
    request = json.dumps({"args": args, "env": env})
    completed = subprocess.run(
        [*argv, "sh", "-c", script],
        input=request,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env_for_run,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"network namespace probe failed: {completed.stderr}")
    return json.loads(completed.stdout)


def _listen(server: socket.socket, received: bytearray, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(2)
        try:
            while chunk := conn.recv(65536):
                received.extend(chunk)
        except OSError:
            pass
        finally:
            conn.close()


def _inside() -> None:
    request = json.loads(sys.stdin.read())
    server = socket.create_server((ADDRESS, 0))
    peer = f"{ADDRESS}:{server.getsockname()[1]}"
    received = bytearray()
    stop = threading.Event()
    thread = threading.Thread(target=_listen, args=(server, received, stop), daemon=True)
    thread.start()
    env = {k: v.replace("{peer}", peer) for k, v in request["env"].items()}
    args = [a.replace("{peer}", peer) for a in request["args"]]
    try:
        result = subprocess.run(
            [sys.executable, "-c", "from sso_sync.cli import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=40,
            check=False,
        )
        outcome = {"exit_code": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
    except subprocess.TimeoutExpired:
        outcome = {"exit_code": None, "stdout": "", "stderr": "timed out"}
    stop.set()
    thread.join(5)
    outcome["peer"] = peer
    outcome["received"] = received.decode("latin-1")
    sys.stdout.write(json.dumps(outcome))


if __name__ == "__main__":
    _inside()
