"""The helper process of ``owner_seed_linux``: the listening sockets, then their owners.

Runs as ``python -I -S -c ...`` (see ``owner_seed_linux.start``) and writes its answer on
stdout, once, as ``marshal`` data: (FORMAT, pids walked, then columns of 64-bit integers:
the listening inodes, sorted, and the owned sockets as inode / pid / fd sorted by inode).
"""
from __future__ import annotations

import marshal
import os
from array import array

from .netlink_linux import NetlinkSockets
from .owner_seed_linux import F_SETPIPE_SZ, FORMAT
from .proc_owners_linux import list_pids, scan_owners


def main() -> None:
    """The helper: listening sockets first, then their owners; the answer on stdout."""
    net = NetlinkSockets()
    try:
        listening = {row[4] for row in net.sockets(None)}
    finally:
        net.close()
    pids = list_pids()
    owned = sorted((inode, pid, fd) for inode, holders in scan_owners(pids, listening).items()
                   for pid, fd in holders.items())
    columns = [array("q", sorted(listening))] + [array("q", column) for column in zip(*owned)] \
        if owned else [array("q", sorted(listening)), array("q"), array("q"), array("q")]
    data = memoryview(marshal.dumps((FORMAT, sorted(pids), *(c.tobytes() for c in columns))))
    try:
        import fcntl
        fcntl.fcntl(1, F_SETPIPE_SZ, len(data))
    except OSError:
        pass          # over the system's pipe limit: written as the parent reads
    while data:
        data = data[os.write(1, data):]
