#!/bin/bash
# The VM side of deploy/gcp/manage_vm.sh: provisions a Debian 12 VM as a backtest server.
#
# It runs as root in two ways:
#   - as the VM's startup script (metadata `startup-script`), at every boot, with no
#     arguments: it provisions (below), and when a binary is installed it makes sure the TLS
#     certificate names the VM's current addresses (an ephemeral external IP changes after a
#     stop and start) and that the service runs;
#   - through `gcloud compute ssh VM --command 'sudo bash -s -- VERB …' < startup.sh`, which
#     is how manage_vm.sh runs the verbs below on the VM.
#
# Verbs:
#   (none)                  boot: provision; start the server if a binary is installed
#   install TARBALL         install a release (a tar.gz of `backtest` and the
#                           `*.resources` folders next to it), restart, wait for /health;
#                           roll back to the previous release when it does not answer
#   api-key                 print the first API key (for the client's config)
#   status                  the service's state and its /health reply
#   health [SECONDS]        wait until /health answers (default 60 s)
#
# Provisioning (idempotent; concurrent runs wait for each other on a lock):
#   /etc/backtest/api-keys        a fresh random API key (0600), created once
#   /etc/backtest/env             BACKTEST_HOST=0.0.0.0, BACKTEST_PORT (metadata
#                                 `backtest-port`), BACKTEST_DB; written once, then the admin's
#   /etc/backtest/tls/            `backtest cert init --host EXTERNAL_IP,INTERNAL_IP,127.0.0.1`:
#                                 ca.pem, ca-key.pem, server.pem, server-key.pem (keys 0600);
#                                 issued again (same CA) when the addresses change
#   /etc/systemd/system/backtest.service   from metadata `backtest-unit` (the repository's
#                                 deploy/systemd/backtest.service), plus a drop-in granting
#                                 CAP_NET_BIND_SERVICE when the port is below 1024
#   /usr/local/lib/backtest/current/       the installed release; previous/ the one before;
#   /usr/local/bin/backtest       a symbolic link to current/backtest (the unit's ExecStart)
#
# Exit status of `install`: 0 installed and answering; 3 it did not answer /health and the
# previous release was restored (and answers); 4 restored but that one does not answer
# either; 1 anything else (nothing installed, or a first install that does not answer).
#
# For tests, BACKTEST_ROOT prefixes every path written (a temporary directory standing in
# for /), BACKTEST_METADATA_URL replaces the metadata server (a file:// URL works), and
# BACKTEST_HEALTH_SECONDS / BACKTEST_HEALTH_INTERVAL bound the /health waits.
set -euo pipefail

ROOT=${BACKTEST_ROOT:-}
METADATA=${BACKTEST_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}
HEALTH_SECONDS=${BACKTEST_HEALTH_SECONDS:-60}
HEALTH_INTERVAL=${BACKTEST_HEALTH_INTERVAL:-1}
ETC=$ROOT/etc/backtest
TLS=$ETC/tls
LIB=$ROOT/usr/local/lib/backtest
BIN_LINK=$ROOT/usr/local/bin/backtest
UNIT_DIR=$ROOT/etc/systemd/system
UNIT=$UNIT_DIR/backtest.service
DROPIN_DIR=$UNIT_DIR/backtest.service.d
LOCK=$ROOT/run/backtest-provision.lock
DEFAULT_PORT=8000

