#!/usr/bin/env bash
# Starts or stops the real OpenID Connect providers the tests run against, from PyPI in .venv, on
# 127.0.0.1 with fixed ports (so docs and example policies can name their issuers):
#   nanoidp  on 9411 (GATEHOUSE_NANOIDP_PORT), configured under .build/idp/nanoidp
#   canaille on 9412 (GATEHOUSE_CANAILLE_PORT), Tests/idp/canaille_server.py, in memory
# `start NAME` waits until discovery answers and writes .build/idp/NAME.env with the issuer;
# `stop NAME` ends the process by the PID it recorded.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${2:-}
dir="$PWD/.build/idp/$name"
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

launch() {
  case "$name" in
    nanoidp)
      port=${GATEHOUSE_NANOIDP_PORT:-9411}
      .venv/bin/nanoidp init "$dir" >/dev/null
      sed -i "s|port: 8000|port: $port|; s|issuer: \"http://localhost:8000\"|issuer: \"http://127.0.0.1:$port\"|; s|audience: \"my-app\"|audience: \"gatehouse-api\"|" "$dir/settings.yaml"
      # nanoidp resolves its keys folder against the working directory: run it from its own folder.
      (cd "$dir" && exec "$OLDPWD/.venv/bin/nanoidp" --config "$dir" --host 127.0.0.1 --port "$port" >"$dir.log" 2>&1) &
      ;;
    canaille)
      port=${GATEHOUSE_CANAILLE_PORT:-9412}
      mkdir -p "$dir"
      (cd "$dir" && exec "$OLDPWD/.venv/bin/python" "$OLDPWD/Tests/idp/canaille_server.py" "$port" >"$dir.log" 2>&1) &
      ;;
    *) echo "unknown provider: $name" >&2; exit 64 ;;
  esac
  echo $! >"$pidfile"
}

start() {
  stop
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  launch
  issuer="http://127.0.0.1:$port"
  for _ in $(seq 150); do
    if curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; then
      variable=$(echo "GATEHOUSE_$name" | tr '[:lower:]' '[:upper:]')
      printf '%s=%s\n%s_DIR=%s\n' "$variable" "$issuer" "$variable" "$dir" >"$dir.env"
      echo "$name ready at $issuer (pid $(cat "$pidfile"))"
      return 0
    fi
    sleep 0.2
  done
  echo "$name did not start; its log:" >&2
  cat "$dir.log" >&2
  stop
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop nanoidp|canaille" >&2; exit 64 ;;
esac
