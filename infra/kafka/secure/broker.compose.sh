#!/bin/sh
# Entry point of compose's kafka-secure: formats the storage on first start with the SCRAM users
# (the broker needs its own login before it can serve, so they cannot be added later), writes the
# admin client settings the health check and kafka-secure-init use, and runs the broker.
set -eu
config=/secure/server.properties
data=/var/lib/kafka/data
if [ ! -f "$data/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "${KAFKA_CLUSTER_ID:?}" -c "$config" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=broker-secret]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${ADMIN_PASSWORD:?}]" \
    --add-scram "SCRAM-SHA-512=[name=gateway,password=${GATEWAY_PASSWORD:?}]" \
    --add-scram "SCRAM-SHA-512=[name=sink,password=${SINK_PASSWORD:?}]"
fi
cat >/tmp/admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PASSWORD}";
ssl.truststore.type=PEM
ssl.truststore.location=/secure/tls/ca.pem
PROPS
exec /opt/kafka/bin/kafka-server-start.sh "$config"