log() { printf 'backtest-provision: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

# metadata PATH: a value from the metadata server; fails when it is not there.
metadata() { curl -fsS --max-time 5 -H 'Metadata-Flavor: Google' "$METADATA/$1" 2>/dev/null; }
attribute() { metadata "instance/attributes/$1" || true; }

server_port() {
    local port
    port=$(attribute backtest-port)
    port=${port:-$DEFAULT_PORT}
    if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        die "metadata backtest-port is not a port: '$port'"
    fi
    echo "$port"
}

# The addresses the certificate names: external IP (when the VM has one), internal IP,
# 127.0.0.1 (the health checks below connect there).
cert_hosts() {
    local external internal hosts=""
    external=$(metadata instance/network-interfaces/0/access-configs/0/external-ip || true)
    internal=$(metadata instance/network-interfaces/0/ip || true)
    for h in "$external" "$internal" 127.0.0.1; do
        [[ -n $h && ,$hosts, != *,$h,* ]] && hosts=${hosts:+$hosts,}$h
    done
    echo "$hosts"
}

provision() {
    local port unit
    if ! command -v curl >/dev/null 2>&1; then   # Debian's cloud images have it; just in case
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
    fi
    port=$(server_port)
    mkdir -p "$ETC" "$TLS" "$LIB" "$(dirname "$BIN_LINK")" "$UNIT_DIR"
    chmod 0755 "$ETC" "$TLS"

    if [[ ! -s $ETC/api-keys ]]; then
        local key
        key=$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
        (umask 077 && printf '# API keys accepted by backtest serve, one per line (clients send one as a Bearer token).\n%s\n' "$key" >"$ETC/api-keys.tmp")
        mv -f "$ETC/api-keys.tmp" "$ETC/api-keys"
        log "created an API key in /etc/backtest/api-keys"
    fi
    chmod 0600 "$ETC/api-keys"

    if [[ ! -e $ETC/env ]]; then
        cat >"$ETC/env.tmp" <<EOF
# Settings for backtest.service (EnvironmentFile=): any BACKTEST_* variable \`backtest serve\`
# reads. Written once by deploy/gcp/startup.sh; edit it, then \`systemctl restart backtest\`.
# The TLS certificate and key (/etc/backtest/tls/server.pem, server-key.pem) and the API keys
# (/etc/backtest/api-keys) are handed to the service by the unit (LoadCredential=).
BACKTEST_HOST=0.0.0.0
BACKTEST_PORT=$port
BACKTEST_DB=/var/lib/backtest/backtest.sqlite
EOF
        chmod 0644 "$ETC/env.tmp"
        mv -f "$ETC/env.tmp" "$ETC/env"
        log "wrote /etc/backtest/env (port $port)"
    fi

    local changed=0
    unit=$(attribute backtest-unit)
    if [[ -n $unit ]]; then
        if [[ ! -e $UNIT ]] || [[ "$(cat "$UNIT")" != "$unit" ]]; then
            printf '%s\n' "$unit" >"$UNIT.tmp"
            chmod 0644 "$UNIT.tmp"
            mv -f "$UNIT.tmp" "$UNIT"
            changed=1
            log "installed /etc/systemd/system/backtest.service"
        fi
    elif [[ ! -e $UNIT ]]; then
        die "no systemd unit: metadata backtest-unit is empty and $UNIT does not exist"
    fi
    if ((port < 1024)); then
        mkdir -p "$DROPIN_DIR"
        local dropin
        dropin=$(printf '%s\n' '# Port below 1024: written by deploy/gcp/startup.sh.' '[Service]' \
            'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'AmbientCapabilities=CAP_NET_BIND_SERVICE')
        if [[ "$(cat "$DROPIN_DIR/low-port.conf" 2>/dev/null)" != "$dropin" ]]; then
            printf '%s\n' "$dropin" >"$DROPIN_DIR/low-port.conf"
            changed=1
        fi
    elif [[ -e $DROPIN_DIR/low-port.conf ]]; then
        rm -f "$DROPIN_DIR/low-port.conf"
        changed=1
    fi
    if ((changed)); then
        systemctl daemon-reload
    fi
    systemctl enable --quiet backtest.service
}

# Issues the certificate when it is missing or names other addresses (an existing CA is
# kept: `backtest cert init` reuses DIR/ca.pem and DIR/ca-key.pem). Sets CERT_CHANGED;
# returns 1 (after saying why) when the certificate could not be issued.
CERT_CHANGED=0
ensure_cert() {
    local hosts ca_before="" ca_after
    hosts=$(cert_hosts)
    if [[ -s $TLS/server.pem && -s $TLS/server-key.pem && "$(cat "$TLS/hosts" 2>/dev/null)" == "$hosts" ]]; then
        return 0
    fi
    if [[ -s $TLS/ca.pem ]]; then ca_before=$(sha256sum <"$TLS/ca.pem"); fi
    log "issuing the TLS certificate for $hosts"
    if ! "$BIN_LINK" cert init --host "$hosts" --out "$TLS" >&2; then
        log "backtest cert init --host $hosts --out /etc/backtest/tls failed"
        return 1
    fi
    if [[ ! -s $TLS/ca.pem || ! -s $TLS/server.pem || ! -s $TLS/server-key.pem ]]; then
        log "backtest cert init did not write ca.pem, server.pem and server-key.pem in /etc/backtest/tls"
        return 1
    fi
    chmod 0600 "$TLS/server-key.pem"
    if [[ -e $TLS/ca-key.pem ]]; then chmod 0600 "$TLS/ca-key.pem"; fi
    chmod 0644 "$TLS/ca.pem" "$TLS/server.pem"
    printf '%s\n' "$hosts" >"$TLS/hosts"
    ca_after=$(sha256sum <"$TLS/ca.pem")
    if [[ -n $ca_before && $ca_before != "$ca_after" ]]; then
        log "WARNING: the CA certificate changed; clients must fetch it again (manage_vm.sh connect VM)"
    fi
    CERT_CHANGED=1
}

# wait_health SECONDS: until GET /health answers over TLS on 127.0.0.1.
wait_health() {
    local seconds=$1 port waited=0
    port=$(server_port)
    while true; do
        if curl -fsS --max-time 3 --cacert "$TLS/ca.pem" "https://127.0.0.1:$port/health" >/dev/null 2>&1; then
            return 0
        fi
        if ! awk -v w="$waited" -v s="$seconds" 'BEGIN { exit !(w < s) }'; then
            return 1
        fi
        sleep "$HEALTH_INTERVAL"
        waited=$(awk -v w="$waited" -v i="$HEALTH_INTERVAL" 'BEGIN { print w + i }')
    done
}

journal_tail() {
    journalctl -u backtest.service -n 25 --no-pager 2>/dev/null | sed 's/^/    /' >&2 || true
}

boot() {
    provision
    if [[ ! -x $BIN_LINK ]]; then
        log "no binary installed yet: manage_vm.sh create/deploy uploads it"
        return 0
    fi
    ensure_cert || return 1
    if ((CERT_CHANGED)) || ! systemctl is-active --quiet backtest.service; then
        systemctl restart backtest.service
    fi
    if wait_health "$HEALTH_SECONDS"; then
        log "backtest answers /health on port $(server_port)"
    else
        log "backtest does not answer /health after ${HEALTH_SECONDS} s:"
        journal_tail
        return 1
    fi
}

install_release() {
    local tarball=${1:-}
    [[ -n $tarball && -f $tarball ]] || die "install: no release tarball at '$tarball'"
    provision

    rm -rf "$LIB/new"
    mkdir -p "$LIB/new"
    # Owned by root whoever packed it (root runs `backtest cert init` from here), writable by
    # nobody else.
    tar --no-same-owner --no-same-permissions -xzf "$tarball" -C "$LIB/new" ||
        die "install: $tarball is not a readable tar.gz"
    rm -f "$tarball"
    chmod -R go-w "$LIB/new"
    [[ -f $LIB/new/backtest ]] || die "install: the release has no 'backtest' binary"
    chmod 0755 "$LIB/new/backtest"
    local out
    if ! out=$("$LIB/new/backtest" --help 2>&1 >/dev/null); then
        rm -rf "$LIB/new"
        die "install: the uploaded binary does not run on this VM (build it with --static-swift-stdlib): $(printf '%s' "$out" | head -3 | tr '\n' ' ')"
    fi

    local had_previous=0
    if [[ -d $LIB/current ]]; then
        rm -rf "$LIB/previous"
        mv "$LIB/current" "$LIB/previous"
        had_previous=1
    fi
    mv "$LIB/new" "$LIB/current"
    ln -sfn ../lib/backtest/current/backtest "$BIN_LINK"

    if ensure_cert && systemctl restart backtest.service && wait_health "$HEALTH_SECONDS"; then
        log "installed; backtest answers /health on port $(server_port)"
        return 0
    fi
    log "the new release does not answer /health within ${HEALTH_SECONDS} s; its journal:"
    journal_tail
    if ((!had_previous)); then
        return 1
    fi
    log "rolling back to the previous release"
    rm -rf "$LIB/failed"
    mv "$LIB/current" "$LIB/failed"
    mv "$LIB/previous" "$LIB/current"
    systemctl restart backtest.service || true
    if wait_health "$HEALTH_SECONDS"; then
        log "rolled back: the previous release answers /health (the failed one is in /usr/local/lib/backtest/failed)"
        return 3
    fi
    log "rolled back, but the previous release does not answer /health either"
    journal_tail
    return 4
}

print_api_key() {
    [[ -s $ETC/api-keys ]] || die "no /etc/backtest/api-keys yet"
    local key
    key=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$ETC/api-keys" | head -1 | tr -d '[:space:]' || true)
    [[ -n $key ]] || die "/etc/backtest/api-keys has no key"
    printf '%s\n' "$key"
}

status() {
    local state port
    state=$(systemctl is-active backtest.service 2>/dev/null || true)
    port=$(server_port)
    echo "service: ${state:-unknown} (systemctl status backtest)"
    local health
    if health=$(curl -fsS --max-time 3 --cacert "$TLS/ca.pem" "https://127.0.0.1:$port/health" 2>&1); then
        echo "health:  $health"
    else
        echo "health:  no answer on https://127.0.0.1:$port/health ($(printf '%s' "$health" | head -1))"
    fi
}

main() {
    # Under `bash -s` the rest of this script is read from stdin: nothing below may read it.
    exec </dev/null
    [[ $(id -u) -eq 0 || -n $ROOT ]] || die "run as root (sudo)"
    local verb=${1:-boot}
    [[ $# -gt 0 ]] && shift
    mkdir -p "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    case $verb in
    boot)
        flock -w 900 9 || die "another provisioning run holds $LOCK"
        boot
        ;;
    install)
        flock -w 900 9 || die "another provisioning run holds $LOCK"
        install_release "$@"
        ;;
    api-key) print_api_key ;;
    status) status ;;
    health)
        if wait_health "${1:-60}"; then echo "backtest answers /health"; else die "backtest does not answer /health after ${1:-60} s"; fi
        ;;
    *) die "unknown verb '$verb' (boot, install TARBALL, api-key, status, health [SECONDS])" ;;
    esac
}

main "$@"
