"""A stand-in for oslo_log: only what the copied Ceilometer modules import."""
