"""Minimal stevedore.extension with the entry points Ceilometer's setup.cfg
declares for the namespaces the oracle needs:

ceilometer.event.trait_plugin =
    split = ceilometer.event.trait_plugins:SplitterTraitPlugin
    bitfield = ceilometer.event.trait_plugins:BitfieldTraitPlugin
    timedelta = ceilometer.event.trait_plugins:TimedeltaPlugin
    map = ceilometer.event.trait_plugins:MapTraitPlugin
"""
import importlib

ENTRY_POINTS = {
    'ceilometer.event.trait_plugin': {
        'split': 'ceilometer.event.trait_plugins:SplitterTraitPlugin',
        'bitfield': 'ceilometer.event.trait_plugins:BitfieldTraitPlugin',
        'timedelta': 'ceilometer.event.trait_plugins:TimedeltaPlugin',
        'map': 'ceilometer.event.trait_plugins:MapTraitPlugin',
    },
}


def _load(target):
    module, _, attr = target.partition(':')
    return getattr(importlib.import_module(module), attr)


class Extension:
    def __init__(self, name, entry_point, plugin, obj):
        self.name = name
        self.entry_point = entry_point
        self.plugin = plugin
        self.obj = obj


class ExtensionManager:
    def __init__(self, namespace, invoke_on_load=False, invoke_args=(),
                 invoke_kwds=None, **kwargs):
        self.namespace = namespace
        self.extensions = []
        for name, target in ENTRY_POINTS.get(namespace, {}).items():
            plugin = _load(target)
            obj = (plugin(*invoke_args, **(invoke_kwds or {}))
                   if invoke_on_load else None)
            self.extensions.append(Extension(name, target, plugin, obj))
        self.by_name = {e.name: e for e in self.extensions}

    def names(self):
        return [e.name for e in self.extensions]

    def __iter__(self):
        return iter(self.extensions)

    def __getitem__(self, name):
        return self.by_name[name]

    def __contains__(self, name):
        return name in self.by_name
