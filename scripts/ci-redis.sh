#!/usr/bin/env bash
# Makes sure redis-server is installed, for the Redis executor's tests (test/redis*.test.ts) and benchmark
# (benchmarks/queue.ts). They start their own server on a free 127.0.0.1 port in a temp folder and stop it, so
# nothing is started here. Installs Debian's package when missing; does nothing when it is there.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version | cut -d' ' -f1-3)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and apt-get is not available: install Redis (>= 6.2) by hand; the Redis tests are skipped until then" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package may start a system-wide server; the tests do not use it, and CI should not leave it running.
if command -v service >/dev/null 2>&1; then $sudo service redis-server stop >/dev/null 2>&1 || true; fi
echo "installed $(redis-server --version | cut -d' ' -f1-3)"
