#!/bin/sh
# Makes the TLS material of loglake's secured Kafka listener with keytool alone (it ships with every
# JRE, so the local stack and the apache/kafka image both have it): a throwaway CA, and a broker key
# whose certificate that CA signs. The CA's private key is deleted once it has signed.
#
#   make-certs.sh <out-dir> <store-password> <subject-alt-names>
#   e.g. make-certs.sh .stack/data/kafka-secure-tls changeit IP:127.0.0.1,DNS:localhost
#
# Writes into <out-dir>:
#   ca.pem          the CA certificate: what clients trust (KAFKA_SSL_CA_FILE)
#   broker.p12      the broker's key and certificate chain (CN=broker; server and client auth)
#   truststore.p12  the CA certificate, for the broker's own connections (controller mTLS)
# Does nothing when the three files exist; delete the folder to make new ones.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 <out-dir> <store-password> <subject-alt-names>" >&2; exit 2; }
out=$1
pass=$2
san=$3
if [ -f "$out/ca.pem" ] && [ -f "$out/broker.p12" ] && [ -f "$out/truststore.p12" ]; then
  echo "TLS material already in $out"
  exit 0
fi
mkdir -p "$out"
tmp="$out/.making.$$"
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT

kt() { keytool -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@" -storepass "$pass" -noprompt; }
kt -genkeypair -keystore "$tmp/ca.p12" -storetype PKCS12 -alias ca -dname 'CN=loglake local CA' \
  -keyalg RSA -keysize 2048 -validity 3650 -ext bc:c
kt -exportcert -keystore "$tmp/ca.p12" -alias ca -rfc -file "$tmp/ca.pem"
kt -genkeypair -keystore "$tmp/broker.p12" -storetype PKCS12 -alias broker -dname 'CN=broker' \
  -keyalg RSA -keysize 2048 -validity 3650
kt -certreq -keystore "$tmp/broker.p12" -alias broker -file "$tmp/broker.csr"
kt -gencert -keystore "$tmp/ca.p12" -alias ca -infile "$tmp/broker.csr" -outfile "$tmp/broker.pem" \
  -rfc -validity 3650 -ext "SAN=$san" -ext KU=digitalSignature,keyEncipherment \
  -ext EKU=serverAuth,clientAuth
kt -importcert -keystore "$tmp/broker.p12" -alias ca -file "$tmp/ca.pem"
kt -importcert -keystore "$tmp/broker.p12" -alias broker -file "$tmp/broker.pem"
kt -importcert -keystore "$tmp/truststore.p12" -storetype PKCS12 -alias ca -file "$tmp/ca.pem"

# ca.pem last: its presence means the set is complete.
mv "$tmp/broker.p12" "$tmp/truststore.p12" "$out/"
mv "$tmp/ca.pem" "$out/ca.pem"
echo "made a CA and a broker certificate for $san in $out"
