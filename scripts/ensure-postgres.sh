#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster and make sure the `factory` role exists (idempotent).
# Used by the test suite and .ci/run; production points FACTORY_DATABASE_URL at its own server.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_lsclusters -h | grep -q '^15 *main .*online'; then
  pg_ctlcluster 15 main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'factory') THEN
    CREATE ROLE factory LOGIN CREATEDB PASSWORD 'factory';
  END IF;
END
$$;
SQL
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='factory'\"" | grep -q 1 \
  || su postgres -c "createdb -O factory factory"
