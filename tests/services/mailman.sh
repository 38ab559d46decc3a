#!/usr/bin/env bash
# The real Mailman 3.3.10 core on loopback, for the integration tests.
#   source tests/services/mailman.sh; mailman_start; ...; mailman_stop
# Sets PSRT_TEST_MAILMAN_URL/_USER/_PASSWORD. Adapted from the recipe the
# project was given; pitfalls: SQLAlchemy 2.1 breaks Mailman 3.3.10 (hence the
# constraints file), and under root Mailman needs --run-as-root.

MM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MM_WORK=${MM_WORK:-$MM_HERE/../../.test-services/mailman}
MM_VENV=${MM_VENV:-$MM_HERE/../../.test-services/venv}

services_venv() {
  # One venv for Mailman and the SMTP sink (aiosmtpd is pinned in the same set).
  local stamp="$MM_VENV/.constraints.sha256" want
  want=$(sha256sum "$MM_HERE/mailman-constraints.txt" | cut -d' ' -f1)
  if [ -x "$MM_VENV/bin/mailman" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  rm -rf "$MM_VENV"
  python3 -m venv "$MM_VENV"
  "$MM_VENV/bin/pip" install -q --disable-pip-version-check -c "$MM_HERE/mailman-constraints.txt" mailman==3.3.10 aiosmtpd==1.4.6
  echo "$want" > "$stamp"
}

mailman_start() {
  services_venv
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$MM_WORK"; mkdir -p "$MM_WORK"
  cat > "$MM_WORK/mailman.cfg" <<CFG
[mailman]
site_owner: admin@example.org
layout: test
[paths.test]
var_dir: $MM_WORK/var
[webservice]
hostname: 127.0.0.1
port: $port
admin_user: restadmin
admin_pass: restpass
[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: 0
smtp_host: 127.0.0.1
smtp_port: 9
CFG
  # Only the REST runner: ~2 s to start, ~300 MB.
  for r in archive bounces command in lmtp out pipeline retry task virgin digest; do
    printf '[runner.%s]\nstart: no\n' "$r" >> "$MM_WORK/mailman.cfg"
  done
  "$MM_VENV/bin/mailman" -C "$MM_WORK/mailman.cfg" --run-as-root start > "$MM_WORK/start.log" 2>&1
  export PSRT_TEST_MAILMAN_URL=http://127.0.0.1:$port/3.1 PSRT_TEST_MAILMAN_USER=restadmin PSRT_TEST_MAILMAN_PASSWORD=restpass
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null -u restadmin:restpass "$PSRT_TEST_MAILMAN_URL/system/versions" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "mailman did not become ready" >&2
  cat "$MM_WORK/start.log" "$MM_WORK/var/logs/mailman.log" >&2 2>/dev/null
  return 1
}

mailman_stop() {
  local pid
  pid=$(cat "$MM_WORK/var/master.pid" 2>/dev/null) || return 0
  "$MM_VENV/bin/mailman" -C "$MM_WORK/mailman.cfg" --run-as-root stop > /dev/null 2>&1 || kill "$pid" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
