#!/usr/bin/env bash
# redis-server for CI: `start` installs it if missing (Debian package), starts
# it on a loopback port and prints `export REDIS_URL=...`; `stop` stops it.
set -euo pipefail
PORT="${REDIS_PORT:-6390}"
DIR="${TMPDIR:-/tmp}/sessionware-ci-redis"

case "${1:-}" in
  start)
    if ! command -v redis-server >/dev/null 2>&1; then
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >&2
    fi
    mkdir -p "$DIR"
    redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >&2
    for _ in $(seq 1 100); do
      if redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; then
        echo "export REDIS_URL=redis://127.0.0.1:$PORT"
        exit 0
      fi
      sleep 0.1
    done
    echo "redis-server did not start; log:" >&2
    cat "$DIR/redis.log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$DIR/redis.pid" ]; then kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; rm -f "$DIR/redis.pid"; fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
