#!/usr/bin/env bash
# Writes testdata/tls/: a throw-away test CA and a server certificate for 127.0.0.1 signed
# by it (EC P-256, valid 100 years), for tests/it/fake_dicomweb.rs's https server and
# `scan --dicomweb --ca-cert`. Test material only: the keys are public by being committed.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/testdata/tls"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
    -subj /CN=postmarket-test-ca -keyout "$tmp/ca.key" -out "$out/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$out/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tmp/ext.cnf"
openssl x509 -req -in "$tmp/server.csr" -CA "$out/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -days 36500 -extfile "$tmp/ext.cnf" \
    -out "$out/server.pem" 2>/dev/null
echo "wrote $out/ca.pem, server.pem, server.key"
