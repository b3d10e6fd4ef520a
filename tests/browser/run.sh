#!/usr/bin/env bash
# The dashboard in a real browser: starts `faultline serve`, drives the system's headless
# Chromium with playwright-core (no browser download) at 1280x800 through three incidents
# (run, then compare), checks the lesson charts, their events, colours, text sizes and the
# verdict, and saves screenshots in WORK_DIR/shots (SCREENSHOT_COPY=DIR copies them).
#
#   tests/browser/run.sh FAULTLINE SCENARIOS_DIR WORK_DIR [SCENARIO:FIX ...]
#
# Exit 77 (a skip, for meson) with a message when node, chromium or playwright-core
# (`npm ci` in tests/browser) is missing. CHROMIUM overrides /usr/bin/chromium.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 3 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is missing (Debian: apt-get install nodejs npm)"; exit 77
fi
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium is missing (Debian: apt-get install chromium)"; exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "SKIP: playwright-core is not installed: run 'npm ci' in tests/browser (tools/test does)"; exit 77
fi
CHROMIUM="$chromium" exec node "$here/dashboard.test.js" "$@"
