"""deploy/gcp/manage_vm.sh against the fake gcloud: the exact commands of every verb, --dry-run,
the refusals, and re-discovery of the VM after its IP changed."""

import os
import re
import subprocess

import pytest

from conftest import MANAGE_VM, STARTUP, UNIT, quote

P = "test-project"
Z = "europe-west1-b"
SCOPE = ("--project", P, "--zone", Z)
VM_FORMAT = ("csv[no-heading](status,networkInterfaces[0].accessConfigs[0].natIP,"
             "networkInterfaces[0].networkIP,metadata.items.backtest-port,machineType.basename())")
FW_FORMAT = "csv[no-heading](sourceRanges,allowed[0].ports)"
AUTH = quote("gcloud", "auth", "list", "--filter=status:ACTIVE", "--format=value(account)")
RELEASE_PLACEHOLDER = "<RELEASE.tar.gz>"


def describe(name="vm1"):
    return quote("gcloud", "compute", "instances", "describe", name, *SCOPE, f"--format={VM_FORMAT}")


def fw_describe(name="vm1"):
    return quote("gcloud", "compute", "firewall-rules", "describe", f"backtest-{name}", "--project", P, f"--format={FW_FORMAT}")


def ssh(command, name="vm1", *extra):
    return quote("gcloud", "compute", "ssh", name, *SCOPE, "--quiet", "--command", command, *extra)


SSH_PROBE = ssh("true", "vm1", "--ssh-flag=-oConnectTimeout=10")
INSTALL = ssh("sudo bash -s -- install /tmp/backtest-release.tar.gz")
API_KEY = ssh("sudo bash -s -- api-key")
UPLOAD = quote("gcloud", "compute", "scp", RELEASE_PLACEHOLDER, "vm1:/tmp/backtest-release.tar.gz", *SCOPE, "--quiet")


def create_command(name="vm1", port="8000", machine="e2-small", network="default"):
    return quote(
        "gcloud", "compute", "instances", "create", name, *SCOPE, "--machine-type", machine,
        "--network", network, "--image-family", "debian-12", "--image-project", "debian-cloud",
        "--tags", f"backtest-{name}", "--metadata", f"backtest-port={port}",
        "--metadata-from-file", f"startup-script={STARTUP},backtest-unit={UNIT}",
        "--no-service-account", "--no-scopes", "--shielded-secure-boot", "--shielded-vtpm",
        "--shielded-integrity-monitoring")


def fw_create(ranges="203.0.113.7/32", port="8000", name="vm1"):
    return quote(
        "gcloud", "compute", "firewall-rules", "create", f"backtest-{name}", "--project", P,
        "--network", "default", "--direction", "INGRESS", "--action", "ALLOW", "--rules", f"tcp:{port}",
        "--source-ranges", ranges, "--target-tags", f"backtest-{name}",
        "--description", f"backtest server on VM {name}: port {port}")


def normalize(line):
    """The random local release path becomes the placeholder --dry-run prints; the `< startup.sh`
    --dry-run shows for commands fed the script is dropped (the fake records stdin apart)."""
    line = re.sub(r"\S*/backtest-release\.[A-Za-z0-9]+/backtest-release\.tar\.gz", quote(RELEASE_PLACEHOLDER), line)
    return line.removesuffix(" < " + quote(str(STARTUP)))


def gcloud_lines(output):
    return [normalize(line) for line in output.splitlines() if line.startswith("gcloud ")]


