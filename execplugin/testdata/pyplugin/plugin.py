#!/usr/bin/env python3
"""The Python plugin the tests of execplugin start, written with the SDK."""
import time

from stevedore_plugin import Plugin, PluginError

plugin = Plugin("pyplugin", "2.0")
settings = {}


@plugin.on_init
def init(params):
    settings.update(params.get("settings") or {})


@plugin.method("add")
def add(params, call):
    return params["A"] + params["B"]


@plugin.method("fail")
def fail(params, call):
    raise PluginError("no such GPU", code=-32042, data={"gpu": 3})


@plugin.method("boom")
def boom(params, call):
    raise RuntimeError("unexpected")


@plugin.method("wait")
def wait(params, call):
    if not call.cancelled.wait(30):
        return "not cancelled"
    raise PluginError("cancelled", code=-32800)


@plugin.method("deadline")
def deadline(params, call):
    return call.deadline is not None and call.deadline > time.time()


if __name__ == "__main__":
    plugin.run()
