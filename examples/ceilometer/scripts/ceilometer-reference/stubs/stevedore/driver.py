"""Only imported by ceilometer.publisher; the oracle loads no publisher."""


class DriverManager:
    def __init__(self, *args, **kwargs):
        raise RuntimeError('no publisher drivers in the oracle')
