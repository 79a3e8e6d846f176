#!/bin/sh
# Stand-in of the official image's entrypoint: the default (administrator) user from the environment,
# listeners on every interface, then the command. Debian's rabbitmq-server runs the node as `rabbitmq`.
set -eu
{
  echo 'listeners.tcp.default = 5672'
  echo 'management.tcp.port = 15672'
  if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then echo "default_user = ${RABBITMQ_DEFAULT_USER}"; fi
  if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then echo "default_pass = ${RABBITMQ_DEFAULT_PASS}"; fi
} >/etc/rabbitmq/rabbitmq.conf
chown rabbitmq:rabbitmq /etc/rabbitmq/rabbitmq.conf
chmod 600 /etc/rabbitmq/rabbitmq.conf
exec "$@"
