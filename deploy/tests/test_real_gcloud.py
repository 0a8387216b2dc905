"""The real Google Cloud CLI accepts every gcloud command manage_vm.sh prints (--dry-run).

Run only when a real gcloud is installed and `unshare -n` works: each command runs in a
network namespace with no network at all, with an empty configuration (no account), so gcloud
parses the command line (flags, values, formats) and then stops at "You do not currently
have an active account selected". An unknown flag or a malformed value fails before that.
The fake gcloud cannot catch such mistakes; this can, without touching any cloud.
"""

import os
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import FAKES, STARTUP

NO_ACCOUNT = "You do not currently have an active account selected"


def real_gcloud():
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and os.path.realpath(p) != str(FAKES)]
    gcloud = shutil.which("gcloud", path=os.pathsep.join(path))
    if gcloud is None:
        pytest.skip("no real gcloud installed: the gcloud syntax check is skipped")
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("`unshare -n` (a namespace without network) is not available: the gcloud syntax check is skipped")
    return gcloud, unshare


VERBS = [
    ["create", "vm1", "--allow-from", "203.0.113.7/32,198.51.100.0/24", "--port", "8443"],
    ["deploy", "vm1"], ["start", "vm1"], ["stop", "vm1"], ["status", "vm1"], ["delete", "vm1"],
    ["ssh", "vm1", "--", "uptime"], ["logs", "vm1", "--follow"], ["logs", "vm1", "--startup", "--lines", "20"],
    ["firewall", "vm1", "--allow-from", "203.0.113.7/32"], ["ip", "vm1"], ["connect", "vm1"],
]


def test_real_gcloud_parses_every_command(sandbox, tmp_path):
    gcloud, unshare = real_gcloud()
    commands = []
    for args in VERBS:
        if args[0] in ("create", "deploy"):
            args = args + ["--binary", str(sandbox.binary)]
        result = sandbox.run(args[0], "--dry-run", *args[1:])   # before any `--`
        assert result.returncode == 0, result.stderr
        for line in result.stdout.splitlines():
            if line.startswith("gcloud "):
                line = line.removesuffix(" < " + shlex.quote(str(STARTUP)))
                if line not in commands:
                    commands.append(line)
    # the login check, too
    commands.append(shlex.join(["gcloud", "auth", "list", "--filter=status:ACTIVE", "--format=value(account)"]))
    assert len(commands) > 15

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDSDK_", "GOOGLE_", "BACKTEST_"))}
    env.update({
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud-config"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_CORE_CHECK_GCE_METADATA": "false",
        "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
        "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
        "HOME": str(tmp_path),
    })

    def check(numbered):
        # Each command its own home: `compute ssh` and `compute scp` both make gcloud's SSH key
        # there, and two ssh-keygens racing on one file made one of them fail (exit 1).
        index, line = numbered
        home = tmp_path / f"home-{index}"
        home.mkdir()
        argv = shlex.split(line)
        result = subprocess.run([unshare, "-n", gcloud, *argv[1:]], env={**env, "HOME": str(home)}, capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
        return line, result

    failures = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for line, result in pool.map(check, enumerate(commands)):
            if argv_is_auth_list(line):
                # no account: gcloud lists nothing and succeeds (manage_vm.sh reads "not logged in")
                if result.returncode != 0 or result.stdout.strip():
                    failures.append(f"{line}\n  -> exit {result.returncode}: {result.stdout}{result.stderr}")
            elif NO_ACCOUNT not in result.stderr:
                failures.append(f"{line}\n  -> {result.stderr.strip()[:400]}")
    assert not failures, "gcloud refused these commands:\n" + "\n".join(failures)


def argv_is_auth_list(line):
    return line.startswith("gcloud auth list ")
