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
# await_startup fails at once while the node is not yet registered with epmd: retry until it answers
# (the server's own start-up can take a minute on a busy machine), and stop if the server died.
until rabbitmqctl -q await_startup >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { echo "rabbitmq-start: the server exited during start-up" >&2; exit 1; }
  sleep 1
done
sh /etc/rxtrade/rabbitmq-users.sh /etc/rxtrade/permissions.tsv
touch /tmp/rxtrade-users-ready
wait "$server"
