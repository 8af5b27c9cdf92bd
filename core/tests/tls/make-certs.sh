#!/usr/bin/env bash
# Regenerates the test-only TLS fixtures of core/tests/tls.rs: a private CA and a server
# certificate for 127.0.0.1 and localhost signed by it (EC P-256, valid for 100 years).
# They protect nothing; the keys are public on purpose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
openssl req -x509 -new -key ca.key -sha256 -days 36500 -subj "/CN=botsplash-sdk test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out server.key
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 36500 -sha256 -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl ca.key
