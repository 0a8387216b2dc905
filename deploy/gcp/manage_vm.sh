#!/usr/bin/env bash
# manage_vm.sh: a backtest server on a Google Cloud VM, with gcloud.
#
#   manage_vm.sh create NAME --allow-from CIDR [--public] [--machine-type T] [--port P] [--binary PATH] [--network N]
#   manage_vm.sh deploy NAME [--binary PATH]
#   manage_vm.sh start|stop|status NAME        (start waits for /health unless --no-wait)
#   manage_vm.sh delete NAME [--yes]
#   manage_vm.sh ssh NAME [-- COMMAND…]
#   manage_vm.sh logs NAME [--follow] [--lines N] [--startup]
#   manage_vm.sh firewall NAME --allow-from CIDR [--public]
#   manage_vm.sh ip NAME                       prints `External IP: ADDR` (`ADDR:PORT` off port 8000)
#   manage_vm.sh connect NAME                  configure this machine's client for the VM
#
# Every verb takes --dry-run (print the gcloud commands, run nothing), --project P and
# --zone Z (defaults: CLOUDSDK_CORE_PROJECT / CLOUDSDK_COMPUTE_ZONE, then gcloud's config).
# `manage_vm.sh help` explains each verb; deploy/README.md has the workflow.
set -euo pipefail

PROG=manage_vm.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
REPO=$(cd "$HERE/../.." && pwd)
STARTUP=$HERE/startup.sh
UNIT=$REPO/deploy/systemd/backtest.service
DEFAULT_PORT=8000
DEFAULT_MACHINE_TYPE=e2-small
DEFAULT_NETWORK=default
REMOTE_RELEASE=/tmp/backtest-release.tar.gz
# Waiting for a new VM's SSH: attempts and seconds between them (tests shorten them).
SSH_TRIES=${BACKTEST_VM_SSH_TRIES:-40}
POLL_SECONDS=${BACKTEST_VM_POLL_SECONDS:-5}

usage() {
    cat <<EOF
usage: $PROG VERB NAME [options]

  create NAME --allow-from CIDR   a Debian 12 VM running the backtest server with TLS and a fresh
                                  API key; a firewall rule opens only its port, only to CIDR
                                  (comma-separated CIDRs work; 0.0.0.0/0 needs --public); then
                                  configures this machine's client (see connect)
         [--machine-type T]       default $DEFAULT_MACHINE_TYPE
         [--port P]               default $DEFAULT_PORT
         [--binary PATH]          the static Linux x86-64 release binary to install (default
                                  .build/release/backtest; *.resources folders next to it go too)
         [--network N]            default $DEFAULT_NETWORK
  deploy NAME [--binary PATH]     upload a new binary, restart, wait for /health; the previous
                                  binary comes back if the new one does not answer
  start NAME [--no-wait]          start the VM and wait until the server answers /health
  stop NAME                       stop the VM (its ephemeral external IP is released)
  status NAME                     VM state, addresses, firewall rule, service and /health
  delete NAME --yes               delete the VM and its firewall rule (asks on a terminal)
  ssh NAME [-- COMMAND...]        an SSH session (or one command) on the VM
  logs NAME [--follow] [--lines N] [--startup]
                                  the service's journal (--startup: the startup script's)
  firewall NAME --allow-from CIDR [--public]
                                  who may reach the server's port (replaces the ranges)
  ip NAME                         'External IP: ADDR' (ADDR:PORT when the port is not $DEFAULT_PORT):
                                  the client's discovery command
  connect NAME                    copy the VM's CA certificate and API key here and run
                                  backtest config set server|api-key|ca-cert|discover

