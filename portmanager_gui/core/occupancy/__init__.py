"""The occupancy wing: who holds which port. Backends (Linux netlink, psutil, lsof), the
scanner that turns their sockets into a ``Snapshot``, snapshot diffs and container names."""
