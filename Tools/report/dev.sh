#!/bin/sh
# Rebuilds the template, fills it with every sample in .build/report/*.json and render-checks
# each (light; dark too with DARK=1). Samples come from make_sample.py (see README.md).
set -e
cd "$(dirname "$0")/../.."
python3 Tools/report/build_template.py >/dev/null
status=0
for j in .build/report/*.json; do
  b=${j%.json}
  python3 Tools/report/fill.py Sources/BacktestReport/Resources/report.html "$j" "$b.html"
  python3 Tools/report/render_check.py "$b.html" --png "$b.png" ${EXPECT:+--expect "$EXPECT"} || status=1
  if [ -n "$DARK" ]; then
    python3 Tools/report/render_check.py "$b.html" --dark --png "$b-dark.png" ${EXPECT:+--expect "$EXPECT"} || status=1
  fi
done
exit $status
