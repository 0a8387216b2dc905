/// The OpenAPI 3.1 description of the API, served at `GET /openapi.json`.
///
/// Hand-written; `OpenAPITests` checks that it lists exactly the router's routes, each
/// with its bodies and error replies.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Backtest server",
    "version": "0.1.0",
    "description": "Runs backtests (backtesting.py semantics) on daily bars held by the server. Every error is application/problem+json. All routes but /health and /ready need 'Authorization: Bearer KEY' when the server has keys."
  },
  "security": [{"bearer": []}],
  "paths": {
    "/health": {
      "get": {
        "summary": "Liveness and load; no key needed",
        "security": [],
        "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
      }
    },
    "/ready": {
      "get": {
        "summary": "Readiness; 503 while starting or draining; no key needed",
        "security": [],
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ready"}}}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus text: requests by route and status, backtest latency histogram, queue depth, cache hits and misses, jobs by status",
        "responses": {
          "200": {"description": "Prometheus text exposition 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {
          "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/v1/strategies": {
      "get": {
        "summary": "Built-in strategies with their parameters (type, default, bounds)",
        "responses": {
          "200": {"description": "Strategies", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StrategyList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/v1/tickers": {
      "get": {
        "summary": "Tickers the server has bars for, with first/last date and bar count",
        "responses": {
          "200": {"description": "Tickers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TickerList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/v1/backtests": {
      "post": {
        "summary": "Run one backtest",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BacktestRequest"}}}},
        "responses": {
          "200": {"description": "Result", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BacktestReply"}}}},
          "400": {"$ref": "#/components/responses/MalformedJSON"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/InvalidField"},
          "429": {"$ref": "#/components/responses/Overloaded"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/backtests/batch": {
      "post": {
        "summary": "Run up to 1000 backtests in one call; each item succeeds or fails on its own",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}}},
        "responses": {
          "200": {"description": "One item per request, in request order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchReply"}}}},
          "400": {"$ref": "#/components/responses/MalformedJSON"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/InvalidField"},
          "429": {"$ref": "#/components/responses/Overloaded"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/jobs": {
      "post": {
        "summary": "Run a batch asynchronously; stored so a restart loses no finished result and resumes the rest",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}}}},
        "responses": {
          "202": {"description": "Accepted", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobCreated"}}}},
          "400": {"$ref": "#/components/responses/MalformedJSON"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/InvalidField"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/jobs/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "A job's status and progress; results once it has ended",
        "responses": {
          "200": {"description": "Status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobStatus"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      },
      "delete": {
        "summary": "Cancel a job (an ended job is returned unchanged)",
        "responses": {
          "200": {"description": "Status after cancelling", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobStatus"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/v1/jobs/{id}/events": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "Live progress as Server-Sent Events: 'event: item' (data JobItemEvent) per finished item, earlier ones replayed first, then 'event: done' (data JobStatus without results)",
        "responses": {
          "200": {"description": "Event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        }
      }
    },
    "/v1/tickers/{ticker}/bars": {
      "parameters": [{"name": "ticker", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_^=-][A-Za-z0-9._^=-]{0,31}$"}}],
      "put": {
        "summary": "Upload a ticker's bars as CSV; replaces its imported bars atomically (validated like 'backtest data import'; a refused file imports nothing and the detail names its line)",
        "parameters": [{"name": "adjust", "in": "query", "required": false, "schema": {"type": "boolean", "default": false}, "description": "Scale Open/High/Low by Adj Close / Close"}],
        "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string", "description": "Date,Open,High,Low,Close[,Adj Close][,Volume] (Yahoo layout) or backtesting.py's layout; dates or date-times"}}}},
        "responses": {
          "200": {"description": "Replaced an imported series", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TickerImport"}}}},
          "201": {"description": "Imported a new ticker", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TickerImport"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"description": "413: upload over the server's upload limit (--max-upload-mb, default 64 MiB)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "415": {"description": "415: the body is not text/csv", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "422": {"description": "422: invalid bars (code from the parser: missing_column, invalid_number, invalid_date, invalid_price, high_below_low, duplicate_timestamp, empty) or ticker", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
          "429": {"$ref": "#/components/responses/Overloaded"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/tickers/{ticker}": {
      "parameters": [{"name": "ticker", "in": "path", "required": true, "schema": {"type": "string"}}],
      "delete": {
        "summary": "Remove an imported ticker and its bars (bundled and --data-dir files are not touched)",
        "responses": {
          "200": {"description": "Removed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TickerRemoval"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/InvalidField"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "responses": {
      "MalformedJSON": {"description": "400: the body is not JSON or not an object", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "Unauthorized": {"description": "401: missing or wrong API key", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "NotFound": {"description": "404: unknown ticker (the detail says how many are known and how to add one) or job", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "TooLarge": {"description": "413: body over 1 MiB", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "InvalidField": {"description": "422: an invalid field, named in 'field' (unknown strategy or parameter, end before start, cash <= 0, empty date range, ...)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "Overloaded": {"description": "429: the queue is full", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "Unavailable": {"description": "503: starting or draining", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    },
    "schemas": {
      "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {
          "type": {"type": "string", "description": "https://backtest.dev/problems/CODE"},
          "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
          "field": {"type": "string", "description": "The request field at fault, e.g. params.fast"},
          "request_id": {"type": "string", "description": "Present on server faults (500); quote it to find the log line"}
        }
      },
      "ParameterValue": {"oneOf": [{"type": "number"}, {"type": "boolean"}]},
      "BacktestRequest": {
        "type": "object", "required": ["ticker", "strategy"], "additionalProperties": false,
        "properties": {
          "ticker": {"type": "string"},
          "start": {"type": "string", "description": "YYYY-MM-DD or a date-time, inclusive"},
          "end": {"type": "string", "description": "YYYY-MM-DD (the whole day) or a date-time, inclusive"},
          "strategy": {"type": "string", "description": "See GET /v1/strategies"},
          "params": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ParameterValue"}},
          "cash": {"type": "number", "default": 10000, "exclusiveMinimum": 0},
          "commission": {"oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}], "default": 0},
          "spread": {"type": "number", "default": 0},
          "margin": {"type": "number", "default": 1},
          "trade_on_close": {"type": "boolean", "default": false},
          "hedging": {"type": "boolean", "default": false},
          "exclusive_orders": {"type": "boolean", "default": false},
          "finalize_trades": {"type": "boolean", "default": false},
          "sl_pct": {"type": ["number", "null"]},
          "tp_pct": {"type": ["number", "null"]},
          "include": {"type": "array", "items": {"enum": ["trades", "equity"]}}
        }
      },
      "Statistics": {
        "type": "object", "description": "As 'backtest run --format json' prints them: start, end, duration_days, return_pct, sharpe_ratio, max_drawdown_pct, trades, ... (NaN as null)",
        "additionalProperties": {"type": ["number", "string", "null"]}
      },
      "Trade": {"type": "object", "additionalProperties": true},
      "BacktestReply": {
        "type": "object", "required": ["ticker", "start", "end", "strategy", "params", "stats", "cached", "elapsed_ms"],
        "properties": {
          "ticker": {"type": "string"}, "start": {"type": "string"}, "end": {"type": "string"}, "strategy": {"type": "string"},
          "params": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ParameterValue"}},
          "stats": {"$ref": "#/components/schemas/Statistics"},
          "trades": {"type": "array", "items": {"$ref": "#/components/schemas/Trade"}},
          "equity": {"type": "array", "items": {"type": ["number", "null"]}},
          "cached": {"type": "boolean"}, "elapsed_ms": {"type": "number"}
        }
      },
      "BatchRequest": {
        "description": "Either explicit requests, or tickers sharing the other request fields. 1 to 1000 items.",
        "oneOf": [
          {"type": "object", "required": ["requests"], "properties": {"requests": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/BacktestRequest"}}}},
          {"type": "object", "required": ["tickers", "strategy"], "properties": {"tickers": {"type": "array", "maxItems": 1000, "items": {"type": "string"}}}}
        ]
      },
      "BatchItem": {
        "type": "object", "required": ["index"],
        "properties": {
          "index": {"type": "integer"}, "ticker": {"type": "string"},
          "result": {"$ref": "#/components/schemas/BacktestReply"},
          "error": {"$ref": "#/components/schemas/Problem"}
        }
      },
      "BatchReply": {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/BatchItem"}}}},
      "Health": {
        "type": "object", "required": ["status", "version", "uptime_s", "workers", "in_flight", "queued"],
        "properties": {
          "status": {"enum": ["ok", "draining"]}, "version": {"type": "string"}, "uptime_s": {"type": "number"},
          "workers": {"type": "integer"}, "in_flight": {"type": "integer"}, "queued": {"type": "integer"}
        }
      },
      "StrategyList": {
        "type": "object",
        "properties": {"strategies": {"type": "array", "items": {"type": "object", "properties": {
          "name": {"type": "string"}, "description": {"type": "string"},
          "parameters": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "type": {"enum": ["int", "float", "bool"]}, "default": {"$ref": "#/components/schemas/ParameterValue"},
            "minimum": {"type": "number"}, "maximum": {"type": "number"}, "description": {"type": "string"}}}}}}}}
      },
      "TickerImport": {
        "type": "object", "required": ["ticker", "bars", "first", "last", "source", "contentHash", "replaced", "warnings"],
        "properties": {"ticker": {"type": "string"}, "bars": {"type": "integer"}, "first": {"type": "string"}, "last": {"type": "string"},
          "source": {"type": "string"}, "contentHash": {"type": "string"}, "replaced": {"type": "integer", "description": "bars of the previous series replaced"},
          "warnings": {"type": "array", "items": {"type": "string"}, "description": "suspicious bars (gaps, large one-bar moves), imported anyway"}}
      },
      "TickerRemoval": {"type": "object", "required": ["ticker", "bars"], "properties": {"ticker": {"type": "string"}, "bars": {"type": "integer"}}},
      "TickerList": {
        "type": "object",
        "properties": {"tickers": {"type": "array", "items": {"type": "object", "properties": {
          "ticker": {"type": "string"}, "first": {"type": "string"}, "last": {"type": "string"}, "bars": {"type": "integer"},
          "source": {"enum": ["data-dir", "bundled", "database"]}}}}}
      },
      "JobCreated": {
        "type": "object", "required": ["id", "status_url", "events_url"],
        "properties": {"id": {"type": "string"}, "status_url": {"type": "string"}, "events_url": {"type": "string"}}
      },
      "JobProgress": {"type": "object", "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}}},
      "JobStatus": {
        "type": "object", "required": ["id", "status", "progress"],
        "properties": {
          "id": {"type": "string"}, "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
          "progress": {"$ref": "#/components/schemas/JobProgress"},
          "results": {"type": "array", "items": {"$ref": "#/components/schemas/BatchItem"}}
        }
      },
      "JobItemEvent": {
        "type": "object", "required": ["progress", "item"],
        "properties": {"progress": {"$ref": "#/components/schemas/JobProgress"}, "item": {"$ref": "#/components/schemas/BatchItem"}}
      }
    }
  }
}
"""#
}
