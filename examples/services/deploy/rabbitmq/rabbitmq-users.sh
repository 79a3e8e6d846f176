#!/bin/sh
# Creates the fleet's per-role RabbitMQ users from permissions.tsv, with passwords from the
# environment (RABBITMQ_<ROLE>_PASSWORD: from a Secret or an .env file, never a default), and removes
# the `guest` user. Idempotent: re-running resets passwords and permissions. Runs where `rabbitmqctl`
# reaches the node (inside the broker's container, or with the node's Erlang cookie).
#   FLEET_PREFIX=prod RABBITMQ_DATA_PASSWORD=… … sh rabbitmq-users.sh [permissions.tsv]
set -eu
table="${1:-$(dirname "$0")/permissions.tsv}"
prefix="${FLEET_PREFIX:?set FLEET_PREFIX (the fleet's exchange is rxt-fleet-<prefix>)}"
exchange="rxt-fleet-${prefix}"
vhost="${RABBITMQ_VHOST:-/}"
# RABBITMQCTL: the command to reach the node (default `rabbitmqctl`; add `-n <node>` etc. as needed).
ctl() { ${RABBITMQCTL:-rabbitmqctl} -q "$@" </dev/null; } # stdin: the loop below reads its table there

password_of() { eval "printf '%s' \"\${RABBITMQ_$(echo "$1" | tr a-z A-Z)_PASSWORD:-}\""; }
# Every password first: nothing is changed on the broker unless all are set.
for role in data strategy risk order gateway; do
  if [ -z "$(password_of "$role")" ]; then
    echo "rabbitmq-users: RABBITMQ_$(echo "$role" | tr a-z A-Z)_PASSWORD is not set" >&2
    exit 1
  fi
done

existing="$(ctl list_users | cut -f1)"
for role in data strategy risk order gateway; do
  password="$(password_of "$role")"
  if printf '%s\n' "$existing" | grep -qx "$role"; then
    ctl change_password "$role" "$password" >/dev/null
  else
    ctl add_user "$role" "$password" >/dev/null
  fi
  ctl clear_topic_permissions -p "$vhost" "$role" >/dev/null 2>&1 || true
done

grep -v '^[[:space:]]*#' "$table" | grep -v '^[[:space:]]*$' | sed "s/{E}/${exchange}/g" |
  while read -r kind user a b c; do
    case "$kind" in
      perm) ctl set_permissions -p "$vhost" "$user" "$a" "$b" "$c" ;;
      topic) ctl set_topic_permissions -p "$vhost" "$user" "$a" "$b" "$c" ;;
      *) echo "rabbitmq-users: bad line kind $kind" >&2; exit 1 ;;
    esac
  done

ctl delete_user guest >/dev/null 2>&1 || true
echo "rabbitmq-users: data strategy risk order gateway set for exchange ${exchange}; guest removed"
