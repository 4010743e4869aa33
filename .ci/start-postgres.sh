#!/usr/bin/env bash
# Starts a local PostgreSQL cluster (Debian packaging) and creates the test role and database.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='zkiris'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE zkiris LOGIN PASSWORD 'zkiris' CREATEDB\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='zkiris_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O zkiris zkiris_test"
echo "PostgreSQL $version ready at 127.0.0.1:5432 (database zkiris_test)"
