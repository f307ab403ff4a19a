"""A stand-in for stevedore: only what the copied Ceilometer modules import."""
