#!/usr/bin/env bash
# Hearthguard side by side with direct, bare mitmdump and e2guardian, using the shared proxy
# benchmark (../shared/bench, loopback only). Prepares a data directory with the bundled
# lists and models, registers the load generator (127.0.0.1) as a device that trusts the
# household CA (so HTTPS is inspected, as mitmdump and e2guardian do), then runs bench.sh.
#
#   benchmarks/proxy_bench.sh                 # all targets and workloads (about 5 minutes)
#   SCAN_CACHE=0 benchmarks/proxy_bench.sh    # scan every page: no remembered verdicts
#   ROUNDS=1 WORKLOADS="small html60k" TARGETS="mitm ours" benchmarks/proxy_bench.sh
#   OURS2_SET="hearthguard_scan_workers=1" TARGETS="mitm ours ours2" BENCH=<harness with ours2> ...
#   HG_VENV=/path/to/venv benchmarks/proxy_bench.sh   # Hearthguard from another venv
#
# The harness runs bare mitmdump on Debian's own python3. Where the project's .venv was made
# with another interpreter (a self-built one, say), HG_VENV names a venv made with
# Debian's python3 (`/usr/bin/python3 -m venv V && V/bin/pip install -e .`), so both
# proxies run on the same interpreter, as they do on a household's box.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH:-$HERE/../shared/bench}
DATA=${HG_BENCH_DATA:-/tmp/hg-bench-data}
VENV=${HG_VENV:-$HERE/.venv}
[ -x "$VENV/bin/hearthguard" ] || { echo "no hearthguard in $VENV" >&2; exit 1; }
[ -x "$BENCH/bench.sh" ] || { echo "no benchmark harness at $BENCH" >&2; exit 1; }
rm -rf "$DATA"
"$VENV/bin/hearthguard" init --data-dir "$DATA" > /dev/null
"$VENV/bin/hearthguard" device add load-generator --ip 127.0.0.1 --profile Household \
  --ca-installed --data-dir "$DATA" > /dev/null
export TARGETS=${TARGETS:-"direct mitm e2g ours"}
export OURS_BLOCK_MARKER='data-hearthguard-page='
export OURS_CMD="cd '$HERE' && exec '$VENV/bin/hearthguard' run --data-dir '$DATA' --listen-host 127.0.0.1 --proxy-port \"\$OURS_PORT\" --dashboard-port 0 --set ssl_insecure=true --set hearthguard_scan_cache=${SCAN_CACHE:-600}"
if [ -n "${OURS2_SET:-}" ]; then
  # a second Hearthguard (target ours2, needs a harness that knows it) with its own copy of
  # the data directory and these --set options added, e.g. OURS2_SET="hearthguard_scan_workers=1"
  rm -rf "$DATA-2" && cp -a "$DATA" "$DATA-2"
  export OURS2_CMD="cd '$HERE' && exec '$VENV/bin/hearthguard' run --data-dir '$DATA-2' --listen-host 127.0.0.1 --proxy-port \"\$OURS2_PORT\" --dashboard-port 0 --set ssl_insecure=true --set hearthguard_scan_cache=${SCAN_CACHE:-600}$(printf ' --set %s' $OURS2_SET)"
fi
exec bash "$BENCH/bench.sh"
