#!/usr/bin/env python3
"""Checks the API key gate of a live Backtest server against its OpenAPI document.

Usage: fuzz_auth.py OPENAPI_JSON BASE_URL

For every operation in the document whose effective `security` requirement is not
empty (the operation's own `security`, else the document's), sends the request
  - without an Authorization header, and
  - with a wrong key ("Authorization: Bearer <not the key>"),
and expects 401 both times. Path parameters are replaced by a dummy value and a
minimal body is sent for operations that take one, so a server that forgot the gate
would answer something other than 401 (404, 422, 200, ...).

Then checks that GET /health and GET /ready answer 200 without a key.

Only the standard library is used. Prints one line per request and exits 1 if any
check failed. Only loopback URLs are accepted.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DUMMY_PATH_VALUE = "FUZZDUMMY"  # matches the ticker pattern; an id no job has
WRONG_KEY = "not-the-key-0000000000000000"
TIMEOUT_S = 10


def request(base: str, method: str, path: str, body: bytes | None, content_type: str | None,
            authorization: str | None) -> tuple[int, str]:
    """Sends one request; returns (status, first 200 characters of the body)."""
    req = urllib.request.Request(base + path, data=body, method=method.upper())
    if content_type is not None:
        req.add_header("Content-Type", content_type)
    if authorization is not None:
        req.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            return resp.status, resp.read(200).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:  # 4xx/5xx arrive as exceptions
        return err.code, err.read(200).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as err:
        return 0, f"no reply: {err}"


def minimal_body(operation: dict) -> tuple[bytes | None, str | None]:
    """A minimal body in the first media type the operation declares, or none."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    if not content:
        return None, None
    media_type = next(iter(content))
    if "json" in media_type:
        return b"{}", media_type
    return b"", media_type


def effective_security(document: dict, operation: dict) -> list:
    """The operation's security requirements (operation-level wins over the document's)."""
    security = operation.get("security", document.get("security", []))
    # `[{}]` (an empty requirement object) also means "no authentication needed".
    return [requirement for requirement in security if requirement]


def substitute_path(path: str, path_item: dict, operation: dict) -> str:
    """Replaces every {param} by the dummy value (URL-encoded)."""
    names = {p.get("name") for p in path_item.get("parameters", []) + operation.get("parameters", [])
             if isinstance(p, dict) and p.get("in") == "path"}
    for name in names:
        path = path.replace("{" + name + "}", urllib.parse.quote(DUMMY_PATH_VALUE, safe=""))
    return path


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        document = json.load(f)
    base = sys.argv[2].rstrip("/")
    host = urllib.parse.urlsplit(base).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"auth: refusing non-loopback base URL {base}", file=sys.stderr)
        return 2

    passed, failed = 0, 0

    def expect(label: str, status: int, expected: int, body: str) -> None:
        nonlocal passed, failed
        if status == expected:
            passed += 1
            print(f"  ok    {label} -> {status}")
        else:
            failed += 1
            print(f"  FAIL  {label} -> {status} (expected {expected}): {body.strip()[:160]}")

    secured = 0
    for path, path_item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            operation = path_item.get(method)
            if not isinstance(operation, dict) or not effective_security(document, operation):
                continue
            secured += 1
            url_path = substitute_path(path, path_item, operation)
            body, content_type = minimal_body(operation)
            for what, authorization in (("no key", None), ("wrong key", f"Bearer {WRONG_KEY}")):
                status, text = request(base, method, url_path, body, content_type, authorization)
                expect(f"{method.upper()} {url_path} ({what})", status, 401, text)

    if secured == 0:
        failed += 1
        print("  FAIL  the document declares no operation with a security requirement")

    # The public routes answer without a key.
    for path in ("/health", "/ready"):
        status, text = request(base, "get", path, None, None, None)
        expect(f"GET {path} (no key)", status, 200, text)

    print(f"auth: {secured} secured operations; {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
