"""A stand-in for `gcloud`, for the deploy tests: no cloud, no network.

It answers the commands deploy/gcp/manage_vm.sh runs the way gcloud does (output, error
messages, exit status), keeps the pretend project's VMs and firewall rules in a JSON state
file, and appends every invocation to a log, one line per call, as `gcloud ARGS` quoted with
shlex.join (the same quoting manage_vm.sh's --dry-run prints).

Environment:
  FAKE_GCLOUD_STATE   the state file (JSON, see `default_state`); created when missing
  FAKE_GCLOUD_LOG     the invocation log
  FAKE_GCLOUD_DIR     where stdin passed to `compute ssh` and uploaded files are kept
                      (stdin-N.txt, uploads/NAME)

Unknown flags are refused like gcloud refuses them ("unrecognized arguments", exit 2), so a
typo in manage_vm.sh fails the tests instead of passing silently.
"""

import json
import os
import re
import shlex
import shutil
import sys

# Flags that take a value, per command group; every other flag is boolean (listed below).
VALUE_FLAGS = {
    "--project", "--zone", "--format", "--filter", "--machine-type", "--network",
    "--image-family", "--image-project", "--tags", "--metadata", "--metadata-from-file",
    "--direction", "--action", "--rules", "--source-ranges", "--target-tags",
    "--description", "--command", "--ssh-flag", "--boot-disk-size",
}
BOOL_FLAGS = {
    "--quiet", "--no-service-account", "--no-scopes", "--shielded-secure-boot",
    "--shielded-vtpm", "--shielded-integrity-monitoring",
}


def default_state():
    return {
        "account": "tester@example.com",      # "" = not logged in
        "config": {},                         # gcloud config values, e.g. {"core/project": "p"}
        "instances": {},                      # "project/zone/name" -> instance
        "firewalls": {},                      # "project/name" -> rule
        "ip_pool": ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"],  # next external IPs
        "next_internal": 2,
        "ssh_failures": 0,                    # SSH attempts that fail before one works
        "install_exit": 0,                    # what `startup.sh install` exits with
        "install_output": "backtest-provision: installed; backtest answers /health on port 8000",
        "health_exit": 0,                     # what `startup.sh health` exits with
        "api_key": "fake-api-key-0123456789abcdefghij",
        "ca_pem": "-----BEGIN CERTIFICATE-----\nFAKE CA\n-----END CERTIFICATE-----\n",
        "ca_file": "",                        # a file whose content `scp VM:.../ca.pem` copies
        "ssh_count": 0,
    }


class Refused(Exception):
    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def load(path):
    state = default_state()
    if os.path.exists(path):
        with open(path) as f:
            state.update(json.load(f))
    return state


