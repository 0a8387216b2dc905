#!/bin/sh
# Rebuilds the pages, fills the right one (report, optimize or batch, by the data's "kind") with
# every sample in .build/report/*.json and Tools/report/samples/*.json, and render-checks each
# (light; dark too with DARK=1). Samples come from make_sample.py and samples.py (see README.md).
set -e
cd "$(dirname "$0")/../.."
python3 Tools/report/build_template.py >/dev/null
mkdir -p .build/report
status=0
for j in .build/report/*.json Tools/report/samples/*.json; do
  [ -e "$j" ] || continue
  b=.build/report/$(basename "${j%.json}")
  case $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("kind", ""))' "$j") in
    optimization) t=optimize ;;
    batch) t=batch ;;
    *) t=report ;;
  esac
  python3 Tools/report/fill.py "Sources/BacktestReport/Resources/$t.html" "$j" "$b.html"
  python3 Tools/report/render_check.py "$b.html" --png "$b.png" ${EXPECT:+--expect "$EXPECT"} || status=1
  if [ -n "$DARK" ]; then
    python3 Tools/report/render_check.py "$b.html" --dark --png "$b-dark.png" ${EXPECT:+--expect "$EXPECT"} || status=1
  fi
done
exit $status
