# Sourced by the test scripts: starts a throwaway PostgreSQL on 127.0.0.1 and stops it.
# Sets POSTGRES_URL to a superuser URL whose server the tests may create databases on.

start_postgres() {
  local pgbin port
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  # A free port chosen by the kernel, unless POSTGRES_PORT names one.
  port=${POSTGRES_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  POSTGRES_DIR=$(mktemp -d /tmp/portal-pg.XXXXXX)
  local as_postgres=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$POSTGRES_DIR"
    as_postgres=(runuser -u postgres --)
  fi
  "${as_postgres[@]}" "$pgbin/initdb" -D "$POSTGRES_DIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$POSTGRES_DIR/initdb.log"
  "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w \
    -o "-k $POSTGRES_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  POSTGRES_PGBIN=$pgbin
  POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export POSTGRES_URL
  echo "postgres: running on 127.0.0.1:$port (data in $POSTGRES_DIR)"
}

stop_postgres() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  local as_postgres=()
  [ "$(id -u)" -eq 0 ] && as_postgres=(runuser -u postgres --)
  "${as_postgres[@]}" "$POSTGRES_PGBIN/pg_ctl" -D "$POSTGRES_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$POSTGRES_DIR"
}