def save(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def parse(argv):
    """Splits gcloud arguments into (positionals, flags); `--` ends flag parsing."""
    positionals, flags, rest = [], {}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest = argv[i + 1:]
            break
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name in VALUE_FLAGS:
                if not eq:
                    if i + 1 >= len(argv):
                        raise Refused(f"ERROR: (gcloud) argument {name}: expected one argument", 2)
                    i += 1
                    value = argv[i]
                flags.setdefault(name, []).append(value)
            elif name in BOOL_FLAGS and not eq:
                flags[name] = [True]
            else:
                raise Refused(f"ERROR: (gcloud) unrecognized arguments: {a}", 2)
        else:
            positionals.append(a)
        i += 1
    return positionals, flags, rest


def one(flags, name, default=None):
    values = flags.get(name)
    return values[-1] if values else default


# ---- resource projections: the handful of --format forms manage_vm.sh uses --------------
def resolve(resource, path):
    """Evaluates a gcloud projection key such as `networkInterfaces[0].accessConfigs[0].natIP`,
    `metadata.items.backtest-port` or `machineType.basename()`."""
    value = resource
    for part in re.findall(r"[^.\[\]]+(?:\(\))?|\[\d+\]", path):
        if value is None:
            return None
        if part == "basename()":
            value = str(value).rstrip("/").rsplit("/", 1)[-1]
        elif part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        elif isinstance(value, dict):
            if part in value:
                value = value[part]
            else:
                value = None
        elif isinstance(value, list) and value and isinstance(value[0], dict) and "key" in value[0]:
            # gcloud's lookup of a key in a list of {key, value} items (metadata.items.KEY)
            value = next((item.get("value") for item in value if item.get("key") == part), None)
        else:
            value = None
    return value


def render(resource, fmt):
    if fmt is None or fmt == "json":
        return json.dumps(resource, indent=2, sort_keys=True) + "\n"
    m = re.fullmatch(r"(value|csv)(\[[^\]]*\])?\((.*)\)", fmt)
    if not m:
        raise Refused(f"fake gcloud: unsupported --format {fmt!r}", 3)
    kind, attrs, keys = m.group(1), m.group(2) or "", m.group(3)
    if kind == "csv" and "no-heading" not in attrs:
        raise Refused("fake gcloud: csv without no-heading is not supported", 3)
    separator = "\t" if kind == "value" else ","
    delimiter = ";" if kind == "csv" else ","
    fields = []
    for key in split_keys(keys):
        value = resolve(resource, key)
        if value is None:
            fields.append("")
        elif isinstance(value, list):
            fields.append(delimiter.join(str(v) for v in value))
        elif isinstance(value, bool):
            fields.append(str(value))
        else:
            fields.append(str(value))
    return separator.join(fields) + "\n"


def split_keys(keys):
    out, depth, current = [], 0, ""
    for c in keys:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += c
    if current.strip():
        out.append(current.strip())
    return out


# ---- the commands --------------------------------------------------------------------------
def not_found(command, path):
    return Refused(
        f"ERROR: ({command}) Could not fetch resource:\n - The resource '{path}' was not found\n", 1
    )


def scope(flags, zonal=True):
    project = one(flags, "--project") or os.environ.get("CLOUDSDK_CORE_PROJECT")
    if not project:
        raise Refused("ERROR: (gcloud) The required property [project] is not currently set.", 1)
    if not zonal:
        return project, None
    zone = one(flags, "--zone") or os.environ.get("CLOUDSDK_COMPUTE_ZONE")
    if not zone:
        raise Refused("ERROR: (gcloud) Underspecified resource [vm]. Specify the [--zone] flag.", 1)
    return project, zone


def require_account(state, command):
    if not state["account"]:
        raise Refused(
            f"ERROR: ({command}) You do not currently have an active account selected.\n"
            "Please run:\n\n  $ gcloud auth login\n", 1)


def instance_resource(project, zone, name, inst):
    access = {"name": "External NAT", "type": "ONE_TO_ONE_NAT"}
    if inst["status"] == "RUNNING" and inst.get("natIP"):
        access["natIP"] = inst["natIP"]
    return {
        "name": name,
        "status": inst["status"],
        "zone": f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}",
        "machineType": f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/machineTypes/{inst['machineType']}",
        "networkInterfaces": [{"networkIP": inst["networkIP"], "accessConfigs": [access]}],
        "metadata": {"items": [{"key": k, "value": v} for k, v in sorted(inst["metadata"].items())]},
        "tags": {"items": inst.get("tags", [])},
    }


def compute_instances(state, verb, pos, flags):
    command = f"gcloud.compute.instances.{verb.replace('-', '_')}"
    require_account(state, command)
    if not pos:
        raise Refused(f"ERROR: ({command}) argument INSTANCE_NAMES: Must be specified.", 2)
    name = pos[0]
    project, zone = scope(flags)
    key = f"{project}/{zone}/{name}"
    path = f"projects/{project}/zones/{zone}/instances/{name}"
    inst = state["instances"].get(key)
    out = ""
    if verb == "create":
        if inst:
            raise Refused(f"ERROR: ({command}) Could not fetch resource:\n - The resource '{path}' already exists\n")
        metadata = {}
        for m in flags.get("--metadata", []):
            for pair in m.split(","):
                k, _, v = pair.partition("=")
                metadata[k] = v
        for m in flags.get("--metadata-from-file", []):
            for pair in m.split(","):
                k, _, v = pair.partition("=")
                with open(v) as f:
                    metadata[k] = f.read()
        state["instances"][key] = {
            "status": "RUNNING",
            "natIP": state["ip_pool"].pop(0),
            "networkIP": f"10.128.0.{state['next_internal']}",
            "machineType": one(flags, "--machine-type", "n1-standard-1"),
            "metadata": metadata,
            "tags": (one(flags, "--tags") or "").split(",") if one(flags, "--tags") else [],
        }
        state["next_internal"] += 1
        inst = state["instances"][key]
        sys.stderr.write(f"Created [https://www.googleapis.com/compute/v1/{path}].\n")
        out = "NAME  ZONE  MACHINE_TYPE  PREEMPTIBLE  INTERNAL_IP  EXTERNAL_IP  STATUS\n"
        out += f"{name}  {zone}  {inst['machineType']}    {inst['networkIP']}  {inst['natIP']}  RUNNING\n"
        return out
    if inst is None:
        raise not_found(command, path)
    if verb == "describe":
        return render(instance_resource(project, zone, name, inst), one(flags, "--format"))
    if verb == "start":
        if inst["status"] != "RUNNING":
            inst["status"] = "RUNNING"
            inst["natIP"] = state["ip_pool"].pop(0)  # an ephemeral IP: a new one each start
        sys.stderr.write(f"Starting instance(s) {name}...done.\nUpdated [https://compute.googleapis.com/compute/v1/{path}].\n"
                         f"Instance internal IP is {inst['networkIP']}\nInstance external IP is {inst['natIP']}\n")
        return ""
    if verb == "stop":
        inst["status"] = "TERMINATED"
        inst["natIP"] = None
        sys.stderr.write(f"Stopping instance(s) {name}...done.\nUpdated [https://compute.googleapis.com/compute/v1/{path}].\n")
        return ""
    if verb == "delete":
        if "--quiet" not in flags:
            raise Refused("fake gcloud: delete without --quiet would prompt", 3)
        del state["instances"][key]
        sys.stderr.write(f"Deleted [https://www.googleapis.com/compute/v1/{path}].\n")
        return ""
    if verb == "add-metadata":
        for m in flags.get("--metadata-from-file", []):
            for pair in m.split(","):
                k, _, v = pair.partition("=")
                with open(v) as f:
                    inst["metadata"][k] = f.read()
        for m in flags.get("--metadata", []):
            for pair in m.split(","):
                k, _, v = pair.partition("=")
                inst["metadata"][k] = v
        sys.stderr.write(f"Updated [https://compute.googleapis.com/compute/v1/{path}].\n")
        return ""
    raise Refused(f"ERROR: (gcloud.compute.instances) Invalid choice: '{verb}'.", 2)


