#!/usr/bin/env bash
# Starts or stops a real OpenID Connect provider for the tests: nanoidp (PyPI, in .venv), on
# 127.0.0.1:9411 (GATEHOUSE_NANOIDP_PORT to change), configured under .build/idp/nanoidp. `start` waits until discovery
# answers and writes .build/idp/nanoidp.env; `stop` ends it by the PID it recorded.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="$PWD/.build/idp/nanoidp"
pidfile="$dir.pid"

stop() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

start() {
  stop
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  .venv/bin/nanoidp init "$dir" >/dev/null
  # A fixed port, so that the docs' examples (and policies/local-nanoidp.yaml) can name the issuer.
  port=${GATEHOUSE_NANOIDP_PORT:-9411}
  issuer="http://127.0.0.1:$port"
  sed -i "s|port: 8000|port: $port|; s|issuer: \"http://localhost:8000\"|issuer: \"$issuer\"|; s|audience: \"my-app\"|audience: \"gatehouse-api\"|" "$dir/settings.yaml"
  # nanoidp resolves its keys folder against the working directory: run it from its own folder.
  (cd "$dir" && exec "$OLDPWD/.venv/bin/nanoidp" --config "$dir" --host 127.0.0.1 --port "$port" >"$dir.log" 2>&1) &
  echo $! >"$pidfile"
  for _ in $(seq 100); do
    if curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; then
      printf 'GATEHOUSE_NANOIDP=%s\nGATEHOUSE_NANOIDP_DIR=%s\n' "$issuer" "$dir" >"$dir.env"
      echo "nanoidp ready at $issuer (pid $(cat "$pidfile"))"
      return 0
    fi
    sleep 0.2
  done
  echo "nanoidp did not start; its log:" >&2
  cat "$dir.log" >&2
  stop
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 64 ;;
esac
