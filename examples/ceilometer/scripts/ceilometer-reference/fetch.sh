#!/bin/sh
# Copies, unmodified, the modules of Ceilometer that make samples of
# notifications out of a git checkout of openstack/ceilometer into lib/
# (not committed), at the revision given (default: the tag 26.0.0, the
# 2026.1 release).
#
#   scripts/ceilometer-reference/fetch.sh ~/src/ceilometer [REV]
set -eu
src=${1:?usage: fetch.sh CEILOMETER_CHECKOUT [REV]}
rev=${2:-26.0.0}
cd "$(dirname "$0")"
rm -rf lib
for f in ceilometer/__init__.py ceilometer/i18n.py ceilometer/declarative.py \
	ceilometer/sample.py ceilometer/agent.py \
	ceilometer/meter/__init__.py ceilometer/meter/notifications.py \
	ceilometer/pipeline/__init__.py ceilometer/pipeline/base.py \
	ceilometer/pipeline/sample.py ceilometer/pipeline/data/pipeline.yaml \
	ceilometer/event/__init__.py ceilometer/event/trait_plugins.py \
	ceilometer/publisher/__init__.py \
	ceilometer/data/meters.d/meters.yaml; do
	mkdir -p "lib/$(dirname "$f")"
	git -C "$src" show "$rev:$f" >"lib/$f"
done
git -C "$src" rev-parse "$rev^{commit}" >lib/CEILOMETER_COMMIT
