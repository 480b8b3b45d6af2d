"""Loaded by every Python process the tests start (tests/conftest.py puts this folder on
PYTHONPATH): a connection or name lookup for anything but this machine is refused and
written down, so a run of the suite, hostile inputs included, shows that nothing reached
out to the network."""

from __future__ import annotations

import os
import socket
from typing import Any

LOG = "EXPECTMATRIX_TEST_NETLOG"
_LOCAL_NAMES = {"localhost", "ip6-localhost", "::1", "0.0.0.0", ""}


def _local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return True
    return host in _LOCAL_NAMES or host.startswith("127.")


def _refuse(what: str) -> None:
    log = os.environ.get(LOG)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {what}\n")


def install() -> None:
    if getattr(socket, "_expectmatrix_guarded", False):
        return
    connect, connect_ex, getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                        socket.getaddrinfo)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _local(address[0]):
            _refuse(f"connect {address!r}")
            raise OSError(101, f"network access refused in tests: {address!r}")
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple) and not _local(address[0]):
            _refuse(f"connect {address!r}")
            return 101
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _local(host):
            _refuse(f"lookup {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"name lookup refused in tests: {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    socket._expectmatrix_guarded = True  # type: ignore[attr-defined]


if os.environ.get(LOG):
    install()