def one_line_error(result, expected):
    """The refusal is one line on stderr, containing `expected`, with exit status 1."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("manage_vm.sh: "), lines[0]
    assert expected in lines[0], lines[0]


def discover_command(name="vm1"):
    return f"{MANAGE_VM} ip {name} --project {P} --zone {Z}"


# ---- usage ---------------------------------------------------------------------------------
def test_help_lists_every_verb(sandbox):
    result = sandbox.run("help")
    assert result.returncode == 0
    for verb in ("create", "deploy", "start", "stop", "status", "delete", "ssh", "logs", "firewall", "ip", "connect"):
        assert re.search(rf"^  {verb} ", result.stdout, re.M), verb
    assert "--dry-run" in result.stdout and "--project" in result.stdout and "--zone" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["frobnicate", "vm1"], "unknown verb 'frobnicate'"),
    (["ip"], "ip needs a VM name"),
    (["ip", "VM_1"], "'VM_1' is not a VM name"),
    (["ip", "vm1", "--allow-from", "1.2.3.4/32"], "ip does not take --allow-from"),
    (["create", "vm1", "--port", "http"], "--port must be a port number"),
    (["ip", "vm1", "--bogus"], "unknown option '--bogus'"),
])
def test_usage_errors_exit_2(sandbox, args, message):
    result = sandbox.run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert sandbox.calls() == []


# ---- refusals: gcloud, login, VM, --allow-from --------------------------------------------------
def without_gcloud(sandbox):
    return {"PATH": str(sandbox.toolbin)}


@pytest.mark.parametrize("args", [
    ["ip", "vm1"], ["status", "vm1"], ["start", "vm1"], ["stop", "vm1"], ["delete", "vm1", "--yes"],
    ["ssh", "vm1"], ["logs", "vm1"], ["deploy", "vm1"], ["connect", "vm1"],
    ["firewall", "vm1", "--allow-from", "203.0.113.7/32"], ["create", "vm1", "--allow-from", "203.0.113.7/32"],
])
def test_missing_gcloud_is_one_line(sandbox, args):
    if args[0] in ("create", "deploy"):
        args = args + ["--binary", str(sandbox.binary)]
    result = sandbox.run(*args, env=without_gcloud(sandbox))
    one_line_error(result, "gcloud is not installed (or not on PATH)")


@pytest.mark.parametrize("args", [
    ["ip", "vm1"], ["status", "vm1"], ["start", "vm1"], ["stop", "vm1"], ["delete", "vm1", "--yes"],
    ["ssh", "vm1"], ["logs", "vm1"], ["deploy", "vm1"], ["connect", "vm1"],
    ["firewall", "vm1", "--allow-from", "203.0.113.7/32"], ["create", "vm1", "--allow-from", "203.0.113.7/32"],
])
def test_not_logged_in_is_one_line_and_changes_nothing(sandbox, args):
    sandbox.add_vm()
    sandbox.write_state({"account": ""})
    if args[0] in ("create", "deploy"):
        args = args + ["--binary", str(sandbox.binary)]
    result = sandbox.run(*args)
    one_line_error(result, "gcloud is not logged in (no active account): run 'gcloud auth login'")
    # Nothing but read-only calls were made.
    for call in sandbox.calls():
        assert call == AUTH or " describe " in call, call


@pytest.mark.parametrize("args", [
    ["ip", "ghost"], ["status", "ghost"], ["start", "ghost"], ["stop", "ghost"], ["delete", "ghost", "--yes"],
    ["ssh", "ghost"], ["logs", "ghost"], ["deploy", "ghost"], ["connect", "ghost"],
    ["firewall", "ghost", "--allow-from", "203.0.113.7/32"],
])
def test_unknown_vm_is_one_line(sandbox, args):
    sandbox.add_vm()
    if args[0] == "deploy":
        args = args + ["--binary", str(sandbox.binary)]
    result = sandbox.run(*args)
    one_line_error(result, f"no VM named ghost in project {P}, zone {Z}")
    assert describe("ghost") in sandbox.calls()
    assert not any(" ssh " in c or " scp " in c or " start " in c or " stop " in c or " delete " in c
                   or " update " in c or " create " in c for c in sandbox.calls())


def test_create_refused_without_allow_from(sandbox):
    result = sandbox.run("create", "vm1", "--binary", str(sandbox.binary))
    one_line_error(result, "create needs --allow-from CIDR")
    assert sandbox.calls() == []
    # --dry-run refuses too
    one_line_error(sandbox.run("create", "vm1", "--binary", str(sandbox.binary), "--dry-run"), "create needs --allow-from CIDR")


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "203.0.113.7/32,0.0.0.0/0"])
def test_create_refuses_the_whole_internet_without_public(sandbox, cidr):
    result = sandbox.run("create", "vm1", "--allow-from", cidr, "--binary", str(sandbox.binary))
    one_line_error(result, "--allow-from 0.0.0.0/0 opens port 8000 to the whole internet: add --public")
    assert sandbox.calls() == []


def test_create_public_warns_and_opens_the_port_to_everyone(sandbox):
    result = sandbox.run("create", "vm1", "--allow-from", "0.0.0.0/0", "--public", "--binary", str(sandbox.binary), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "manage_vm.sh: warning: port 8000 will be open to the whole internet (0.0.0.0/0)" in result.stderr
    assert fw_create("0.0.0.0/0") in gcloud_lines(result.stdout)


@pytest.mark.parametrize("cidr", ["203.0.113.7", "203.0.113.7/33", "300.1.2.3/32", "example.com/32", "2001:db8::/32"])
def test_create_refuses_a_malformed_range(sandbox, cidr):
    result = sandbox.run("create", "vm1", "--allow-from", cidr, "--binary", str(sandbox.binary))
    one_line_error(result, f"--allow-from: '{cidr}' is not an IPv4 CIDR range")


def test_create_refuses_a_missing_or_dynamic_binary(sandbox, tmp_path):
    one_line_error(sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(tmp_path / "nope")),
                   "is not an executable file")
    # A binary that needs libswiftCore.so (what ldd reports for a build without --static-swift-stdlib).
    fake_ldd = tmp_path / "ldd-bin"
    fake_ldd.mkdir()
    (fake_ldd / "ldd").write_text("#!/bin/sh\necho '\tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x1)'\n")
    (fake_ldd / "ldd").chmod(0o755)
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary),
                         env={"PATH": f"{fake_ldd}:{sandbox.env['PATH']}"})
    one_line_error(result, "links the Swift runtime dynamically")
    assert "--static-swift-stdlib" in result.stderr
    assert sandbox.calls() == []


def test_project_and_zone(sandbox):
    # flags win over the environment
    result = sandbox.run("ip", "vm1", "--project", "other", "--zone", "us-east1-b", "--dry-run")
    assert result.stdout.strip() == quote("gcloud", "compute", "instances", "describe", "vm1", "--project", "other",
                                          "--zone", "us-east1-b", f"--format={VM_FORMAT}")
    # the environment
    assert sandbox.run("ip", "vm1", "--dry-run").stdout.strip() == describe()
    # gcloud's own config when neither is given
    sandbox.write_state({"config": {"core/project": P, "compute/zone": Z}})
    result = sandbox.run("ip", "vm1", "--dry-run", env={"CLOUDSDK_CORE_PROJECT": None, "CLOUDSDK_COMPUTE_ZONE": None})
    assert result.stdout.strip() == describe()
    # none at all
    sandbox.write_state({"config": {}})
    result = sandbox.run("ip", "vm1", env={"CLOUDSDK_CORE_PROJECT": None})
    one_line_error(result, "no project: pass --project P or set CLOUDSDK_CORE_PROJECT")
    result = sandbox.run("ip", "vm1", env={"CLOUDSDK_COMPUTE_ZONE": None})
    one_line_error(result, "no zone: pass --zone Z or set CLOUDSDK_COMPUTE_ZONE")


# ---- create --------------------------------------------------------------------------------
def create_calls(ca):
    return [
    AUTH,
    create_command(),
    fw_describe(),
    fw_create(),
    SSH_PROBE,
    UPLOAD,
    INSTALL,
    describe(),
    quote("gcloud", "compute", "scp", "vm1:/etc/backtest/tls/ca.pem", str(ca), *SCOPE, "--quiet"),
    API_KEY,
    ]


def test_create_runs_exactly_these_commands(sandbox):
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary))
    assert result.returncode == 0, result.stderr
    ca = sandbox.config_home / "backtest" / "vm1-ca.pem"
    expected = create_calls(ca)
    assert [normalize(c) for c in sandbox.calls()] == expected
    # the VM and its firewall rule, as gcloud now has them
    state = sandbox.state()
    vm = state["instances"][f"{P}/{Z}/vm1"]
    assert vm["metadata"]["startup-script"] == STARTUP.read_text()
    assert vm["metadata"]["backtest-unit"] == UNIT.read_text()
    assert vm["metadata"]["backtest-port"] == "8000"
    rule = state["firewalls"][f"{P}/backtest-vm1"]
    assert rule["sourceRanges"] == ["203.0.113.7/32"]
    assert rule["allowed"] == [{"IPProtocol": "tcp", "ports": ["8000"]}]
    assert rule["targetTags"] == ["backtest-vm1"] == vm["tags"]
    # startup.sh was fed to `sudo bash -s` both times
    fed = sorted(p.name for p in sandbox.fake_dir.glob("stdin-*.txt"))
    assert len(fed) == 2
    for name in fed:
        assert (sandbox.fake_dir / name).read_text() == STARTUP.read_text()
    # the upload: the binary as `backtest` plus the resource bundle next to it
    listing = subprocess.run(["tar", "-tzf", str(sandbox.fake_dir / "uploads" / "backtest-release.tar.gz")],
                             capture_output=True, text=True, check=True).stdout.split()
    assert "backtest" in listing
    assert "Backtest_MarketData.resources/sample/AAPL.csv" in listing
    # the CA certificate copied back, and the client configured
    assert ca.read_text() == sandbox.state()["ca_pem"]
    assert sandbox.client_calls() == [
        ["config", "set", "server", "https://127.0.0.2:8000"],
        ["config", "set", "api-key", "fake-api-key-0123456789abcdefghij"],
        ["config", "set", "ca-cert", str(ca)],
        ["config", "set", "discover", discover_command()],
        ["health"],
    ]
    # the fake client's health fails: the script says what to check (the firewall)
    assert "does not answer from here although the server runs" in result.stderr
    # no temporary release left behind
    assert not list(sandbox.root.glob("backtest-release.*"))


def test_create_dry_run_prints_the_same_commands_and_runs_nothing(sandbox):
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert sandbox.calls() == [] and sandbox.client_calls() == []
    ca = sandbox.config_home / "backtest" / "vm1-ca.pem"
    expected = create_calls(ca)[1:]   # no login check in a dry run
    assert gcloud_lines(result.stdout) == expected
    client = str(sandbox.env["BACKTEST_CLIENT"])
    assert [line for line in result.stdout.splitlines() if line.startswith(client)] == [
        quote(client, "config", "set", "server", "https://<EXTERNAL_IP>:8000"),
        quote(client, "config", "set", "api-key", "<API_KEY>"),
        quote(client, "config", "set", "ca-cert", str(ca)),
        quote(client, "config", "set", "discover", discover_command()),
    ]
    # the commands fed startup.sh say so
    assert f"{INSTALL} < {STARTUP}" in result.stdout.splitlines()


def test_create_with_options(sandbox):
    result = sandbox.run("create", "big", "--allow-from", "203.0.113.0/24,198.51.100.7/32", "--machine-type", "e2-standard-4",
                         "--port", "8443", "--network", "backtest-net", "--binary", str(sandbox.binary), "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = gcloud_lines(result.stdout)
    assert lines[0] == create_command("big", port="8443", machine="e2-standard-4", network="backtest-net")
    assert quote("gcloud", "compute", "firewall-rules", "create", "backtest-big", "--project", P, "--network", "backtest-net",
                 "--direction", "INGRESS", "--action", "ALLOW", "--rules", "tcp:8443",
                 "--source-ranges", "203.0.113.0/24,198.51.100.7/32", "--target-tags", "backtest-big",
                 "--description", "backtest server on VM big: port 8443") in lines
    assert "https://<EXTERNAL_IP>:8443" in result.stdout


def test_create_waits_for_ssh(sandbox):
    sandbox.write_state({"ssh_failures": 2})
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary))
    assert result.returncode == 0, result.stderr
    assert sandbox.calls().count(SSH_PROBE) == 3


def test_create_gives_up_on_ssh_with_the_way_forward(sandbox):
    sandbox.write_state({"ssh_failures": 99})
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("manage_vm.sh: VM vm1 does not accept SSH")
    assert last.endswith("when it does: 'manage_vm.sh deploy vm1' then 'manage_vm.sh connect vm1'")
    assert sandbox.calls().count(SSH_PROBE) == 5


def test_create_an_existing_vm_fails_with_gclouds_message(sandbox):
    sandbox.add_vm()
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary))
    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "manage_vm.sh: could not create VM vm1 (gcloud's message above)"
    assert sandbox.calls() == [AUTH, create_command()]


# ---- deploy --------------------------------------------------------------------------------
DEPLOY_CALLS = [
    AUTH,
    describe(),
    quote("gcloud", "compute", "instances", "add-metadata", "vm1", *SCOPE, "--metadata-from-file",
          f"startup-script={STARTUP},backtest-unit={UNIT}"),
    UPLOAD,
    INSTALL,
]


def test_deploy_uploads_installs_and_checks_health(sandbox):
    sandbox.add_vm()
    result = sandbox.run("deploy", "vm1", "--binary", str(sandbox.binary))
    assert result.returncode == 0, result.stderr
    assert [normalize(c) for c in sandbox.calls()] == DEPLOY_CALLS
    assert "deployed to vm1: the server answers /health" in result.stderr
    dry = sandbox.run("deploy", "vm1", "--binary", str(sandbox.binary), "--dry-run")
    assert gcloud_lines(dry.stdout) == DEPLOY_CALLS[1:]


def test_deploy_reports_the_rollback(sandbox):
    sandbox.add_vm()
    sandbox.write_state({"install_exit": 3, "install_output": "backtest-provision: rolling back to the previous release"})
    result = sandbox.run("deploy", "vm1", "--binary", str(sandbox.binary))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "manage_vm.sh: deploy failed: the new binary did not answer /health; the previous binary is back and "
        "answers ('manage_vm.sh logs vm1' shows why)")
    sandbox.write_state({"install_exit": 4})
    result = sandbox.run("deploy", "vm1", "--binary", str(sandbox.binary))
    assert result.returncode == 1 and "neither does the previous one" in result.stderr


def test_deploy_refuses_a_stopped_vm(sandbox):
    sandbox.add_vm(status="TERMINATED")
    result = sandbox.run("deploy", "vm1", "--binary", str(sandbox.binary))
    one_line_error(result, "VM vm1 is TERMINATED: start it first ('manage_vm.sh start vm1')")
    assert sandbox.calls() == [AUTH, describe()]


# ---- start, stop, ip: a new address after a restart -----------------------------------------
def test_stop_start_changes_the_ip_and_ip_follows(sandbox):
    sandbox.add_vm(ip="127.0.0.2")
    sandbox.write_state({"ip_pool": ["127.0.0.3"]})
    assert sandbox.run("ip", "vm1").stdout == "External IP: 127.0.0.2\n"

    result = sandbox.run("stop", "vm1")
    assert result.returncode == 0, result.stderr
    assert "clients re-discover the new one" in result.stderr
    result = sandbox.run("ip", "vm1")
    one_line_error(result, "VM vm1 has no external IP (it is TERMINATED; 'manage_vm.sh start vm1' starts it)")

    result = sandbox.run("start", "vm1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "External IP: 127.0.0.3\n"
    assert "the server answers /health" in result.stderr
    assert sandbox.run("ip", "vm1").stdout == "External IP: 127.0.0.3\n"
    assert sandbox.calls() == [
        describe(),                                              # ip (one call: the discovery path)
        AUTH, describe(), quote("gcloud", "compute", "instances", "stop", "vm1", *SCOPE),
        describe(),                                              # ip refused
        AUTH, describe(), quote("gcloud", "compute", "instances", "start", "vm1", *SCOPE), describe(),
        SSH_PROBE, ssh("sudo bash -s -- health 180"),
        describe(),
    ]


def test_start_and_stop_dry_run(sandbox):
    start = sandbox.run("start", "vm1", "--dry-run")
    assert gcloud_lines(start.stdout) == [describe(), quote("gcloud", "compute", "instances", "start", "vm1", *SCOPE),
                                          describe(), SSH_PROBE, ssh("sudo bash -s -- health 180")]
    assert gcloud_lines(sandbox.run("start", "vm1", "--no-wait", "--dry-run").stdout) == [
        describe(), quote("gcloud", "compute", "instances", "start", "vm1", *SCOPE), describe()]
    assert gcloud_lines(sandbox.run("stop", "vm1", "--dry-run").stdout) == [
        describe(), quote("gcloud", "compute", "instances", "stop", "vm1", *SCOPE)]
    assert sandbox.calls() == []


def test_start_reports_a_server_that_does_not_come_up(sandbox):
    sandbox.add_vm(status="TERMINATED")
    sandbox.write_state({"health_exit": 1})
    result = sandbox.run("start", "vm1")
    one_line_error_last(result, "VM vm1 started but the server does not answer /health ('manage_vm.sh logs vm1')")


def one_line_error_last(result, expected):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines()[-1] == "manage_vm.sh: " + expected


def test_ip_with_another_port_includes_it(sandbox):
    sandbox.add_vm(port="8443")
    assert sandbox.run("ip", "vm1").stdout == "External IP: 127.0.0.2:8443\n"


def test_ip_when_not_logged_in(sandbox):
    sandbox.add_vm()
    sandbox.write_state({"account": ""})
    one_line_error(sandbox.run("ip", "vm1"), "gcloud is not logged in")


def test_rediscovery_after_an_ip_change(sandbox):
    """The discover command create stores finds the new address after stop + start."""
    result = sandbox.run("create", "vm1", "--allow-from", "203.0.113.7/32", "--binary", str(sandbox.binary))
    assert result.returncode == 0, result.stderr
    discover = dict((c[2], c[3]) for c in sandbox.client_calls() if c[:2] == ["config", "set"])["discover"]
    env = dict(sandbox.env)

    def run_discover():
        return subprocess.run(["/bin/sh", "-c", discover], env=env, capture_output=True, text=True, timeout=30)

    assert run_discover().stdout == "External IP: 127.0.0.2\n"
    assert sandbox.run("stop", "vm1").returncode == 0
    assert run_discover().returncode == 1
    assert sandbox.run("start", "vm1", "--no-wait").returncode == 0
    found = run_discover()
    assert found.returncode == 0 and found.stdout == "External IP: 127.0.0.3\n"
    # a different project/zone in the environment does not matter: the command names its own
    env.update(CLOUDSDK_CORE_PROJECT="elsewhere", CLOUDSDK_COMPUTE_ZONE="us-east1-b")
    assert run_discover().stdout == "External IP: 127.0.0.3\n"


# ---- status, logs, ssh ----------------------------------------------------------------------
def test_status(sandbox):
    sandbox.add_vm()
    result = sandbox.run("status", "vm1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"VM:        vm1 (project {P}, zone {Z}, e2-small)",
        "status:    RUNNING",
        "external:  127.0.0.2 (https://127.0.0.2:8000)",
        "internal:  10.128.0.9",
        "firewall:  backtest-vm1: tcp:8000 from 203.0.113.7/32",
        "service: active (systemctl status backtest)",
        'health:  {"status":"ok"}',
    ]
    assert sandbox.calls() == [AUTH, describe(), fw_describe(), ssh("sudo bash -s -- status")]
    assert gcloud_lines(sandbox.run("status", "vm1", "--dry-run").stdout) == sandbox.calls()[1:]


def test_status_of_a_stopped_vm_without_a_rule(sandbox):
    sandbox.add_vm(status="TERMINATED", rule=False)
    result = sandbox.run("status", "vm1")
    assert result.returncode == 0, result.stderr
    assert "status:    TERMINATED" in result.stdout
    assert "external:  none" in result.stdout
    assert "firewall:  no rule backtest-vm1: nothing can reach the server" in result.stdout
    assert not any(" ssh " in c for c in sandbox.calls())


@pytest.mark.parametrize("args, command", [
    ([], "sudo journalctl -u backtest.service --no-pager -n 100"),
    (["--follow"], "sudo journalctl -u backtest.service --no-pager -n 100 -f"),
    (["--lines", "20", "--startup"], "sudo journalctl -u google-startup-scripts.service --no-pager -n 20"),
])
def test_logs(sandbox, args, command):
    sandbox.add_vm()
    result = sandbox.run("logs", "vm1", *args)
    assert result.returncode == 0, result.stderr
    assert "fake journal" in result.stdout or "Journal" in result.stdout
    assert sandbox.calls() == [AUTH, describe(), ssh(command)]
    assert gcloud_lines(sandbox.run("logs", "vm1", *args, "--dry-run").stdout) == [describe(), ssh(command)]


def test_ssh(sandbox):
    sandbox.add_vm()
    result = sandbox.run("ssh", "vm1")
    assert result.returncode == 0 and "fake interactive session" in result.stdout
    result = sandbox.run("ssh", "vm1", "--", "sudo systemctl status backtest")
    assert result.returncode == 0
    assert sandbox.calls()[-1] == quote("gcloud", "compute", "ssh", "vm1", *SCOPE, "--", "sudo systemctl status backtest")
    assert sandbox.calls()[2] == quote("gcloud", "compute", "ssh", "vm1", *SCOPE)


# ---- firewall, delete ---------------------------------------------------------------------------
def test_firewall_updates_the_rule(sandbox):
    sandbox.add_vm()
    result = sandbox.run("firewall", "vm1", "--allow-from", "198.51.100.0/24")
    assert result.returncode == 0, result.stderr
    update = quote("gcloud", "compute", "firewall-rules", "update", "backtest-vm1", "--project", P, "--source-ranges", "198.51.100.0/24")
    assert sandbox.calls() == [AUTH, describe(), fw_describe(), update]
    assert sandbox.state()["firewalls"][f"{P}/backtest-vm1"]["sourceRanges"] == ["198.51.100.0/24"]
    assert gcloud_lines(sandbox.run("firewall", "vm1", "--allow-from", "198.51.100.0/24", "--dry-run").stdout) == [
        describe(), fw_describe(), update]


def test_firewall_makes_a_missing_rule_for_the_vms_port(sandbox):
    sandbox.add_vm(port="8443", rule=False)
    result = sandbox.run("firewall", "vm1", "--allow-from", "198.51.100.7/32")
    assert result.returncode == 0, result.stderr
    assert sandbox.calls()[-1] == fw_create("198.51.100.7/32", port="8443")


def test_firewall_refusals(sandbox):
    sandbox.add_vm()
    one_line_error(sandbox.run("firewall", "vm1"), "firewall needs --allow-from CIDR")
    one_line_error(sandbox.run("firewall", "vm1", "--allow-from", "0.0.0.0/0"),
                   "--allow-from 0.0.0.0/0 opens the server's port to the whole internet: add --public")
    result = sandbox.run("firewall", "vm1", "--allow-from", "0.0.0.0/0", "--public")
    assert result.returncode == 0
    assert "warning: the server's port will be open to the whole internet" in result.stderr
    assert sandbox.state()["firewalls"][f"{P}/backtest-vm1"]["sourceRanges"] == ["0.0.0.0/0"]


def test_delete(sandbox):
    sandbox.add_vm()
    one_line_error(sandbox.run("delete", "vm1"), "delete needs --yes when not run from a terminal")
    assert sandbox.state()["instances"]
    sandbox.clear_calls()
    result = sandbox.run("delete", "vm1", "--yes")
    assert result.returncode == 0, result.stderr
    expected = [AUTH, describe(), quote("gcloud", "compute", "instances", "delete", "vm1", *SCOPE, "--quiet"),
                fw_describe(), quote("gcloud", "compute", "firewall-rules", "delete", "backtest-vm1", "--project", P, "--quiet")]
    assert sandbox.calls() == expected
    assert sandbox.state()["instances"] == {} and sandbox.state()["firewalls"] == {}
    # gone: the next verb says so
    one_line_error(sandbox.run("ip", "vm1"), "no VM named vm1")
    # the dry run prints the same and needs no --yes
    sandbox.add_vm()
    assert gcloud_lines(sandbox.run("delete", "vm1", "--dry-run").stdout) == expected[1:]


# ---- every verb's --dry-run runs nothing ------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["create", "vm1", "--allow-from", "203.0.113.7/32"], ["deploy", "vm1"], ["start", "vm1"], ["stop", "vm1"],
    ["status", "vm1"], ["delete", "vm1"], ["ssh", "vm1"], ["logs", "vm1", "--follow"],
    ["firewall", "vm1", "--allow-from", "203.0.113.7/32"], ["ip", "vm1"], ["connect", "vm1"],
])
def test_every_verb_dry_run_prints_gcloud_commands_and_runs_nothing(sandbox, args):
    if args[0] in ("create", "deploy"):
        args = args + ["--binary", str(sandbox.binary)]
    result = sandbox.run(*args, "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = gcloud_lines(result.stdout)
    assert lines and all(line.startswith("gcloud compute ") for line in lines)
    assert sandbox.calls() == [] and sandbox.client_calls() == []
    # --dry-run needs no gcloud at all
    result = sandbox.run(*args, "--dry-run", env={"PATH": str(sandbox.toolbin)})
    assert result.returncode == 0, result.stderr


def test_connect_without_a_client_prints_the_commands(sandbox):
    sandbox.add_vm()
    result = sandbox.run("connect", "vm1", env={"BACKTEST_CLIENT": "none"})
    assert result.returncode == 0, result.stderr
    keyfile = sandbox.config_home / "backtest" / "vm1-api-key"
    assert keyfile.read_text() == "fake-api-key-0123456789abcdefghij\n"
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert "backtest config set server https://127.0.0.2:8000" in result.stderr
    assert f'backtest config set api-key "$(cat {keyfile})"' in result.stderr
