"""The Qt-free core: registry, planner, occupancy, processes, supervisor."""
