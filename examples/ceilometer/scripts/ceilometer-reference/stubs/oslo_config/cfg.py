"""Minimal oslo_config.cfg: option classes are only declared, never read."""


class Opt:
    def __init__(self, name, *args, **kwargs):
        self.name = name
        self.default = kwargs.get('default')
        self.kwargs = kwargs


class StrOpt(Opt):
    pass


class ListOpt(Opt):
    pass


class IntOpt(Opt):
    pass


class BoolOpt(Opt):
    pass


class FloatOpt(Opt):
    pass


class MultiStrOpt(Opt):
    pass


class OptGroup:
    def __init__(self, name, *args, **kwargs):
        self.name = name
