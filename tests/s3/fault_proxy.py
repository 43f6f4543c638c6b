#!/usr/bin/env python3
"""An HTTP proxy on loopback that injects S3 faults in front of the moto server.

Usage: fault_proxy.py UPSTREAM RULES.json
Prints `PORT <n>` once it listens on 127.0.0.1:<n>; logs one line per request to
stderr (`<method> <path> -> <status>`); exits when its stdin closes.

RULES.json: a list of {"key": substring of the path, "method": "GET", "times": n,
"fault": ...}. A rule fires on the first `times` matching requests, then lets them
through to the upstream. Faults:
  slowdown, error500, nosuchkey  an S3 error reply (503 SlowDown, 500, 404)
  reset                          close the connection without replying
  stall                          wait `seconds` (default 5) before forwarding
  truncate                       the upstream reply's headers, half its body, then close
  short                          a well-formed reply with half the body
  delete                         DELETE the object upstream, then forward: a real 404
"""
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

UPSTREAM = urlparse(sys.argv[1])
RULES = json.load(open(sys.argv[2]))
LOCK = threading.Lock()

FAULTS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "error500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "nosuchkey": (404, "NoSuchKey", "The specified key does not exist."),
}


def fault_for(method: str, path: str):
    with LOCK:
        for rule in RULES:
            if rule.get("method", "GET") == method and rule["key"] in path and rule["times"] > 0:
                rule["times"] -= 1
                return rule
    return None


def upstream(method: str, path: str, headers: dict, body: bytes):
    conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
    headers = {k: v for k, v in headers.items() if k.lower() != "host"}
    headers["Host"] = f"{UPSTREAM.hostname}:{UPSTREAM.port}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # the access log below replaces werkzeug-style noise
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = fault_for(self.command, self.path)
        fault = rule["fault"] if rule else None
        if fault == "reset":
            print(f"{self.command} {self.path} -> reset", file=sys.stderr, flush=True)
            self.close_connection = True
            self.connection.close()
            return
        if fault == "stall":
            print(f"{self.command} {self.path} -> stall", file=sys.stderr, flush=True)
            time.sleep(rule.get("seconds", 5))
            self.close_connection = True
            return
        if fault == "delete":
            gone, _ = upstream("DELETE", self.path.split("?")[0], dict(self.headers.items()), b"")
            print(f"DELETE {self.path} -> {gone.status} (injected before the GET)", file=sys.stderr, flush=True)
            fault = None
        if fault in FAULTS:
            status, code, message = FAULTS[fault]
            xml = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            self.wfile.write(xml)
            print(f"{self.command} {self.path} -> {status} (injected)", file=sys.stderr, flush=True)
            return
        response, data = upstream(self.command, self.path, dict(self.headers.items()), body)
        cut = fault in ("truncate", "short") and response.status == 200 and len(data) > 1
        sent = data[: len(data) // 2] if cut else data
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(sent) if fault == "short" else len(data)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(sent)
                self.wfile.flush()
            except OSError:
                pass
        if fault == "truncate" and cut:
            self.close_connection = True
            self.connection.shutdown(2)
        note = f" ({fault}, {len(sent)} of {len(data)} bytes)" if cut else ""
        print(f"{self.command} {self.path} -> {response.status}{note}", file=sys.stderr, flush=True)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