def compute_firewall(state, verb, pos, flags):
    command = f"gcloud.compute.firewall-rules.{verb}"
    require_account(state, command)
    if "--zone" in flags:
        raise Refused(f"ERROR: ({command}) unrecognized arguments: --zone", 2)
    name = pos[0]
    project, _ = scope(flags, zonal=False)
    key = f"{project}/{name}"
    path = f"projects/{project}/global/firewalls/{name}"
    rule = state["firewalls"].get(key)
    if verb == "create":
        if rule:
            raise Refused(f"ERROR: ({command}) Could not fetch resource:\n - The resource '{path}' already exists\n")
        protocol, _, ports = one(flags, "--rules").partition(":")
        state["firewalls"][key] = {
            "name": name,
            "network": one(flags, "--network", "default"),
            "direction": one(flags, "--direction", "INGRESS"),
            "sourceRanges": one(flags, "--source-ranges").split(","),
            "allowed": [{"IPProtocol": protocol, "ports": [ports]}],
            "targetTags": one(flags, "--target-tags", "").split(","),
            "description": one(flags, "--description", ""),
        }
        sys.stderr.write(f"Creating firewall...done.\nCreated [https://www.googleapis.com/compute/v1/{path}].\n")
        return ""
    if rule is None:
        raise not_found(command, path)
    if verb == "describe":
        return render(rule, one(flags, "--format"))
    if verb == "update":
        if "--source-ranges" in flags:
            rule["sourceRanges"] = one(flags, "--source-ranges").split(",")
        sys.stderr.write(f"Updating firewall...done.\nUpdated [https://www.googleapis.com/compute/v1/{path}].\n")
        return ""
    if verb == "delete":
        del state["firewalls"][key]
        sys.stderr.write(f"Deleted [https://www.googleapis.com/compute/v1/{path}].\n")
        return ""
    raise Refused(f"ERROR: (gcloud.compute.firewall-rules) Invalid choice: '{verb}'.", 2)


def running_instance(state, target, flags, command):
    require_account(state, command)
    project, zone = scope(flags)
    name = target.split("@")[-1]
    key = f"{project}/{zone}/{name}"
    inst = state["instances"].get(key)
    if inst is None:
        raise not_found(command, f"projects/{project}/zones/{zone}/instances/{name}")
    if inst["status"] != "RUNNING":
        raise Refused(f"ERROR: ({command}) Instance [{name}] in zone [{zone}] has not been allocated an external IP address yet. Try rerunning this command later.")
    return inst


