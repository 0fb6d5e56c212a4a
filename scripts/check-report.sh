#!/usr/bin/env bash
# Runs a short search, writes its report and renders report.html in headless Chromium (Debian's `chromium`),
# saving a full-page screenshot to look at. Usage: scripts/check-report.sh [RUN_FOLDER]   (needs `npm run build`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$(mktemp -d)/run}")
evotune() { node "$root/dist/bin/evotune.js" "$@"; }
if [ ! -f "$out/journal.jsonl" ]; then
  evotune search --fitness "$root/test/fixtures/journal-sleepy.mjs" --space "$root/test/fixtures/journal-space.json" \
    --strategy ga --budget 120 --workers 2 --seed 1 --out "$out" >/dev/null 2>&1
fi
evotune report "$out" >/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
  --window-size=1200,3400 --screenshot="$out/report.png" "file://$out/report.html" >/dev/null 2>&1
if grep -q 'class="missing"' <(chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom "file://$out/report.html" 2>/dev/null); then
  echo "report.html shows a missing picture" >&2
  exit 1
fi
echo "$out/report.png"
