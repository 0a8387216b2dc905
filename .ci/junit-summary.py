#!/usr/bin/env python3
"""The closing line of a pytest suite run by CI, from its JUnit report.

Usage: python3 .ci/junit-summary.py JUNIT.xml EXIT_STATUS NAME

Prints `NAME: K skipped (reasons above)` when tests were skipped, then `N passed, N failed`
(errors count as failures; a non-zero exit status with no failure recorded, e.g. a killed run
or a collection error, counts as one, and so does a run in which no test ran). Exits 1 unless
the run passed. Standard library only, so any python3 runs it.
"""
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    junit, status, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        root = ET.parse(junit).getroot()
        suites = [root] if root.tag == "testsuite" else list(root)
        total = sum(int(s.get("tests", 0)) for s in suites)
        failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skipped = sum(int(s.get("skipped", 0)) for s in suites)
    except (OSError, ET.ParseError):
        total, failed, skipped = 0, 1, 0
    passed = max(0, total - failed - skipped)
    if status != 0 and failed == 0:
        failed = 1  # killed, or a collection error
    if total == 0 and failed == 0:
        failed = 1  # no test ran
    if skipped:
        print(f"{name}: {skipped} skipped (reasons above)")
    print(f"{passed} passed, {failed} failed")
    return 0 if status == 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
