#!/usr/bin/env bash
# Renders deploy/nginx/backtest.conf for given nodes.
# Usage: bash deploy/nginx/render.sh LISTEN CERT KEY NODE [NODE…] > backtest.conf
#   e.g. bash deploy/nginx/render.sh "443 ssl" /etc/backtest/tls/server.pem /etc/backtest/tls/server-key.pem 10.0.0.11:8000 10.0.0.12:8000
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: render.sh LISTEN CERT KEY NODE [NODE…]" >&2; exit 2; }
LISTEN=$1 CERT=$2 KEY=$3
shift 3
NODES=""
for node in "$@"; do
    [[ "$node" =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] || { echo "render.sh: '$node' is not HOST:PORT" >&2; exit 2; }
    NODES+="server $node max_fails=2 fail_timeout=10s; "
done
sed -e "s#__NODES__#$NODES#" -e "s#__LISTEN__#$LISTEN#" -e "s#__CERT__#$CERT#" -e "s#__KEY__#$KEY#" \
    "$(dirname "$0")/backtest.conf"
