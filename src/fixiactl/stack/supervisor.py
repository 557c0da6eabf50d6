"""Drive supervisord (from PyPI) over its XML-RPC Unix socket: we never manage processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

from fixiactl.errors import FixiactlError


class Supervisor:
    """The real `ProcessSupervisor` (fixiactl.deploy.protocols)."""

    def __init__(self, state: Path) -> None:
        self.conf = state / "supervisord.conf"
        self.socket = state / "supervisor.sock"

    def _call(self, method: str, *args: Any) -> Any:
        """One XML-RPC call on its own connection, closed after it (the transport keeps its
        socket open otherwise, leaking one per call)."""
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        try:
            return getattr(proxy.supervisor, method)(*args)
        finally:
            transport.close()

    def running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return cast(str, self._call("getState")["statename"]) == "RUNNING"
        except (OSError, xmlrpc.client.Fault):
            return False

    def start_daemon(self) -> None:
        if self.running():
            self._call("reloadConfig")
            return
        binary = Path(sys.executable).parent / "supervisord"
        subprocess.run([str(binary), "-c", str(self.conf)], check=True, timeout=30)
        deadline = time.monotonic() + 15
        while not self.running():
            if time.monotonic() > deadline:
                raise FixiactlError(
                    "supervisord did not start", hint=f"see {self.conf.parent}/log/supervisord.log"
                )
            time.sleep(0.1)

    def start(self, name: str) -> None:
        info = self.info(name)
        if info["statename"] in ("RUNNING", "STARTING"):
            return
        try:
            self._call("startProcess", name, True)
        except xmlrpc.client.Fault as fault:
            if "ALREADY_STARTED" in fault.faultString:
                return  # supervisord's own autorestart won the race: it runs, as asked
            raise FixiactlError(
                f"{name} failed to start: {fault.faultString}",
                hint=f"see {self.conf.parent}/log/{name}.log",
            ) from fault

    def stop(self, name: str) -> None:
        if self.info(name)["statename"] in ("RUNNING", "STARTING", "BACKOFF"):
            self._call("stopProcess", name, True)

    def add_group(self, name: str) -> None:
        """Run a program added to the config of a running daemon (after reloadConfig)."""
        self._call("addProcessGroup", name)

    def signal(self, name: str, signal: str) -> None:
        """e.g. HUP: PgBouncer re-reads its config and auth file without dropping clients."""
        self._call("signalProcess", name, signal)

    def info(self, name: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._call("getProcessInfo", name))

    def all_info(self) -> list[dict[str, Any]]:
        if not self.running():
            return []
        return cast(list[dict[str, Any]], self._call("getAllProcessInfo"))

    def shutdown(self, timeout_s: float = 60) -> None:
        if not self.running():
            return
        pid = int(self._call("getPID"))
        self._call("shutdown")
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
