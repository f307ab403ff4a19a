#!/usr/bin/python3
"""Runs notifications through Ceilometer's own meter-definition code.

Usage: reference.py METERS_DIR [METERS_DIR...] -- NOTIFICATION.json...

The modules under lib/ are Ceilometer's, copied unmodified by fetch.sh;
stubs/ stands in for oslo.config, oslo.log, stevedore, oslo.messaging and
ceilometer.cache_utils.

Each notification file holds one notification in oslo.messaging's wire
shape: event_type, publisher_id, priority, timestamp, message_id, payload
and the request context flattened as _context_* keys. It goes to
ProcessMeterNotifications as oslo.messaging's batch notification dispatcher
hands it over, with the message
    {"ctxt", "publisher_id", "event_type", "payload",
     "metadata": {"message_id", "timestamp"}},
to the endpoint's method named by the lower-cased priority ("info",
"sample"; other priorities reach no method). A notification without a
priority is taken as "info", as the Go program takes it, where
oslo.messaging would dispatch it to no method at all.
Samples then go through a SamplePipeline built from Ceilometer's default
pipeline.yaml, whose publish_data drops samples without a volume; a
capturing publisher collects the rest.

Prints one JSON line per notification file:
    {"file": name, "samples": [...]}   or   {"file": name, "error": text}
Ceilometer's log goes to stderr.
"""
import datetime
import json
import logging
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import jsonpath_rw_ext  # noqa: F401
    import oslo_utils  # noqa: F401
    import yaml  # noqa: F401
except ImportError:
    # Debian's packages are in the system python3's dist-packages; another
    # python3 may come first in PATH.
    if os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3') \
            and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

sys.path[:0] = [os.path.join(HERE, 'lib'), os.path.join(HERE, 'stubs')]

import yaml  # noqa: E402

import ceilometer  # noqa: E402,F401

_cache_utils = types.ModuleType('ceilometer.cache_utils')
with open(os.path.join(HERE, 'stubs', 'cache_utils.py')) as _f:
    exec(compile(_f.read(), _f.name, 'exec'), _cache_utils.__dict__)
sys.modules['ceilometer.cache_utils'] = _cache_utils
ceilometer.cache_utils = _cache_utils

from ceilometer.meter import notifications  # noqa: E402
from ceilometer.pipeline import base as pipe_base  # noqa: E402
from ceilometer.pipeline import sample as pipe_sample  # noqa: E402
from ceilometer import sample as sample_util  # noqa: E402


def make_conf(dirs):
    ns = types.SimpleNamespace
    return ns(
        # ceilometer/sample.py OPTS
        sample_source='openstack',
        reserved_metadata_namespace=['metering.'],
        reserved_metadata_length=256,
        reserved_metadata_keys=[],
        # [polling]
        polling=ns(identity_name_discovery=False),
        # [meter]
        meter=ns(meter_definitions_dirs=list(dirs)),
        # oslo.config's ConfigOpts.find_file: no config dirs here
        find_file=lambda name: None,
    )


class CapturingPublisher:
    def __init__(self):
        self.samples = []

    def publish_samples(self, samples):
        self.samples.extend(samples)

    def publish_events(self, events):
        pass


class CapturingPublisherManager:
    def __init__(self, publisher):
        self.publisher = publisher

    def get(self, url):
        return self.publisher


def make_publish_context(conf, publisher):
    """Pipelines of Ceilometer's default pipeline.yaml, with every sink's
    publishers replaced by the capturing one."""
    with open(os.path.join(HERE, 'lib', 'ceilometer', 'pipeline', 'data',
                           'pipeline.yaml')) as f:
        cfg = yaml.safe_load(f)
    pm = CapturingPublisherManager(publisher)
    sinks = {s['name']: pipe_sample.SampleSink(conf, s, pm)
             for s in cfg['sinks']}
    pipelines = []
    for s in cfg['sources']:
        source = pipe_sample.SampleSource(s)
        source.check_sinks(sinks)
        for target in source.sinks:
            pipelines.append(
                pipe_sample.SamplePipeline(conf, source, sinks[target]))
    return pipe_base.PublishContext(pipelines)


CONTEXT_PREFIX = '_context_'


def to_message(raw):
    """What oslo.messaging's BatchNotificationDispatcher hands endpoints."""
    ctxt = {k[len(CONTEXT_PREFIX):]: v for k, v in raw.items()
            if k.startswith(CONTEXT_PREFIX)}
    return dict(ctxt=ctxt,
                publisher_id=raw.get('publisher_id'),
                event_type=raw.get('event_type'),
                payload=raw.get('payload'),
                metadata={'message_id': raw.get('message_id'),
                          'timestamp': raw.get('timestamp')})


def text(v):
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def rfc3339(ts):
    dt = datetime.datetime.fromisoformat(ts)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    dt = dt.astimezone(datetime.timezone.utc)
    out = dt.strftime('%Y-%m-%dT%H:%M:%S')
    if dt.microsecond:
        out += '.' + ('%06d' % dt.microsecond).rstrip('0')
    return out + 'Z'


def normalize(s):
    out = {
        'meter': s.name,
        'type': s.type,
        'unit': str(s.unit),
        'volume': float(s.volume),
        'resource_id': None if s.resource_id is None else text(s.resource_id),
    }
    for key in ('project_id', 'user_id'):
        v = getattr(s, key)
        if v is not None and v != '':
            out[key] = text(v)
    out['timestamp'] = rfc3339(s.timestamp)
    md = {k: text(v) for k, v in (s.resource_metadata or {}).items()
          if v is not None}
    if md:
        out['metadata'] = md
    return out


def main(argv):
    if '--' not in argv:
        sys.exit(__doc__)
    i = argv.index('--')
    dirs, files = argv[:i], argv[i + 1:]
    if not dirs:
        sys.exit('no METERS_DIR given')

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format='%(levelname)s %(name)s: %(message)s')
    # jsonpath-rw-ext's Sub() prints its repr to stdout when parsed; keep
    # stdout for the results.
    out = sys.stdout
    sys.stdout = sys.stderr
    conf = make_conf(dirs)
    sample_util.setup(conf)
    publisher = CapturingPublisher()
    try:
        endpoint = notifications.ProcessMeterNotifications(
            conf, make_publish_context(conf, publisher))
    except Exception as e:
        # Ceilometer's notification agent fails to start in this case.
        print('loading the definitions failed: %s: %s'
              % (type(e).__name__, e), file=sys.stderr)
        return 2

    for path in files:
        name = os.path.basename(path)
        with open(path) as f:
            raw = json.load(f)
        priority = raw.get('priority')
        priority = 'info' if priority is None else str(priority).lower()
        if priority not in ('info', 'sample'):
            print(json.dumps({'file': name, 'samples': []}), file=out)
            continue
        publisher.samples = []
        try:
            getattr(endpoint, priority)([to_message(raw)])
            result = {'file': name,
                      'samples': [normalize(s) for s in publisher.samples]}
        except Exception as e:
            result = {'file': name, 'error': str(e)}
        print(json.dumps(result), file=out)
        out.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
