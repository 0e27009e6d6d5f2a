# Sourced by .ci/test-all: start the real servers the integration tests use, on 127.0.0.1 ports
# chosen free, and stop them on exit. Exports REDIS_URL and MGX_LITELLM_URL.
#
# - redis-server (Debian package `redis-server`, installed with apt when missing and possible);
# - the LiteLLM proxy (PyPI, in its own venv .venv-litellm) with a `mock_response` model: it
#   answers offline, without a key, like any OpenAI-compatible server.

free_port() { "$ROOT/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SERVICES_DIR="$(mktemp -d)"
SERVICE_PIDS=()
stop_services() {
  for pid in "${SERVICE_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$SERVICES_DIR"
}
trap stop_services EXIT

if ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing and cannot be installed here (needs apt and root)" >&2
    exit 1
  fi
fi
REDIS_PORT="$(free_port)"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
  --dir "$SERVICES_DIR" --logfile "$SERVICES_DIR/redis.log" &
SERVICE_PIDS+=($!)
for _ in $(seq 50); do
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping | grep -q PONG || { cat "$SERVICES_DIR/redis.log" >&2; exit 1; }
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/"

if [ ! -x .venv-litellm/bin/litellm ]; then
  python3 -m venv .venv-litellm
fi
.venv-litellm/bin/python -m pip install --quiet --disable-pip-version-check -r .ci/litellm/requirements.txt
LITELLM_PORT="$(free_port)"
LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
  .venv-litellm/bin/litellm --config .ci/litellm/config.yaml --host 127.0.0.1 --port "$LITELLM_PORT" \
  >"$SERVICES_DIR/litellm.log" 2>&1 &
SERVICE_PIDS+=($!)
for _ in $(seq 120); do
  .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$LITELLM_PORT/health/liveliness', timeout=1)" 2>/dev/null && break
  sleep 0.5
done
.venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$LITELLM_PORT/health/liveliness', timeout=2)" \
  || { tail -50 "$SERVICES_DIR/litellm.log" >&2; exit 1; }
export MGX_LITELLM_URL="http://127.0.0.1:$LITELLM_PORT/v1"