def compute_ssh(state, pos, flags, rest):
    command = "gcloud.compute.ssh"
    inst = running_instance(state, pos[0], flags, command)
    state["ssh_count"] += 1
    remote = one(flags, "--command")
    if remote is None and rest:
        remote = " ".join(rest)
    if state["ssh_failures"] > 0:
        state["ssh_failures"] -= 1
        raise Refused(f"ssh: connect to host {inst['natIP']} port 22: Connection refused\n"
                      "ERROR: (gcloud.compute.ssh) [/usr/bin/ssh] exited with return code [255].", 255)
    if remote is None:
        return "fake interactive session\n", 0
    m = re.fullmatch(r"sudo bash -s -- (\S+)(?: (.*))?", remote)
    if m:
        script = sys.stdin.read()
        directory = os.environ.get("FAKE_GCLOUD_DIR")
        if directory:
            with open(os.path.join(directory, f"stdin-{state['ssh_count']}.txt"), "w") as f:
                f.write(script)
        verb = m.group(1)
        if verb == "install":
            sys.stderr.write(state["install_output"] + "\n")
            return "", state["install_exit"]
        if verb == "api-key":
            return state["api_key"] + "\n", 0
        if verb == "status":
            return 'service: active (systemctl status backtest)\nhealth:  {"status":"ok"}\n', 0
        if verb == "health":
            return ("backtest answers /health\n", 0) if state["health_exit"] == 0 else ("", state["health_exit"])
        raise Refused(f"fake gcloud: unexpected startup.sh verb {verb!r}", 3)
    if remote == "true":
        return "", 0
    if remote.startswith("sudo journalctl "):
        return "-- Journal begins --\nNov 30 12:00:00 vm backtest[123]: listening on https://0.0.0.0:8000\n", 0
    if rest:
        return f"fake remote command: {remote}\n", 0
    raise Refused(f"fake gcloud: unexpected remote command {remote!r}", 3)


def compute_scp(state, pos, flags):
    command = "gcloud.compute.scp"
    if len(pos) != 2:
        raise Refused(f"ERROR: ({command}) expected a source and a destination", 2)
    source, dest = pos
    if ":" in source and not os.path.exists(source):
        target, _, remote_path = source.partition(":")
        running_instance(state, target, flags, command)
        if remote_path != "/etc/backtest/tls/ca.pem":
            raise Refused(f"scp: {remote_path}: No such file or directory", 1)
        if state["ca_file"]:
            shutil.copyfile(state["ca_file"], dest)
        else:
            with open(dest, "w") as f:
                f.write(state["ca_pem"])
        return ""
    target, _, remote_path = dest.partition(":")
    running_instance(state, target, flags, command)
    if not os.path.isfile(source):
        raise Refused(f"ERROR: ({command}) [{source}] does not exist.", 1)
    directory = os.environ.get("FAKE_GCLOUD_DIR")
    if directory:
        os.makedirs(os.path.join(directory, "uploads"), exist_ok=True)
        shutil.copyfile(source, os.path.join(directory, "uploads", os.path.basename(remote_path)))
    return ""


def main(argv):
    log = os.environ.get("FAKE_GCLOUD_LOG")
    if log:
        with open(log, "a") as f:
            f.write(shlex.join(["gcloud"] + argv) + "\n")
    state_path = os.environ["FAKE_GCLOUD_STATE"]
    state = load(state_path)
    try:
        pos, flags, rest = parse(argv)
        group = pos[:3]
        status = 0
        if pos[:2] == ["auth", "list"]:
            if state["account"] and one(flags, "--filter") == "status:ACTIVE" and one(flags, "--format") == "value(account)":
                out = state["account"] + "\n"
            elif state["account"]:
                out = f"Credentialed Accounts\nACTIVE  ACCOUNT\n*       {state['account']}\n"
            else:
                out = ""
                sys.stderr.write("WARNING: The following filter keys were not present in any resource : status\n")
        elif pos[:2] == ["config", "get-value"]:
            value = state["config"].get(pos[2], "")
            if not value:
                sys.stderr.write("(unset)\n")
            out = value + ("\n" if value else "")
        elif group[:2] == ["compute", "instances"]:
            out = compute_instances(state, group[2], pos[3:], flags)
        elif group[:2] == ["compute", "firewall-rules"]:
            out = compute_firewall(state, group[2], pos[3:], flags)
        elif pos[:2] == ["compute", "ssh"]:
            out, status = compute_ssh(state, pos[2:], flags, rest)
        elif pos[:2] == ["compute", "scp"]:
            out = compute_scp(state, pos[2:], flags)
        else:
            raise Refused(f"fake gcloud: unsupported command {' '.join(pos)!r}", 3)
    except Refused as e:
        save(state_path, state)
        sys.stderr.write(str(e).rstrip("\n") + "\n")
        return e.status
    save(state_path, state)
    sys.stdout.write(out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
