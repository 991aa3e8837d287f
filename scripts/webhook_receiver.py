#!/usr/bin/env python3
"""A webhook receiver for Vigil's tests and benchmarks (stdlib only).

Records every request (path, query, headers, body, the status it answered) as one JSON line in
--log, flushed at once. Answers 200 "ok" unless told otherwise through its control endpoint:

    POST /_control  {"script": [{"status": 500, "count": 2},
                                {"status": 429, "retry_after": "1", "count": 1},
                                {"sleep": 3, "count": 1},
                                {"status": 404}],
                     "delay": 0.0}

Each script step answers the next `count` requests (default 1) and is then used up; `sleep`
holds the answer that many seconds (to outlast a client timeout). `delay` slows every answer.
GET /_health answers 200. Control requests are not logged.

    python3 scripts/webhook_receiver.py --port 0 --port-file /tmp/port --log /tmp/requests.ndjson

--host picks the loopback address to listen on (default 127.0.0.1; any of 127.0.0.0/8 works).
A step with "location" answers with that Location header (a redirect, with status 302/307).

--port 0 picks a free port and writes it to --port-file; stop with SIGTERM and start again on
the same --port to simulate a receiver that was down.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class State:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.script = []
        self.delay = 0.0
        self.log = open(log_path, "a", encoding="utf-8")

    def next_step(self):
        with self.lock:
            while self.script:
                step = self.script[0]
                if step.get("count", 1) <= 0:
                    self.script.pop(0)
                    continue
                step["count"] = step.get("count", 1) - 1
                return dict(step)
            return {}

    def record(self, entry):
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # answer at once: no 40 ms wait for a delayed ACK
    state = None

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"ok", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)  # headers and body in one write
        self.flush_headers()

    def do_GET(self):
        self.answer(200 if self.path == "/_health" else 404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True  # the client died mid-request: nothing was delivered
            return
        url = urlsplit(self.path)
        if url.path == "/_control":
            control = json.loads(body or b"{}")
            with self.state.lock:
                self.state.script = control.get("script", [])
                self.state.delay = float(control.get("delay", 0))
            self.answer(200)
            return
        step = self.state.next_step()
        if step.get("sleep"):
            time.sleep(float(step["sleep"]))
        if self.state.delay:
            time.sleep(self.state.delay)
        status = int(step.get("status", 200))
        headers = {}
        if "retry_after" in step:
            headers["Retry-After"] = str(step["retry_after"])
        if "location" in step:
            headers["Location"] = step["location"]
        self.state.record({
            "ts": time.time(), "path": url.path, "query": url.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"), "status": status,
        })
        try:
            self.answer(status, b"ok" if status < 300 else b"error", headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): that is what the test wanted


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    # A parent that spawned us from a thread with signals blocked (a test runner's worker
    # thread) passes that mask on: unblock, or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    Handler.state = State(args.log)
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(args.port_file + ".tmp", args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    # Exit with the process that started us, even if it was killed before it could stop us.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    print(f"listening on {args.host}:{server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
