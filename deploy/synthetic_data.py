"""Synthetic inputs for the deploy checks (cluster-test.sh, outage-test.sh): one long hourly
series and a job of distinct backtests over it, the same bytes on every run.

    python3 deploy/synthetic_data.py bars PATH.csv BARS   # LONG.csv: BARS hourly bars from 2000-01-03
    python3 deploy/synthetic_data.py job ITEMS            # a POST /v1/jobs body on stdout: ITEMS
                                                          # distinct sma_cross runs on LONG (no cache hits)
"""

import datetime
import json
import math
import sys


def bars(path: str, count: int) -> None:
    start = datetime.datetime(2000, 1, 3)
    with open(path, "w") as f:
        f.write("Date,Open,High,Low,Close,Volume\n")
        for i in range(count):
            c = 100 + 20 * math.sin(i / 9) + 5 * math.sin(i / 97) + (i % 7)
            t = start + datetime.timedelta(hours=i)
            f.write(f"{t:%Y-%m-%d %H:%M:%S},{c - 0.5:.4f},{c + 1:.4f},{c - 1:.4f},{c:.4f},{1000 + i % 500}\n")


def job(items: int) -> None:
    requests = [{"ticker": "LONG", "strategy": "sma_cross", "params": {"fast": 2 + k % 40, "slow": 50 + k // 40}} for k in range(items)]
    print(json.dumps({"requests": requests}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "bars":
        bars(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "job":
        job(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
