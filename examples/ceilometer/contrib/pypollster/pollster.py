#!/usr/bin/env python3
"""A Ceilometer pollster in Python: the host's uptime, from /proc/uptime.

It speaks the exec plugin protocol through the one-file SDK,
execplugin/python/stevedore_plugin.py: a deployment puts a copy of it beside
this file (or on PYTHONPATH); run from this repository, it is found there.
"""
import os
import socket
import sys

try:
    from stevedore_plugin import Plugin, PluginError
except ImportError:
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path.append(os.path.join(here, "..", "..", "..", "..", "execplugin", "python"))
    from stevedore_plugin import Plugin, PluginError

plugin = Plugin("python-uptime-pollster", "0.1.0")


@plugin.method("poll")
def poll(params, call):
    try:
        with open("/proc/uptime") as f:
            seconds = float(f.read().split()[0])
    except OSError as e:
        raise PluginError("cannot read the uptime: %s" % e)
    return [{
        "meter": "hardware.system.uptime",
        "type": "gauge",
        "unit": "s",
        "volume": seconds,
        "resource_id": socket.gethostname(),
    }]


if __name__ == "__main__":
    plugin.run()
