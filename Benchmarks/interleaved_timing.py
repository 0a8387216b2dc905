#!/usr/bin/env python3
"""Whole-process times of several commands, interleaved round by round (so a drift in the VM's
speed hits every command alike): median and minimum wall time and median CPU (user + system,
all threads, from wait4) per command. Output goes to /dev/null.

    python3 Benchmarks/interleaved_timing.py ROUNDS 'NAME=COMMAND ARGS' ...

The first 3 rounds are warm-up. Used for the start-up figures in BENCHMARKS.md ("Start-up").
"""
import os
import shlex
import statistics
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: interleaved_timing.py ROUNDS 'NAME=COMMAND ARGS' ...")
    rounds = int(sys.argv[1])
    commands = [(a.split("=", 1)[0], shlex.split(a.split("=", 1)[1])) for a in sys.argv[2:]]
    wall = {name: [] for name, _ in commands}
    cpu = {name: [] for name, _ in commands}
    devnull = os.open(os.devnull, os.O_WRONLY)
    for i in range(rounds + 3):
        for name, argv in commands:
            started = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                os.execv(argv[0], argv)
            _, _, usage = os.wait4(pid, 0)
            elapsed = time.perf_counter() - started
            if i >= 3:
                wall[name].append(elapsed * 1000)
                cpu[name].append((usage.ru_utime + usage.ru_stime) * 1000)
    for name, _ in commands:
        w = sorted(wall[name])
        print(f"{name:32s} wall median {statistics.median(w):6.2f} ms  min {w[0]:6.2f}   CPU median {statistics.median(cpu[name]):6.2f} ms")


if __name__ == "__main__":
    main()
