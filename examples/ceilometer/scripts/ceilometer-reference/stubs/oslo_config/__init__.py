"""A stand-in for oslo_config: only what the copied Ceilometer modules import."""
