"""The Python client's start-up and a 60-ticker batch as whole processes, for one or more
versions of the package side by side (issue 23, item 5). Run by python-client-startup.sh.

Usage: python3 python_client_startup.py PYTHON URL ROUNDS LABEL=SRC [LABEL=SRC ...]

SRC is a directory holding the ``backtest_client`` package (put first on PYTHONPATH). Each round
runs ``python -c pass``, then for every version ``python -c "import backtest_client"`` and
``python_client_batch.py URL --time`` (60 tickers, 4 workers), back to back, so that the load
of the moment weighs on all of them alike; the report gives medians of the wall time, of the
CPU time (user + system of the child: steadier than the wall time on a busy machine) and of the
per-round differences (import minus ``pass``, batch minus the same version's import).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall ms, CPU ms, stdout) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return wall, cpu, out


def main() -> None:
    python, url, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    versions = [arg.split("=", 1) for arg in sys.argv[4:]]
    batch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_client_batch.py")
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    commands: dict[str, tuple[list[str], dict[str, str]]] = {"python -c pass": ([python, "-c", "pass"], base)}
    for label, src in versions:
        env = {**base, "PYTHONPATH": os.path.abspath(src)}
        commands[f"import ({label})"] = ([python, "-c", "import backtest_client"], env)
        commands[f"batch 60 ({label})"] = ([python, batch, url, "--time"], env)
    for command, env in commands.values():  # warm-up: byte-code caches, the server's cache
        for _ in range(2):
            run(command, env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    inside: dict[str, list[float]] = {name: [] for name in commands}
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for name, (command, env) in commands.items():
            w, c, out = run(command, env)
            wall[name].append(w)
            cpu[name].append(c)
            if out.strip():
                inside[name].append(float(out))

    def paired(a: str, b: str, table: dict[str, list[float]]) -> float:
        return statistics.median(x - y for x, y in zip(table[a], table[b]))

    print(
        f"{rounds} rounds; {os.cpu_count()} cores; load average (1 min) during the rounds: "
        f"median {statistics.median(loads):.1f}, min {min(loads):.1f}, max {max(loads):.1f}"
    )
    print(
        f"{'command':24} {'wall median':>12} {'wall min':>9} {'CPU median':>11} {'minus floor, wall':>18} "
        f"{'minus floor, CPU':>17} {'after import':>13}"
    )
    for name in commands:
        floor = None
        if name.startswith("import"):
            floor = "python -c pass"
        elif name.startswith("batch"):
            floor = "import" + name[len("batch 60") :]
        w_delta = f"{paired(name, floor, wall):+.1f} ms" if floor else "—"
        c_delta = f"{paired(name, floor, cpu):+.1f} ms" if floor else "—"
        own = f"{statistics.median(inside[name]):.1f} ms" if inside[name] else "—"
        print(
            f"{name:24} {statistics.median(wall[name]):9.1f} ms {min(wall[name]):6.1f} ms "
            f"{statistics.median(cpu[name]):8.1f} ms {w_delta:>18} {c_delta:>17} {own:>13}"
        )
    print(
        "minus floor: the median of the per-round differences (an import minus `python -c pass`; "
        "a batch minus the same version's import); after import: the batch's own time, printed by "
        "the batch script"
    )


if __name__ == "__main__":
    main()
