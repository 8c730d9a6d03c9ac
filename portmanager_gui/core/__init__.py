"""The Qt-free core, in wings: registry, ports, occupancy, kill, supervisor, interop, platform."""