Every verb: --dry-run (print the gcloud commands, run nothing), --project P, --zone Z
(defaults: CLOUDSDK_CORE_PROJECT, CLOUDSDK_COMPUTE_ZONE, then \`gcloud config\`).
The local client is \$BACKTEST_CLIENT, else \`backtest\` on PATH, else .build/release/backtest;
BACKTEST_CLIENT=none prints the \`backtest config set\` commands instead of running them.
EOF
}

# ---- output ----------------------------------------------------------------------------
say() { printf '%s\n' "$*" >&2; }
refuse() {
    say "$PROG: $*"
    exit 1
}
usage_error() {
    say "$PROG: $*"
    say "run '$PROG help' for usage"
    exit 2
}

# q ARG: ARG quoted for a POSIX shell, the way Python's shlex.quote does it.
q() {
    local s=$1
    if [[ -z $s ]]; then
        printf "''"
    elif [[ $s =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
        printf '%s' "$s"
    else
        printf "'%s'" "${s//\'/\'\"\'\"\'}"
    fi
}
# cmdline ARGS...: the command as one line a shell would read back.
cmdline() {
    local out="" a
    for a in "$@"; do out+="${out:+ }$(q "$a")"; done
    printf '%s' "$out"
}

DRY_RUN=0
# gc ARGS...: runs gcloud (printing the command first, on stderr, when it changes something
# and SHOW is 1), or in a dry run prints it on stdout and succeeds.
SHOW=0
gc() {
    if ((DRY_RUN)); then
        printf '%s\n' "$(cmdline gcloud "$@")"
        return 0
    fi
    if ((SHOW)); then
        # What changes something is shown, and its output goes to stderr with it: stdout
        # carries only what a verb reports (`External IP: …`, the status lines).
        say "+ $(cmdline gcloud "$@")"
        gcloud "$@" >&2
    else
        gcloud "$@"
    fi
}
# gc_show ARGS...: gc, showing the command (for the ones that change something).
gc_show() {
    local SHOW=1
    gc "$@"
}
# note TEXT: a step that is not a gcloud command; in a dry run a comment line.
note() {
    if ((DRY_RUN)); then printf '# %s\n' "$*"; else say "$*"; fi
}

# ---- arguments ---------------------------------------------------------------------------
VERB=${1:-}
[[ -n $VERB ]] || {
    usage >&2
    exit 2
}
shift
case $VERB in
-h | --help | help)
    usage
    exit 0
    ;;
create | deploy | start | stop | status | delete | ssh | logs | firewall | ip | connect) ;;
*) usage_error "unknown verb '$VERB' (create, deploy, start, stop, status, delete, ssh, logs, firewall, ip, connect)" ;;
esac

NAME="" OPT_PROJECT="" OPT_ZONE="" ALLOW_FROM="" PUBLIC=0 MACHINE_TYPE=$DEFAULT_MACHINE_TYPE
PORT=$DEFAULT_PORT PORT_GIVEN=0 BINARY="" NETWORK=$DEFAULT_NETWORK FOLLOW=0 LINES=100 STARTUP_LOG=0
YES=0 NO_WAIT=0
SSH_ARGS=()
# allowed OPTION: refuses options that do not belong to this verb.
allowed() {
    local option=$1 verbs=$2
    [[ " $verbs " == *" $VERB "* ]] || usage_error "$VERB does not take $option"
}
value_of() { # value_of OPTION NEXT: the option's value, or a usage error when missing
    [[ $# -ge 2 && -n $2 && $2 != --* ]] || usage_error "$1 needs a value"
    printf '%s' "$2"
}
while [[ $# -gt 0 ]]; do
    arg=$1
    case $arg in
    --*=*)
        # --option=value: split and handle as two words
        set -- "${arg%%=*}" "${arg#*=}" "${@:2}"
        continue
        ;;
    --dry-run) DRY_RUN=1 ;;
    --project)
        OPT_PROJECT=$(value_of "$@")
        shift
        ;;
    --zone)
        OPT_ZONE=$(value_of "$@")
        shift
        ;;
    --allow-from)
        allowed "$arg" "create firewall"
        ALLOW_FROM=$(value_of "$@")
        shift
        ;;
    --public)
        allowed "$arg" "create firewall"
        PUBLIC=1
        ;;
    --machine-type)
        allowed "$arg" "create"
        MACHINE_TYPE=$(value_of "$@")
        shift
        ;;
    --port)
        allowed "$arg" "create"
        PORT=$(value_of "$@")
        PORT_GIVEN=1
        shift
        ;;
    --binary)
        allowed "$arg" "create deploy"
        BINARY=$(value_of "$@")
        shift
        ;;
    --network)
        allowed "$arg" "create"
        NETWORK=$(value_of "$@")
        shift
        ;;
    --follow | -f)
        allowed "$arg" "logs"
        FOLLOW=1
        ;;
    --lines | -n)
        allowed "$arg" "logs"
        LINES=$(value_of "$@")
        shift
        ;;
    --startup)
        allowed "$arg" "logs"
        STARTUP_LOG=1
        ;;
    --yes | -y)
        allowed "$arg" "delete"
        YES=1
        ;;
    --no-wait)
        allowed "$arg" "start"
        NO_WAIT=1
        ;;
    --)
        allowed "--" "ssh"
        shift
        SSH_ARGS=("$@")
        break
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*) usage_error "unknown option '$arg'" ;;
    *)
        [[ -z $NAME ]] || usage_error "unexpected argument '$arg' (one VM name)"
        NAME=$arg
        ;;
    esac
    shift
done

[[ -n $NAME ]] || usage_error "$VERB needs a VM name"
# Compute Engine names: lowercase letters, digits and hyphens, starting with a letter; the
# firewall rule and network tag are backtest-NAME, so NAME may have 54 characters.
if ! [[ $NAME =~ ^[a-z]([-a-z0-9]*[a-z0-9])?$ ]] || ((${#NAME} > 54)); then
    usage_error "'$NAME' is not a VM name: lowercase letters, digits and hyphens, starting with a letter, at most 54 characters"
fi
RULE=backtest-$NAME
TAG=backtest-$NAME
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then usage_error "--port must be a port number (1-65535), got '$PORT'"; fi
if ! [[ $LINES =~ ^[0-9]+$ ]]; then usage_error "--lines must be a whole number, got '$LINES'"; fi

# check_allow_from: --allow-from given, every range a CIDR, 0.0.0.0/0 only with --public.
check_allow_from() {
    local port="port $PORT"
    [[ $VERB == firewall ]] && port="the server's port"
    [[ -n $ALLOW_FROM ]] || refuse "$VERB needs --allow-from CIDR: the addresses that may reach $port (e.g. 203.0.113.7/32 for one machine; several separated by commas)"
    local range world=0 ranges
    IFS=, read -r -a ranges <<<"$ALLOW_FROM"
    for range in "${ranges[@]}"; do
        if ! valid_cidr "$range"; then
            refuse "--allow-from: '$range' is not an IPv4 CIDR range (ADDRESS/BITS, e.g. 203.0.113.7/32)"
        fi
        [[ $range == 0.0.0.0/0 ]] && world=1
    done
    if ((world)); then
        ((PUBLIC)) || refuse "--allow-from 0.0.0.0/0 opens $port to the whole internet: add --public if that is what you want"
        say "$PROG: warning: $port will be open to the whole internet (0.0.0.0/0); only TLS and the API key protect the server"
    fi
}
valid_cidr() {
    local ip bits o b
    [[ $1 =~ ^([0-9]{1,3}(\.[0-9]{1,3}){3})/([0-9]{1,2})$ ]] || return 1
    ip=${BASH_REMATCH[1]} bits=${BASH_REMATCH[3]}
    ((10#$bits <= 32)) || return 1
    IFS=. read -r -a o <<<"$ip"
    for b in "${o[@]}"; do ((10#$b <= 255)) || return 1; done
}

# ---- gcloud, login, project and zone -------------------------------------------------------
have_gcloud() { command -v gcloud >/dev/null 2>&1; }
require_gcloud() {
    have_gcloud || refuse "gcloud is not installed (or not on PATH): install the Google Cloud CLI, https://cloud.google.com/sdk/docs/install"
}
require_login() {
    local account
    account=$(gcloud auth list --filter=status:ACTIVE --format='value(account)' 2>/dev/null) || account=""
    [[ -n $account ]] || refuse "gcloud is not logged in (no active account): run 'gcloud auth login'"
}
# preflight: gcloud present and logged in (skipped in a dry run), project and zone known.
preflight() {
    if ((!DRY_RUN)); then
        require_gcloud
        require_login
    fi
    resolve_scope
}
config_value() {
    local v=""
    if have_gcloud; then v=$(gcloud config get-value "$1" 2>/dev/null || true); fi
    [[ $v == "(unset)" ]] && v=""
    printf '%s' "$v"
}
PROJECT="" ZONE=""
resolve_scope() {
    PROJECT=${OPT_PROJECT:-${CLOUDSDK_CORE_PROJECT:-}}
    ZONE=${OPT_ZONE:-${CLOUDSDK_COMPUTE_ZONE:-}}
    [[ -n $PROJECT ]] || PROJECT=$(config_value core/project)
    [[ -n $ZONE ]] || ZONE=$(config_value compute/zone)
    [[ -n $PROJECT ]] || refuse "no project: pass --project P or set CLOUDSDK_CORE_PROJECT (or 'gcloud config set project P')"
    [[ -n $ZONE ]] || refuse "no zone: pass --zone Z or set CLOUDSDK_COMPUTE_ZONE (or 'gcloud config set compute/zone Z')"
    SCOPE=(--project "$PROJECT" --zone "$ZONE")
}

# with_timeout SECONDS COMMAND...: COMMAND, killed after SECONDS where `timeout` exists.
with_timeout() {
    local seconds=$1
    shift
    if command -v timeout >/dev/null 2>&1; then timeout "$seconds" "$@"; else "$@"; fi
}

# ---- the VM ----------------------------------------------------------------------------
VM_FORMAT='csv[no-heading](status,networkInterfaces[0].accessConfigs[0].natIP,networkInterfaces[0].networkIP,metadata.items.backtest-port,machineType.basename())'
VM_STATUS="" VM_IP="" VM_INTERNAL_IP="" VM_PORT=$DEFAULT_PORT VM_MACHINE_TYPE=""
# describe_vm: sets VM_*; refuses with one line when there is no such VM. In a dry run the
# command is printed and the VM is assumed RUNNING with placeholder addresses.
describe_vm() {
    if ((DRY_RUN)); then
        gc compute instances describe "$NAME" "${SCOPE[@]}" --format="$VM_FORMAT"
        VM_STATUS=RUNNING VM_IP="<EXTERNAL_IP>" VM_INTERNAL_IP="<INTERNAL_IP>" VM_MACHINE_TYPE="<MACHINE_TYPE>"
        ((PORT_GIVEN)) && VM_PORT=$PORT
        return 0
    fi
    local out err
    err=$(mktemp)
    if ! out=$(gcloud compute instances describe "$NAME" "${SCOPE[@]}" --format="$VM_FORMAT" 2>"$err"); then
        local message
        message=$(cat "$err")
        rm -f "$err"
        if [[ $message == *"was not found"* ]]; then
            refuse "no VM named $NAME in project $PROJECT, zone $ZONE ('gcloud compute instances list --project $PROJECT' lists them)"
        fi
        # Not logged in? Say so rather than relay gcloud's credential error.
        if [[ $VERB == ip ]]; then require_login; fi
        refuse "gcloud could not describe VM $NAME: $(printf '%s' "$message" | grep -v '^[[:space:]]*$' | tail -1 | sed 's/^ *- *//')"
    fi
    rm -f "$err"
    IFS=, read -r VM_STATUS VM_IP VM_INTERNAL_IP VM_PORT VM_MACHINE_TYPE <<<"$out"
    VM_PORT=${VM_PORT:-$DEFAULT_PORT}
}
require_running() {
    [[ $VM_STATUS == RUNNING ]] || refuse "VM $NAME is ${VM_STATUS:-not running}: start it first ('$PROG start $NAME')"
}

ssh_cmd() { # ssh_cmd COMMAND: gcloud arguments running COMMAND on the VM
    SSH=(compute ssh "$NAME" "${SCOPE[@]}" --quiet --command "$1")
}

# wait_ssh: until the VM accepts SSH (a new VM takes a minute or so).
wait_ssh() {
    ssh_cmd true
    local try
    if ((DRY_RUN)); then
        note "wait for SSH (up to $SSH_TRIES attempts, $POLL_SECONDS s apart):"
        gc "${SSH[@]}" --ssh-flag=-oConnectTimeout=10
        return 0
    fi
    say "waiting for SSH on $NAME..."
    for ((try = 1; try <= SSH_TRIES; try++)); do
        if gcloud "${SSH[@]}" --ssh-flag=-oConnectTimeout=10 </dev/null >/dev/null 2>&1; then
            return 0
        fi
        sleep "$POLL_SECONDS"
    done
    return 1
}

# ---- the release tarball -----------------------------------------------------------------
RELEASE=""
TMP=""
cleanup() { if [[ -n $TMP ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT

# find_binary: BINARY, checked: exists, is a Linux ELF executable, has the Swift runtime
# linked in (a binary that needs libswiftCore.so does not run on a VM without Swift).
find_binary() {
    if [[ -z $BINARY ]]; then
        BINARY=$REPO/.build/release/backtest
        [[ -e $BINARY ]] || refuse "no binary: build it ('swift build -c release --product backtest --static-swift-stdlib') or pass --binary PATH"
    fi
    [[ -f $BINARY && -x $BINARY ]] || refuse "--binary $BINARY is not an executable file"
    if command -v ldd >/dev/null 2>&1 && ldd "$BINARY" 2>/dev/null | grep -q 'libswiftCore\|libFoundation'; then
        refuse "$BINARY links the Swift runtime dynamically and will not run on the VM: build it with 'swift build -c release --product backtest --static-swift-stdlib'"
    fi
}
# make_release: a tar.gz of the binary (as `backtest`) and the *.resources folders next to it
# (SwiftPM resource bundles the binary looks for beside itself).
make_release() {
    local dir names="" r
    dir=$(cd "$(dirname "$BINARY")" && pwd)
    # (a list in a string, not an array: an empty array under `set -u` fails in bash 3.2, macOS's)
    for r in "$dir"/*.resources; do if [[ -d $r ]]; then names+="${names:+ }$(basename "$r")"; fi; done
    if ((DRY_RUN)); then
        RELEASE="<RELEASE.tar.gz>"
        note "pack $BINARY (as backtest)${names:+ and $names} into $RELEASE"
        return 0
    fi
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-release.XXXXXX")
    RELEASE=$TMP/backtest-release.tar.gz
    mkdir "$TMP/release"
    ln -s "$dir/$(basename "$BINARY")" "$TMP/release/backtest"
    for r in $names; do ln -s "$dir/$r" "$TMP/release/$r"; done
    say "packing $BINARY${names:+ and $names}..."
    # shellcheck disable=SC2086  # names: folder names without spaces, one word each
    (cd "$TMP/release" && tar -chf - backtest $names) | gzip -1 >"$RELEASE"
}

# install_release: upload the release and install it with startup.sh on the VM.
install_release() {
    gc_show compute scp "$RELEASE" "$NAME:$REMOTE_RELEASE" "${SCOPE[@]}" --quiet
    ssh_cmd "sudo bash -s -- install $REMOTE_RELEASE"
    if ((DRY_RUN)); then
        printf '%s < %s\n' "$(cmdline gcloud "${SSH[@]}")" "$(q "$STARTUP")"
        return 0
    fi
    say "+ $(cmdline gcloud "${SSH[@]}") < $(q "$STARTUP")"
    local status=0
    gcloud "${SSH[@]}" <"$STARTUP" || status=$?
    case $status in
    0) return 0 ;;
    3) refuse "deploy failed: the new binary did not answer /health; the previous binary is back and answers ('$PROG logs $NAME' shows why)" ;;
    4) refuse "deploy failed: the new binary did not answer /health, and neither does the previous one after the rollback ('$PROG logs $NAME')" ;;
    *) refuse "installing on $NAME failed (exit status $status; the lines above say why; '$PROG logs $NAME --startup' shows the provisioning log)" ;;
    esac
}

# push_metadata: the current startup script and unit, so the VM's next boot uses them.
push_metadata() {
    gc_show compute instances add-metadata "$NAME" "${SCOPE[@]}" \
        --metadata-from-file "startup-script=$STARTUP,backtest-unit=$UNIT"
}

# ---- the firewall rule ----------------------------------------------------------------------
FW_FORMAT='csv[no-heading](sourceRanges,allowed[0].ports)'
ensure_firewall() { # ensure_firewall PORT
    local port=$1 exists=0
    if ((DRY_RUN)); then
        gc compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT"
        [[ $VERB == firewall ]] && exists=1
        note "$([[ $exists == 1 ]] && echo "rule found: update it (create it when it is not there):" || echo "no rule yet: create it (update it when it is there):")"
    elif gcloud compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT" >/dev/null 2>&1; then
        exists=1
    fi
    if ((exists)); then
        gc_show compute firewall-rules update "$RULE" --project "$PROJECT" --source-ranges "$ALLOW_FROM"
    else
        gc_show compute firewall-rules create "$RULE" --project "$PROJECT" --network "$NETWORK" \
            --direction INGRESS --action ALLOW --rules "tcp:$port" --source-ranges "$ALLOW_FROM" \
            --target-tags "$TAG" --description "backtest server on VM $NAME: port $port"
    fi
}

# ---- the local client ------------------------------------------------------------------------
CLIENT=()
find_client() {
    if [[ ${BACKTEST_CLIENT:-} == none ]]; then
        CLIENT=()
    elif [[ -n ${BACKTEST_CLIENT:-} ]]; then
        CLIENT=("$BACKTEST_CLIENT")
    elif command -v backtest >/dev/null 2>&1; then
        CLIENT=(backtest)
    elif [[ -x $REPO/.build/release/backtest ]] && "$REPO/.build/release/backtest" --help >/dev/null 2>&1; then
        CLIENT=("$REPO/.build/release/backtest")
    fi
}
config_dir() { printf '%s/backtest' "${XDG_CONFIG_HOME:-$HOME/.config}"; }

# connect: CA certificate and API key from the VM; `backtest config set …` here.
connect() {
    describe_vm
    require_running
    [[ -n $VM_IP ]] || refuse "VM $NAME has no external IP"
    local dir ca key url discover
    dir=$(config_dir)
    ca=$dir/$NAME-ca.pem
    url=https://$VM_IP:$VM_PORT
    discover="$(q "$SELF") ip $NAME --project $(q "$PROJECT") --zone $(q "$ZONE")"
    if ((DRY_RUN)); then
        printf '%s\n' "$(cmdline mkdir -p "$dir")"
        gc compute scp "$NAME:/etc/backtest/tls/ca.pem" "$ca" "${SCOPE[@]}" --quiet
        ssh_cmd "sudo bash -s -- api-key"
        printf '%s < %s\n' "$(cmdline gcloud "${SSH[@]}")" "$(q "$STARTUP")"
        key="<API_KEY>"
    else
        mkdir -p "$dir"
        gc compute scp "$NAME:/etc/backtest/tls/ca.pem" "$ca" "${SCOPE[@]}" --quiet >/dev/null ||
            refuse "could not copy /etc/backtest/tls/ca.pem from $NAME (is the server installed? '$PROG deploy $NAME')"
        ssh_cmd "sudo bash -s -- api-key"
        key=$(gcloud "${SSH[@]}" <"$STARTUP" | tr -d '\r' | grep -E '^[A-Za-z0-9_.~+/=-]{16,}$' | head -1) ||
            refuse "could not read the API key from $NAME"
    fi
    find_client
    local settings=("server $url" "api-key $key" "ca-cert $ca" "discover $discover") s
    if ((DRY_RUN)); then
        for s in "${settings[@]}"; do printf '%s\n' "$(cmdline "${CLIENT[@]:-backtest}" config set "${s%% *}" "${s#* }")"; done
        return 0
    fi
    if ((${#CLIENT[@]} == 0)); then
        local keyfile=$dir/$NAME-api-key
        (umask 077 && printf '%s\n' "$key" >"$keyfile")
        say "no backtest client to configure (BACKTEST_CLIENT, or backtest on PATH); configure it with:"
        say "  backtest config set server $url"
        say "  backtest config set api-key \"\$(cat $(q "$keyfile"))\""
        say "  backtest config set ca-cert $(q "$ca")"
        say "  backtest config set discover $(q "$discover")"
        return 0
    fi
    for s in "${settings[@]}"; do
        "${CLIENT[@]}" config set "${s%% *}" "${s#* }" >/dev/null ||
            refuse "'${CLIENT[*]} config set ${s%% *}' failed (a client without 'backtest config'? set BACKTEST_CLIENT to a newer build)"
    done
    say "client configured: server $url, CA certificate $ca, API key from $NAME, discovery '$discover'"
    if with_timeout 60 "${CLIENT[@]}" health >/dev/null 2>&1; then
        say "$url answers /health from here: 'backtest batch AAPL MSFT' runs there now"
    else
        say "$PROG: warning: $url does not answer from here although the server runs: is this machine's address inside the firewall rule's ranges? ('$PROG status $NAME' shows them; '$PROG firewall $NAME --allow-from CIDR' changes them)"
    fi
}

# ---- the verbs ----------------------------------------------------------------------------
verb_create() {
    check_allow_from
    find_binary
    [[ -f $UNIT ]] || refuse "missing $UNIT"
    preflight
    make_release
    VM_PORT=$PORT
    gc_show compute instances create "$NAME" "${SCOPE[@]}" \
        --machine-type "$MACHINE_TYPE" --network "$NETWORK" \
        --image-family debian-12 --image-project debian-cloud \
        --tags "$TAG" --metadata "backtest-port=$PORT" \
        --metadata-from-file "startup-script=$STARTUP,backtest-unit=$UNIT" \
        --no-service-account --no-scopes \
        --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring ||
        refuse "could not create VM $NAME (gcloud's message above)"
    ensure_firewall "$PORT" || refuse "VM $NAME exists but its firewall rule could not be made: '$PROG firewall $NAME --allow-from $ALLOW_FROM' tries again"
    wait_ssh || refuse "VM $NAME does not accept SSH after $((SSH_TRIES * POLL_SECONDS)) s; when it does: '$PROG deploy $NAME' then '$PROG connect $NAME'"
    install_release
    connect
}

verb_deploy() {
    find_binary
    preflight
    describe_vm
    require_running
    make_release
    push_metadata
    install_release
    note "deployed to $NAME: the server answers /health"
}

verb_start() {
    preflight
    describe_vm
    if [[ $VM_STATUS == RUNNING ]] && ((!DRY_RUN)); then
        say "VM $NAME is already running"
    else
        gc_show compute instances start "$NAME" "${SCOPE[@]}" || refuse "could not start VM $NAME"
        describe_vm
    fi
    ((DRY_RUN)) || print_ip
    if ((NO_WAIT)); then return 0; fi
    wait_ssh || refuse "VM $NAME started but does not accept SSH yet; '$PROG status $NAME' shows when the server is up"
    ssh_cmd "sudo bash -s -- health 180"
    if ((DRY_RUN)); then
        printf '%s < %s\n' "$(cmdline gcloud "${SSH[@]}")" "$(q "$STARTUP")"
        return 0
    fi
    if gcloud "${SSH[@]}" <"$STARTUP" >/dev/null; then
        say "the server answers /health; clients find the new address with their discovery command ('$PROG ip $NAME')"
    else
        refuse "VM $NAME started but the server does not answer /health ('$PROG logs $NAME')"
    fi
}

verb_stop() {
    preflight
    describe_vm
    if [[ $VM_STATUS == TERMINATED ]] && ((!DRY_RUN)); then
        say "VM $NAME is already stopped"
        return 0
    fi
    gc_show compute instances stop "$NAME" "${SCOPE[@]}" || refuse "could not stop VM $NAME"
    note "stopped: the external IP is released; after '$PROG start $NAME' clients re-discover the new one"
}

print_ip() {
    [[ $VM_STATUS == RUNNING && -n $VM_IP ]] ||
        refuse "VM $NAME has no external IP (it is ${VM_STATUS:-not running}; '$PROG start $NAME' starts it)"
    if [[ $VM_PORT == "$DEFAULT_PORT" ]]; then
        printf 'External IP: %s\n' "$VM_IP"
    else
        printf 'External IP: %s:%s\n' "$VM_IP" "$VM_PORT"
    fi
}

verb_ip() {
    # The client's discovery command: one gcloud call when all is well (a missing login is
    # diagnosed when the call fails).
    if ((!DRY_RUN)); then require_gcloud; fi
    resolve_scope
    describe_vm
    ((DRY_RUN)) || print_ip
}

verb_status() {
    preflight
    describe_vm
    local fw ranges ports
    if ((DRY_RUN)); then
        gc compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT"
        ssh_cmd "sudo bash -s -- status"
        printf '%s < %s\n' "$(cmdline gcloud "${SSH[@]}")" "$(q "$STARTUP")"
        return 0
    fi
    echo "VM:        $NAME (project $PROJECT, zone $ZONE, $VM_MACHINE_TYPE)"
    echo "status:    $VM_STATUS"
    if [[ -n $VM_IP ]]; then
        echo "external:  $VM_IP (https://$VM_IP:$VM_PORT)"
    else
        echo "external:  none"
    fi
    echo "internal:  ${VM_INTERNAL_IP:-none}"
    if fw=$(gcloud compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT" 2>/dev/null); then
        IFS=, read -r ranges ports <<<"$fw"
        echo "firewall:  $RULE: tcp:${ports:-?} from ${ranges//;/, }"
    else
        echo "firewall:  no rule $RULE: nothing can reach the server ('$PROG firewall $NAME --allow-from CIDR')"
    fi
    if [[ $VM_STATUS == RUNNING ]]; then
        ssh_cmd "sudo bash -s -- status"
        local remote
        if remote=$(with_timeout 90 gcloud "${SSH[@]}" <"$STARTUP" 2>/dev/null); then
            printf '%s\n' "$remote"
        else
            echo "service:   unknown (SSH to $NAME failed: '$PROG ssh $NAME' shows why)"
        fi
    fi
}

verb_delete() {
    preflight
    describe_vm
    if ((!YES && !DRY_RUN)); then
        [[ -t 0 ]] || refuse "delete needs --yes when not run from a terminal"
        local answer
        read -r -p "Delete VM $NAME (its database goes with it) and firewall rule $RULE? [y/N] " answer
        [[ $answer == [yY]* ]] || refuse "not deleted"
    fi
    gc_show compute instances delete "$NAME" "${SCOPE[@]}" --quiet || refuse "could not delete VM $NAME"
    if ((DRY_RUN)); then
        gc compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT"
        gc compute firewall-rules delete "$RULE" --project "$PROJECT" --quiet
    elif gcloud compute firewall-rules describe "$RULE" --project "$PROJECT" --format="$FW_FORMAT" >/dev/null 2>&1; then
        gc_show compute firewall-rules delete "$RULE" --project "$PROJECT" --quiet || refuse "VM $NAME deleted, but not firewall rule $RULE"
    fi
    note "deleted $NAME; the client's config may still name it ('backtest config show')"
}

verb_ssh() {
    preflight
    describe_vm
    local args=(compute ssh "$NAME" "${SCOPE[@]}")
    ((${#SSH_ARGS[@]} == 0)) || args+=(-- "${SSH_ARGS[@]}")
    if ((DRY_RUN)); then
        gc "${args[@]}"
    else
        exec gcloud "${args[@]}"
    fi
}

verb_logs() {
    preflight
    describe_vm
    require_running
    local unit=backtest.service
    ((STARTUP_LOG)) && unit=google-startup-scripts.service
    local command="sudo journalctl -u $unit --no-pager -n $LINES"
    ((FOLLOW)) && command+=" -f"
    ssh_cmd "$command"
    if ((DRY_RUN)); then
        gc "${SSH[@]}"
    else
        exec gcloud "${SSH[@]}"
    fi
}

verb_firewall() {
    check_allow_from
    preflight
    describe_vm
    ensure_firewall "$VM_PORT"
    note "firewall rule $RULE: tcp:$VM_PORT from $ALLOW_FROM"
}

verb_connect() {
    preflight
    connect
}

"verb_$VERB"
