#!/bin/sh
# compose's kafka-secure-init: the pipeline's topics with explicit settings, and the services' ACLs
# (the same as pipelineAcls() in packages/kafka/src/acls.ts, which the local stack applies), as admin.
set -eu
bootstrap=kafka-secure:19094
cat >/tmp/admin.properties <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PASSWORD:?}";
ssl.truststore.type=PEM
ssl.truststore.location=/secure/tls/ca.pem
PROPS
topics="/opt/kafka/bin/kafka-topics.sh --bootstrap-server $bootstrap --command-config /tmp/admin.properties"
acls="/opt/kafka/bin/kafka-acls.sh --bootstrap-server $bootstrap --command-config /tmp/admin.properties --add"
for topic in log-data log-data-dlq; do
  $topics --create --if-not-exists --topic "$topic" --partitions 6 --replication-factor 1 \
    --config "retention.ms=${KAFKA_TOPIC_RETENTION_MS:-604800000}" --config max.message.bytes=2097152 --config min.insync.replicas=1
done
$acls --allow-principal User:gateway --operation Write --topic log-data
$acls --allow-principal User:gateway --operation Write --topic log-data-dlq
$acls --allow-principal User:sink --operation Read --topic log-data
$acls --allow-principal User:sink --operation DescribeConfigs --topic log-data
$acls --allow-principal User:sink --operation Read --group loglake-sink
$acls --allow-principal User:sink --operation Write --topic log-data-dlq
