#!/bin/sh
# Compose entrypoint of the broker: enables the consistent-hash exchange, starts RabbitMQ, applies the
# per-role users (rabbitmq-users.sh), then marks the broker ready for the healthcheck. SIGTERM stops
# the node cleanly.
set -eu
rm -f /tmp/rxtrade-users-ready
rabbitmq-plugins enable --offline rabbitmq_consistent_hash_exchange >/dev/null
docker-entrypoint.sh rabbitmq-server &
server=$!
trap 'rabbitmqctl stop >/dev/null 2>&1 || kill "$server"; wait "$server"; exit 0' TERM INT
rabbitmqctl -q await_startup
sh /etc/rxtrade/rabbitmq-users.sh /etc/rxtrade/permissions.tsv
touch /tmp/rxtrade-users-ready
wait "$server"
