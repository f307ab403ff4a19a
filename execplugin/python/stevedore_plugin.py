"""Write exec plugins for hosts built on stevedore for Go, in Python.

One file, the standard library only: copy it beside your plugin. The
protocol it speaks is docs/exec-protocol.md; nothing here is required to
speak it.

    from stevedore_plugin import Plugin, PluginError

    plugin = Plugin("gpu-pollster", "0.3.0")

    @plugin.method("poll")
    def poll(params, call):
        return [{"name": "gpu.util", "unit": "%", "volume": 37.5}]

    if __name__ == "__main__":
        plugin.run()

A handler gets the request's params (decoded JSON) and a Call, whose
`cancelled` event is set when the host gives up on the request and whose
`deadline` (seconds since the epoch, or None) says when it will. Handlers
run on threads of their own, so that many calls may be in flight; a
handler's result is encoded as JSON. Raising PluginError answers with its
code; any other exception answers with code -32000 and its message.

A handler should return soon after `cancelled` is set: the answer is sent
when it returns, and a host kills a plugin that leaves a cancelled call
unanswered for long (5 s by default) as stuck, then starts it again.
"""

import datetime
import json
import os
import re
import sys
import threading

PROTOCOL_VERSION = 1

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800
PLUGIN_ERROR = -32000


class PluginError(Exception):
    """An error answer: a JSON-RPC code, a message and optional data."""

    def __init__(self, message, code=PLUGIN_ERROR, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class Call:
    """What a handler knows of the request it serves."""

    def __init__(self, method, deadline):
        self.method = method
        self.deadline = deadline
        self.cancelled = threading.Event()


class Plugin:
    """A plugin's side of the protocol: register methods, then run()."""

    def __init__(self, name, version):
        self.name = name
        self.version = version
        self.init = None  # the host's initialize params, once received
        self._methods = {}
        self._on_init = None
        self._calls = {}
        self._lock = threading.Lock()
        self._out = None

    def method(self, name):
        """Decorator: serve `name` with the decorated function."""
        if not name or name in ("initialize", "shutdown", "exit") or name.startswith("$/"):
            raise ValueError("a method of the protocol itself: %r" % name)

        def register(fn):
            if name in self._methods:
                raise ValueError("registered twice: %r" % name)
            self._methods[name] = fn
            return fn

        return register

    def on_init(self, fn):
        """Decorator: call fn(params) with the handshake before answering
        it; an exception it raises fails the handshake."""
        self._on_init = fn
        return fn

    def run(self):
        """Serve the host until it says exit or goes away."""
        inp, self._out = _channel()
        for line in inp:
            line = line.strip()
            if not line:
                continue
            msg = json.loads(line)
            if msg.get("jsonrpc") != "2.0":
                raise ValueError("not JSON-RPC 2.0: %r" % line[:80])
            method, mid = msg.get("method"), msg.get("id")
            if method is None:
                continue  # an answer: this side sends no requests
            if mid is None:
                if method == "exit":
                    return
                if method == "$/cancelRequest":
                    with self._lock:
                        call = self._calls.get(_key((msg.get("params") or {}).get("id")))
                    if call:
                        call.cancelled.set()
                continue
            if method == "initialize":
                self._initialize(mid, msg.get("params") or {})
            elif method == "shutdown":
                self._answer(mid, result=None)
            else:
                self._start(mid, method, msg)

    def _initialize(self, mid, params):
        if params.get("protocolVersion") != PROTOCOL_VERSION:
            self._answer(mid, error=PluginError(
                "protocol version %s: this plugin speaks version %d" % (params.get("protocolVersion"), PROTOCOL_VERSION),
                INVALID_PARAMS))
            return
        try:
            if self._on_init:
                self._on_init(params)
        except Exception as e:  # the plugin's own words
            self._answer(mid, error=e)
            return
        self.init = params
        self._answer(mid, result={
            "protocolVersion": PROTOCOL_VERSION,
            "methods": sorted(self._methods),
            "plugin": {"name": self.name, "version": self.version},
        })

    def _start(self, mid, method, msg):
        if self.init is None:
            self._answer(mid, error=PluginError(method + " before initialize", INVALID_REQUEST))
            return
        fn = self._methods.get(method)
        if fn is None:
            self._answer(mid, error=PluginError("method not found: " + method, METHOD_NOT_FOUND))
            return
        call = Call(method, _deadline(msg.get("deadline")))
        with self._lock:
            self._calls[_key(mid)] = call

        def serve():
            try:
                result = fn(msg.get("params"), call)
            except Exception as e:
                self._answer(mid, error=e, cancelled=call.cancelled.is_set())
            else:
                self._answer(mid, result=result)
            finally:
                with self._lock:
                    self._calls.pop(_key(mid), None)

        threading.Thread(target=serve, daemon=True).start()

    def _answer(self, mid, result=None, error=None, cancelled=False):
        msg = {"jsonrpc": "2.0", "id": mid}
        if error is None:
            msg["result"] = result
        elif isinstance(error, PluginError):
            msg["error"] = {"code": error.code, "message": error.message}
            if error.data is not None:
                msg["error"]["data"] = error.data
        else:
            msg["error"] = {"code": REQUEST_CANCELLED if cancelled else PLUGIN_ERROR, "message": str(error)}
        line = json.dumps(msg, separators=(",", ":")) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


def _channel():
    channel = os.environ.get("STEVEDORE_PLUGIN_CHANNEL", "stdio")
    if channel == "fd:3,4":
        for fd in (3, 4):  # children must not hold the channel open
            os.set_inheritable(fd, False)
        return os.fdopen(3, "r", encoding="utf-8"), os.fdopen(4, "w", encoding="utf-8")
    if channel == "stdio":
        return sys.stdin, sys.stdout
    raise ValueError("STEVEDORE_PLUGIN_CHANNEL=%r: want fd:3,4 or stdio" % channel)


def _deadline(text):
    """Seconds since the epoch of an RFC 3339 time, or None."""
    if not text:
        return None
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        return None
    frac = (m.group(2) or ".0")[:7]  # microseconds at most
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    try:
        return datetime.datetime.fromisoformat(m.group(1) + frac + zone).timestamp()
    except ValueError:
        return None


def _key(mid):
    return json.dumps(mid)
