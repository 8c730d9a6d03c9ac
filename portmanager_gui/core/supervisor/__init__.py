"""The supervisor wing: everything one start or stop travels through. Unit specs, the start
plan, launch, the start check, stopping, the state records, logs, health and restart policy."""
