#!/usr/bin/env bash
# Real SMTP servers (aiosmtpd 1.4.6, from the services venv) on loopback:
#   plain, no auth; and STARTTLS required + AUTH (tester:secret) with a test
#   certificate rustls accepts (CA:FALSE, SAN localhost and 127.0.0.1).
#   source tests/services/smtp.sh; smtp_start; ...; smtp_stop
# Sets PSRT_TEST_SMTP_PLAIN, PSRT_TEST_SMTP_TLS (ports), PSRT_TEST_SMTP_CA,
# PSRT_TEST_SMTP_MAILDIR (one file per message, envelope in X-RcptTo).

SMTP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SMTP_WORK=${SMTP_WORK:-$SMTP_HERE/../../.test-services/smtp}

smtp_start() {
  services_venv
  local py="$MM_VENV/bin/python" plain tls
  mkdir -p "$SMTP_WORK"
  [ -f "$SMTP_WORK/cert.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -nodes -days 30 -subj /CN=localhost -keyout "$SMTP_WORK/key.pem" -out "$SMTP_WORK/cert.pem" \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
      -addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth 2>/dev/null
  rm -rf "$SMTP_WORK/maildir"; mkdir -p "$SMTP_WORK"/maildir/{cur,new,tmp}
  read -r plain tls < <(python3 -c 'import socket
ps=[socket.socket() for _ in range(2)]
[p.bind(("127.0.0.1",0)) for p in ps]
print(*[p.getsockname()[1] for p in ps])')
  "$py" "$SMTP_HERE/smtp_sink.py" 127.0.0.1 "$plain" "$SMTP_WORK/maildir" > "$SMTP_WORK/plain.log" 2>&1 &
  echo $! > "$SMTP_WORK/plain.pid"
  "$py" "$SMTP_HERE/smtp_sink.py" 127.0.0.1 "$tls" "$SMTP_WORK/maildir" --tls "$SMTP_WORK/cert.pem" "$SMTP_WORK/key.pem" \
      --require-tls --auth tester secret > "$SMTP_WORK/tls.log" 2>&1 &
  echo $! > "$SMTP_WORK/tls.pid"
  for port in "$plain" "$tls"; do
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue 2; sleep 0.1; done
    echo "smtp sink on $port not ready" >&2; cat "$SMTP_WORK"/*.log >&2; return 1
  done
  export PSRT_TEST_SMTP_PLAIN=$plain PSRT_TEST_SMTP_TLS=$tls PSRT_TEST_SMTP_CA=$SMTP_WORK/cert.pem PSRT_TEST_SMTP_MAILDIR=$SMTP_WORK/maildir
}

smtp_stop() {
  local f pid
  for f in plain tls; do
    pid=$(cat "$SMTP_WORK/$f.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || true
    rm -f "$SMTP_WORK/$f.pid"
  done
}
