-- wrk script: POST one one-year sma_cross 10/30 backtest per request.
-- BACKTEST_TICKER / BACKTEST_KEY in the environment change the ticker / add a bearer key.
local ticker = os.getenv("BACKTEST_TICKER") or "AAPL"
wrk.method = "POST"
wrk.path = "/v1/backtests"
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BACKTEST_KEY")
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
wrk.body = '{"ticker":"' .. ticker .. '","start":"2020-01-01","end":"2020-12-31",'
  .. '"strategy":"sma_cross","params":{"fast":10,"slow":30}}'

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
