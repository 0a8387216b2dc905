#!/usr/bin/env python3
"""Writes the CLI's golden outputs (issue 23: --help and the error messages stay exactly as
they are): help/<command>.txt for `backtest <command> --help`, and errors.json for a set of
bad invocations (status, stdout, stderr). CLIGoldenTests compares the built binary with them.

    python3 Tests/BacktestCLITests/Golden/generate.py .build/debug/backtest

Run it only when an output is meant to change, and review the diff. The test reads rates, ETAs
and elapsed seconds (`171.5/s`, `ETA 0.0s`, `0.01 s on`) as any number.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Every command path; `backtest PATH --help` goes to help/PATH-joined-by-dashes.txt.
COMMANDS = [
    [], ["run"], ["batch"], ["portfolio"], ["optimize"], ["report"], ["strategies"], ["rules"], ["rules", "check"],
    ["rules", "show"], ["stats"], ["robustness"], ["bench"], ["serve"], ["health"], ["endpoint"], ["jobs"],
    ["jobs", "submit"], ["jobs", "status"], ["jobs", "watch"], ["jobs", "cancel"], ["jobs", "delete"], ["data"],
    ["data", "import"], ["data", "list"], ["data", "show"], ["data", "remove"], ["data", "push"], ["data", "fetch"],
    ["data", "bench"], ["config"], ["config", "set"], ["config", "unset"], ["config", "show"], ["config", "path"],
    ["cert"], ["cert", "init"],
]

DOWN = ["--server", "http://127.0.0.1:1", "--retries", "0"]

# Bad invocations (and the other spellings of help) whose whole output is fixed. Nothing here
# reads the network but 127.0.0.1:1, where nothing listens.
CASES = [
    [], ["nope"], ["--bogus"], ["--version"], ["-h"], ["help"], ["help", "batch"], ["help", "run"], ["help", "health"],
    ["batch", "-h"], ["run", "-h"], ["health", "-h"],
    # batch
    ["batch"], ["batch", "--start=2020-01-01"], ["batch", "AAPL", "--workers", "0"], ["batch", "AAPL", "--workers", "x"],
    ["batch", "AAPL", "--workers"], ["batch", "AAPL", "--format", "xml"], ["batch", "AAPL", "--sort", "alpha"],
    ["batch", "AAPL", "--bogus"], ["batch", "AAPL", "-x"], ["batch", "AAPL", "--json"],
    ["batch", "AAPL", "--connect-timeout", "0"], ["batch", "AAPL", "--read-timeout", "-1"],
    ["batch", "AAPL", "--read-timeout", "inf"], ["batch", "AAPL", "--retries", "-1"], ["batch", "AAPL", "--retries", "1.5"],
    ["batch", "AAPL", "--param", "fast"], ["batch", "AAPL", "--param", "=3"], ["batch", "AAPL", "--param", "fast=x"],
    ["batch", "AAPL", "--strategy", "nope"], ["batch", "AAPL", "--param", "fast=40"], ["batch", "AAPL", "--cash", "abc"],
    ["batch", "AAPL", "--cash", "0"], ["batch", "AAPL", "--commission", "1,2,3"], ["batch", "AAPL", "--spread", "x"],
    ["batch", "AAPL", "--margin", "2"], ["batch", "AAPL", "--sl-pct", "x"], ["batch", "AAPL", "--tp-pct", "-0.5"],
    ["batch", "AAPL", "--start", "2020-13-01"], ["batch", "AAPL", "--start", "2021-01-01", "--end", "2020-01-01"],
    ["batch", "AAPL", "--rules", "/nonexistent/r.rules"], ["batch", "AAPL", "--strategy", "sma_cross", "--rules-text", "x"],
    ["batch", "AAPL", "--rules-text", "entry: nonsense("], ["batch", "AAPL", "--rules", "a", "--rules-text", "b"],
    ["batch", "AAPL", "--trade-on-close=yes"], ["batch", "AAPL", "--format", "json", "--format"],
    ["batch", "AAPL", "--server", "notaurl.invalid", "--retries", "0"], ["batch", "AAPL", "--server", "ftp://x", "--retries", "0"],
    ["batch", "AAPL"] + DOWN, ["batch", "AAPL", "MSFT", "--format", "json"] + DOWN,
    ["batch", "AAPL", "--ca-cert", "/nonexistent/ca.pem", "--server", "https://127.0.0.1:1", "--retries", "0"],
    # run
    ["run"], ["run", "extra"], ["run", "--csv"], ["run", "--format", "xml"], ["run", "--csv", "a", "--request", "b"],
    ["run", "--csv", "/nonexistent/x.csv", "--strategy", "sma_cross"], ["run", "--csv", "/nonexistent/x.csv"],
    ["run", "--request", "/nonexistent/r.json"], ["run", "--request", "/nonexistent/r.json", "--strategy", "x"],
    ["run", "--request", "/nonexistent/r.json", "--start", "2020-01-01"],
    ["run", "--ticker", "AAPL", "--csv", "x", "--strategy", "sma_cross"], ["run", "--ticker", "AAPL", "--html", "x.html"],
    ["run", "--ticker", "AAPL", "--strategy", "sma_cross", "--include", "orders"], ["run", "--ticker", "AAPL", "--strategy", "nope"],
    ["run", "--ticker", "AAPL"], ["run", "--ticker", "AAPL", "--strategy", "sma_cross", "--param", "slow=x"],
    ["run", "--ticker", "AAPL", "--strategy", "sma_cross"] + DOWN, ["run", "--ticker", "AAPL", "--strategy", "sma_cross", "--workers", "2"],
    ["run", "--csv", "/nonexistent/x.csv", "--strategy", "sma_cross", "--commission", "0.2"],
    ["run", "--csv", "/nonexistent/x.csv", "--strategy", "sma_cross", "--include"],
    ["run", "--ticker", "AAPL", "--strategy", "sma_cross", "--retries", "-2"],
    # health
    ["health"] + DOWN, ["health", "--json"] + DOWN, ["health", "extra"], ["health", "--json=yes"], ["health", "--retries", "x"],
    ["health", "--connect-timeout", "nan"], ["health", "--server"], ["health", "--server", "notaurl.invalid", "--retries", "0"], ["health", "--strategy", "x"],
    ["health", "--server", "http://127.0.0.1:1,http://127.0.0.1:2", "--retries", "0"],
    # a few other commands' usage errors
    ["jobs", "status"], ["optimize"], ["portfolio"], ["serve", "--port", "70000"], ["data", "nope"], ["config", "set"],
    ["cert", "init"], ["rules", "check", "/nonexistent/r.rules"], ["stats", "--explain", "nope"], ["strategies", "extra"],
]


def environment():
    """The same for the generator and the test: no config file, no server settings, 80 columns."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent-backtest-golden-home", "COLUMNS": "80"}


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, env=environment(), timeout=120)
    return {"args": args, "status": p.returncode, "stdout": p.stdout.decode(), "stderr": p.stderr.decode()}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py BACKTEST_BINARY")
    binary = os.path.abspath(sys.argv[1])
    os.makedirs(os.path.join(HERE, "help"), exist_ok=True)
    for path in COMMANDS:
        r = run(binary, path + ["--help"])
        if r["status"] != 0 or r["stderr"]:
            sys.exit(f"backtest {' '.join(path)} --help: status {r['status']}: {r['stderr']}")
        name = "-".join(path) or "backtest"
        with open(os.path.join(HERE, "help", name + ".txt"), "w") as f:
            f.write(r["stdout"])
    cases = [run(binary, args) for args in CASES]
    with open(os.path.join(HERE, "errors.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(COMMANDS)} help pages, {len(cases)} cases")


if __name__ == "__main__":
    main()
