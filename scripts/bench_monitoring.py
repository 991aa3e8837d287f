#!/usr/bin/env python3
"""Monitoring benchmark: how noisy and how early are Vigil's alerts? (Python 3.11, stdlib only)

Simulates 30 days of a 10-class classifier in production, drives a real workspace with
hourly `vigil tick` runs (VIGIL_NOW = the simulated hour), and counts what a team would have
received: notifications to a chat webhook, events and pages on a PagerDuty-like receiver, and
how long after a change the first warning / critical notification came.

    scripts/bench_monitoring.sh                   # or: make bench-monitoring
    VIGIL_BIN=/tmp/vigil python3 scripts/bench_monitoring.py --quick
    python3 scripts/bench_monitoring.py --scenarios S2,S4 --seeds 3 --jobs 2

The generator (seeded; identical data before the change in every scenario of one seed):
- Model name and classes come from the SHIPPED policies/example-classifier.yaml, read at run
  time (PyYAML when installed, else a small YAML-subset reader below).
- ~4,000 predictions a day (normal around 4,000, sd 63), spread over the hours with a mild
  daily cycle (most at 14:00 UTC, least at 02:00), uniform within the hour. Each prediction:
  id, ts, model, label (predicted class), score (top-1); no `scores` map.
- True class from fixed, mildly non-uniform shares (weights 1.1 ... 0.9 over the 10 classes).
- Top-1 score s ~ Beta with mean m (concentration 8, floored at 0.1); the prediction is
  correct with probability s * p / m, where p is the true class's recall. In the base state
  m = p = 0.85 for every class: P(correct | s) = s (calibrated), accuracy 0.85. A wrong
  prediction picks one of the other 9 classes uniformly (no confusion structure).
- Ground truth: a uniform sample of 150 of each day's predictions, ingested one day late, at
  00:30 UTC of the next day (after that hour's 00:00 tick).
- The change happens at t_change = start + 15 days (00:00 UTC of the 16th day):
    S0  nothing changes
    S1  recall of one class (the 4th in the policy's list) 0.85 -> 0.75; its scores drop with it
        (still calibrated); the other classes are unchanged
    S2  accuracy 0.85 -> 0.70 for every class, scores drop accordingly (calibrated)
    S3  the two last classes triple their share (then all shares renormalised); recall and
        calibration unchanged (precision of the other classes moves: wrong predictions spread
        uniformly)
    S4  accuracy 0.85 -> 0.65, score distribution unchanged (m stays 0.85: overconfident)

The workspace (one per run, in a temp dir): `vigil init`, the policies folder replaced by a
copy of the shipped policy with only these additions (each printed when added):
- `alerts:` when the shipped policy has no uncommented `alerts:` section: repeat_interval and
  send_resolved from its commented example (else 4h and true), routes warning+critical ->
  team-chat and critical -> oncall-pager. When it HAS one, its values are kept and only the
  receiver names are mapped: a name containing "pager", "oncall" or "pd" -> oncall-pager,
  any other -> team-chat; if then no route sends critical alerts to oncall-pager, one route
  {receivers: [oncall-pager], severity: [critical]} is added.
- `schedule: [{job: evaluate, cron: "0 6 * * *"}]` when it has no `schedule:`.
- `evaluation.label_delay: 1d` when its `evaluation:` has no label_delay.
Receivers in vigil.yaml, both on a local receiver on 127.0.0.1 (random free port; no other
traffic leaves the machine): team-chat (kind webhook, signed: a chat-like grouped
notification per run) and oncall-pager (kind pagerduty, Events API v2).

Each simulated hour H (1 ... 720): ingest the predictions of [H-1h, H) with VIGIL_NOW=H, then
`vigil tick` with VIGIL_NOW=H (the scheduled jobs, then the alert pass: repeats and delivery);
at 00:00 also ingest the previous day's labels with VIGIL_NOW=00:30.

Figures (per run, then per scenario; all of them also in the JSON file):
- notifications per receiver in the 30 days (requests received, repeats included); "full
  windows": those from the first evaluation whose window lies wholly inside the simulated days
  (before it, windows are partly empty: the first week of a newly monitored model); alerts
  raised: alert episodes (an alert firing in a notification that was not firing before).
- PagerDuty: trigger and resolve events, and pages = triggers whose dedup_key had no open
  incident (a resolve closes it); incidents still open at the end.
- before-change notifications: those received before t_change (chat, and pages).
- detection delay (S1-S4): hours from t_change to the first notification that lists a firing
  alert of at least that severity ("warning" means warning or critical) which was not firing
  at that severity just before the first evaluation whose window holds post-change data (a
  new alert or an escalation; repeats of older alerts do not count). Read from the team-chat
  stream, which gets both severities. The alerts in that notification are listed: with a
  noisy policy the first "detection" can be an unrelated rule.
- post-change evaluations: stored scheduled runs whose window ends after t_change (so it holds
  post-change data); the share whose status is warning or critical. Read from the workspace's
  store (.vigil/vigil.db, tables evaluation_runs and findings) with sqlite3; the JSON also has
  the delay to the first warning / critical evaluation status and the findings by rule.
- the status of the last evaluation (still firing at day 30?).

--policy FILE measures another policy file (e.g. `git show OLD:policies/example-classifier.yaml`
for an older binary that does not read the current one); --days N shortens the simulation
for development (the change is then at day N/2).
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHIPPED_POLICY = REPO / "policies" / "example-classifier.yaml"
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
PER_DAY = 4000
LABELS_PER_DAY = 150
LABEL_INGEST_AFTER = timedelta(minutes=30)
BASE_ACCURACY = 0.85
SCORE_CONCENTRATION = 8.0
SHARE_WEIGHTS = [1.1, 1.1, 1.05, 1.05, 1.0, 1.0, 0.95, 0.95, 0.9, 0.9]
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SCENARIOS = {
    "S0": "no change",
    "S1": "one class's recall 0.85 -> 0.75 (calibrated)",
    "S2": "accuracy 0.85 -> 0.70, scores drop (calibrated)",
    "S3": "two classes triple their share",
    "S4": "accuracy 0.85 -> 0.65, scores unchanged",
}
SEVERITY_RANK = {"ok": 0, "insufficient-evidence": 1, "warning": 2, "critical": 3}


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ms(t):
    return int(t.timestamp() * 1000)


def from_ms(v):
    return datetime.fromtimestamp(v / 1000, tz=timezone.utc)


# --------------------------------------------------------------------------------------------
# A small YAML subset reader (block mappings and sequences, flow [..] and {..}, scalars,
# comments), used when PyYAML is not installed. Enough for Vigil's policy files.

def _strip_comment(line):
    out, quote = [], None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _scalar(text):
    t = text.strip()
    if not t:
        return None
    if t[0] == '"' and t[-1] == '"' and len(t) >= 2:
        return json.loads(t)
    if t[0] == "'" and t[-1] == "'" and len(t) >= 2:
        return t[1:-1].replace("''", "'")
    if t in ("true", "True", "TRUE", "yes", "on"):
        return True
    if t in ("false", "False", "FALSE", "no", "off"):
        return False
    if t in ("null", "Null", "NULL", "~"):
        return None
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", t):
        return float(t)
    return t


def _flow(text, pos=0):
    """Parses a flow value at text[pos:]; returns (value, next position)."""
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos < len(text) and text[pos] in "[{":
        closing = "]" if text[pos] == "[" else "}"
        is_map = text[pos] == "{"
        result = {} if is_map else []
        pos += 1
        while True:
            while pos < len(text) and text[pos] in " ,":
                pos += 1
            if pos >= len(text):
                raise ValueError(f"unclosed flow collection: {text}")
            if text[pos] == closing:
                return result, pos + 1
            if is_map:
                key, pos = _flow_token(text, pos, stop=":,}")
                if pos < len(text) and text[pos] == ":":
                    value, pos = _flow(text, pos + 1)
                else:
                    value = None
                result[_scalar(key)] = value
            else:
                value, pos = _flow(text, pos)
                result.append(value)
    token, pos = _flow_token(text, pos, stop=",]}")
    return _scalar(token), pos


def _flow_token(text, pos, stop):
    start, quote = pos, None
    while pos < len(text):
        ch = text[pos]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and pos == start:
            quote = ch
        elif ch in stop and (ch != ":" or pos + 1 >= len(text) or text[pos + 1] in " ,}]"):
            break
        pos += 1
    return text[start:pos].strip(), pos


def _split_key(text):
    """'key: value' -> (key, value) or None when the line is not a mapping entry."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and i == 0:
            quote = ch
        elif ch == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            return _scalar(text[:i]), text[i + 1:].strip()
        elif ch in "[{" and i == 0:
            return None
    return None


def _inline_value(text):
    if text == "":
        return None
    if text[0] in "[{":
        return _flow(text)[0]
    return _scalar(text)


def mini_yaml(source):
    lines = []
    for raw in source.splitlines():
        if raw.strip() in ("---", "..."):
            continue
        stripped = _strip_comment(raw)
        if stripped.strip():
            lines.append([len(stripped) - len(stripped.lstrip(" ")), stripped.strip()])
    if not lines:
        return None
    value, _ = _block(lines, 0, lines[0][0])
    return value


def _block(lines, i, indent):
    if lines[i][1] == "-" or lines[i][1].startswith("- "):
        result = []
        while i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
            rest = lines[i][1][1:].strip()
            if rest == "":
                if i + 1 < len(lines) and lines[i + 1][0] > indent:
                    value, i = _block(lines, i + 1, lines[i + 1][0])
                else:
                    value, i = None, i + 1
            elif rest[0] not in "[{" and _split_key(rest) is not None:
                lines[i] = [indent + 2, rest]  # "- key: v" starts a mapping two columns in
                value, i = _block(lines, i, indent + 2)
            else:
                value, i = _inline_value(rest), i + 1
            result.append(value)
        return result, i
    result = {}
    while i < len(lines) and lines[i][0] == indent:
        kv = _split_key(lines[i][1])
        if kv is None:
            raise ValueError(f"cannot read YAML line: {lines[i][1]}")
        key, rest = kv
        i += 1
        if rest == "":
            nested = i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("-")))
            if nested:
                value, i = _block(lines, i, lines[i][0])
            else:
                value = None
        else:
            value = _inline_value(rest)
        result[key] = value
    return result, i


def load_yaml(text):
    try:
        import yaml  # PyYAML, when present
        return yaml.safe_load(text)
    except ImportError:
        return mini_yaml(text)


# --------------------------------------------------------------------------------------------
# The policy the bench measures: the shipped one, plus only what the bench needs.

ROUTE_NOTE = "# added by scripts/bench_monitoring.py"


def top_level_block(text, key):
    """(first line, end line) of the uncommented top-level `key:` block, or None."""
    lines = text.splitlines(keepends=True)
    start = None
    for i, line in enumerate(lines):
        if start is None:
            if re.match(rf"{re.escape(key)}\s*:", line):
                start = i
        elif line.strip() and not line.startswith((" ", "\t", "#")) and not line.startswith("-"):
            return start, i
    return (start, len(lines)) if start is not None else None


def map_receiver(name):
    n = str(name).lower()
    return "oncall-pager" if ("pager" in n or "oncall" in n or re.search(r"(^|[-_])pd([-_]|$)", n)) else "team-chat"


def flow(value):
    """A value in YAML flow style (JSON strings are valid YAML)."""
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "null"
    s = str(value)
    return s if re.fullmatch(r"[A-Za-z0-9_.\-/]+", s) and _scalar(s) == s else json.dumps(s)


def bench_policy(text):
    """Returns (policy text, parsed policy, list of additions in words)."""
    pol = load_yaml(text) or {}
    added = []
    out = text if text.endswith("\n") else text + "\n"

    # alerts:
    if isinstance(pol.get("alerts"), dict):
        a = dict(pol["alerts"])
        routes = []
        for r in a.get("routes") or []:
            r = dict(r)
            mapped = []
            for name in r.get("receivers") or []:
                m = map_receiver(name)
                if m not in mapped:
                    mapped.append(m)
            r["receivers"] = mapped
            routes.append(r)
        pages = any("oncall-pager" in r["receivers"] and "critical" in (r.get("severity") or ["warning", "critical"]) for r in routes)
        notes = ["alerts: kept the shipped section; receiver names mapped (" +
                 ", ".join(f"{n} -> {map_receiver(n)}" for r in pol["alerts"].get("routes") or [] for n in r.get("receivers") or []) + ")"]
        if not pages:
            routes.append({"receivers": ["oncall-pager"], "severity": ["critical"]})
            notes.append("alerts.routes: added {receivers: [oncall-pager], severity: [critical]} (no route paged)")
        a["routes"] = routes
        start, end = top_level_block(out, "alerts")
        lines = out.splitlines(keepends=True)
        block = [f"alerts:   {ROUTE_NOTE}: the shipped alerts section, receiver names mapped\n"]
        for k, v in a.items():
            if k == "routes":
                block.append("  routes:\n")
                for r in routes:
                    block.append(f"    - {flow(r)}\n")
            else:
                block.append(f"  {k}: {flow(v)}\n")
        out = "".join(lines[:start] + block + lines[end:])
        added += notes
    else:
        m1 = re.search(r"^#\s*repeat_interval:\s*([0-9]+[smhdw])\b", text, re.M)
        repeat = m1.group(1) if m1 else "4h"
        m2 = re.search(r"^#\s*send_resolved:\s*(true|false)\b", text, re.M)
        resolved = m2.group(1) if m2 else "true"
        out += (f"{ROUTE_NOTE}:\n"
                f"alerts:\n"
                f"  repeat_interval: {repeat}\n"
                f"  send_resolved: {resolved}\n"
                f"  routes:\n"
                f"    - {{receivers: [team-chat], severity: [warning, critical]}}\n"
                f"    - {{receivers: [oncall-pager], severity: [critical]}}\n")
        added.append(f"alerts: repeat_interval {repeat} and send_resolved {resolved} "
                     f"({'from the commented example' if m1 else 'the documented default'}), routes warning+critical -> team-chat, critical -> oncall-pager")

    # schedule:
    if pol.get("schedule") is None:
        out += f'{ROUTE_NOTE}:\nschedule:\n  - {{job: evaluate, cron: "0 6 * * *"}}\n'
        added.append('schedule: [{job: evaluate, cron: "0 6 * * *"}]')
    elif not any(isinstance(e, dict) and e.get("job") == "evaluate" for e in pol["schedule"]):
        print("WARNING: the shipped policy has a schedule: without an evaluate job; nothing will be evaluated", file=sys.stderr)

    # evaluation.label_delay
    ev = pol.get("evaluation")
    if not isinstance(ev, dict):
        if ev is None and "evaluation" not in pol:
            out += f"{ROUTE_NOTE}:\nevaluation:\n  label_delay: 1d\n"
            added.append("evaluation: {label_delay: 1d}")
    elif "label_delay" not in ev:
        lines = out.splitlines(keepends=True)
        start, end = top_level_block(out, "evaluation")
        head = lines[start]
        if "{" in head:  # flow style
            lines[start] = head.replace("{", "{label_delay: 1d, ", 1)
        else:
            indent = "  "
            for line in lines[start + 1:end]:
                if line.strip() and not line.lstrip().startswith("#"):
                    indent = line[:len(line) - len(line.lstrip())]
                    break
            lines.insert(start + 1, f"{indent}label_delay: 1d   {ROUTE_NOTE}\n")
        out = "".join(lines)
        added.append("evaluation.label_delay: 1d")

    checked = load_yaml(out)
    assert checked.get("model") == pol.get("model") and checked.get("classes") == pol.get("classes"), "policy rewrite changed model/classes"
    for r in checked["alerts"]["routes"]:
        assert set(r["receivers"]) <= {"team-chat", "oncall-pager"}, r
    assert "label_delay" in checked["evaluation"], checked["evaluation"]
    return out, checked, added


# --------------------------------------------------------------------------------------------
# The generator.

class Generator:
    def __init__(self, scenario, seed, model, classes, days, change_day):
        self.scenario, self.seed, self.model, self.classes = scenario, seed, model, classes
        self.days, self.change_day = days, change_day
        k = len(classes)
        w = [SHARE_WEIGHTS[i % len(SHARE_WEIGHTS)] for i in range(k)]
        self.base_shares = [x / sum(w) for x in w]
        self.hour_weights = [1 + 0.6 * math.cos(2 * math.pi * (h - 14) / 24) for h in range(24)]

    def params(self, day):
        """(class shares, recall p per true class, mean score m per true class) for `day`."""
        k = len(self.classes)
        shares, p, m = list(self.base_shares), [BASE_ACCURACY] * k, [BASE_ACCURACY] * k
        if day >= self.change_day:
            if self.scenario == "S1":
                c = 3 % k
                p[c] = m[c] = BASE_ACCURACY - 0.10
            elif self.scenario == "S2":
                p = [0.70] * k
                m = [0.70] * k
            elif self.scenario == "S3":
                for c in (k - 2, k - 1):
                    shares[c] *= 3
                total = sum(shares)
                shares = [s / total for s in shares]
            elif self.scenario == "S4":
                p = [0.65] * k
        return shares, p, m

    def day(self, day):
        """The day's predictions grouped by hour, and its labelled sample."""
        rng = random.Random(f"vigil-bench-monitoring/{self.seed}/{day}")
        shares, p, m = self.params(day)
        k = len(self.classes)
        n = max(1, int(round(rng.gauss(PER_DAY, math.sqrt(PER_DAY)))))
        hours = sorted(rng.choices(range(24), weights=self.hour_weights, k=n))
        day_start = START + timedelta(days=day)
        by_hour = [[] for _ in range(24)]
        truth = []
        cum = []
        acc = 0.0
        for s in shares:
            acc += s
            cum.append(acc)
        offsets = sorted((h, rng.random()) for h in hours)
        for i, (h, frac) in enumerate(offsets):
            u = rng.random() * cum[-1]
            y = next(c for c, edge in enumerate(cum) if u < edge)
            a = m[y] * SCORE_CONCENTRATION
            b = (1 - m[y]) * SCORE_CONCENTRATION
            score = min(1.0, max(0.1, rng.betavariate(a, b)))
            correct = rng.random() < score * p[y] / m[y]
            wrong = (y + 1 + int(rng.random() * (k - 1))) % k
            pred = y if correct else wrong
            ts = day_start + timedelta(hours=h, seconds=frac * 3600)
            pid = f"d{day:02d}-{i:05d}"
            by_hour[h].append(json.dumps({"id": pid, "ts": iso_ms(ts), "model": self.model, "model_version": "1",
                                          "label": self.classes[pred], "score": round(score, 4)}, separators=(",", ":")))
            truth.append((pid, y))
        sample = rng.sample(truth, min(LABELS_PER_DAY, len(truth)))
        labels = [json.dumps({"prediction_id": pid, "label": self.classes[y]}, separators=(",", ":")) for pid, y in sample]
        return by_hour, labels


# --------------------------------------------------------------------------------------------
# The local receiver (127.0.0.1 only).

class Receiver:
    def __init__(self, log_path):
        self.log = open(log_path, "w", encoding="utf-8")
        self.lock = threading.Lock()
        self.sim_now = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = body.decode("utf-8", "replace")
                status = 202 if self.path.startswith("/oncall-pager") else 200
                with receiver.lock:
                    receiver.log.write(json.dumps({"sim_time": receiver.sim_now, "path": self.path, "body": parsed}) + "\n")
                    receiver.log.flush()
                answer = b'{"status":"success","message":"Event processed"}' if status == 202 else b"ok"
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 202 else "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.log.close()


# --------------------------------------------------------------------------------------------
# One run.

class Runner:
    def __init__(self, vigil, policy_text, model, classes, days, change_day, keep):
        self.vigil, self.policy_text, self.model, self.classes = vigil, policy_text, model, classes
        self.days, self.change_day, self.keep = days, change_day, keep

    def run(self, scenario, seed):
        t0 = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f"vigil-bench-monitoring-{scenario}-{seed}-"))
        ws = tmp / "ws"
        env = dict(os.environ, BENCH_WEBHOOK_SECRET=WEBHOOK_SECRET, BENCH_PD_ROUTING_KEY="bench-routing-key-0123456789abcdef")
        stats = {"processes": 0, "vigil_seconds": 0.0, "tick_failures": [], "eval_tick_seconds": []}

        def vigil(args, now, check=True):
            e = dict(env, VIGIL_NOW=iso(now))
            s = time.monotonic()
            r = subprocess.run([self.vigil, *args, "--workspace", str(ws)], env=e, capture_output=True, text=True)
            stats["processes"] += 1
            stats["vigil_seconds"] += time.monotonic() - s
            if check and r.returncode != 0:
                raise RuntimeError(f"{scenario} seed {seed}: vigil {' '.join(args)} at {iso(now)} exited {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
            return r, time.monotonic() - s

        subprocess.run([self.vigil, "init", "--dir", str(ws)], check=True, capture_output=True, env=env)
        stats["processes"] += 1
        policies = ws / "policies"
        shutil.rmtree(policies)
        policies.mkdir()
        (policies / f"{self.model}.yaml").write_text(self.policy_text)
        receiver = Receiver(tmp / "requests.jsonl")
        try:
            with open(ws / "vigil.yaml", "a") as f:
                f.write("\n# added by scripts/bench_monitoring.py: receivers on the local receiver (127.0.0.1)\n"
                        "receivers:\n"
                        f"  - {{name: team-chat, kind: webhook, url: \"http://127.0.0.1:{receiver.port}/team-chat\", secret: \"${{BENCH_WEBHOOK_SECRET}}\"}}\n"
                        f"  - {{name: oncall-pager, kind: pagerduty, url: \"http://127.0.0.1:{receiver.port}/oncall-pager/v2/enqueue\", routing_key: \"${{BENCH_PD_ROUTING_KEY}}\"}}\n")
            gen = Generator(scenario, seed, self.model, self.classes, self.days, self.change_day)
            batch = tmp / "batch.ndjson"
            labels_file = tmp / "labels.ndjson"
            current_day, by_hour, pending_labels = None, None, {}
            for h in range(1, self.days * 24 + 1):
                now = START + timedelta(hours=h)
                prev = now - timedelta(hours=1)
                day = (prev - START).days
                if day != current_day:
                    by_hour, pending_labels[day] = gen.day(day)
                    current_day = day
                lines = by_hour[prev.hour]
                if lines:
                    batch.write_text("\n".join(lines) + "\n")
                    vigil(["ingest", "predictions", str(batch)], now)
                receiver.sim_now = iso(now)
                r, seconds = vigil(["tick"], now, check=False)
                if r.returncode == 3:
                    raise RuntimeError(f"{scenario} seed {seed}: vigil tick at {iso(now)} exited 3: {r.stderr.strip()}")
                if r.returncode != 0:
                    stats["tick_failures"].append({"at": iso(now), "stdout": r.stdout.strip()[-500:], "stderr": r.stderr.strip()[-500:]})
                if " evaluate " in r.stdout:
                    stats["eval_tick_seconds"].append(round(seconds, 3))
                if now.hour == 0 and (day := (now - START).days - 1) in pending_labels:
                    labels_file.write_text("\n".join(pending_labels.pop(day)) + "\n")
                    vigil(["ingest", "labels", str(labels_file)], now + LABEL_INGEST_AFTER)
            receiver.sim_now = None
        finally:
            receiver.close()
        result = analyse(scenario, seed, tmp, ws, self.days, self.change_day)
        result["timing"] = {"wall_seconds": round(time.monotonic() - t0, 1), "vigil_processes": stats["processes"],
                            "seconds_in_vigil": round(stats["vigil_seconds"], 1),
                            "evaluate_tick_seconds_median": sorted(stats["eval_tick_seconds"])[len(stats["eval_tick_seconds"]) // 2] if stats["eval_tick_seconds"] else None}
        result["tick_failures"] = stats["tick_failures"]
        if self.keep:
            result["workspace"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        return result


def analyse(scenario, seed, tmp, ws, days, change_day):
    change = START + timedelta(days=change_day)
    requests = [json.loads(line) for line in open(tmp / "requests.jsonl", encoding="utf-8")]
    chat = [r for r in requests if r["path"].startswith("/team-chat")]
    pager = [r for r in requests if r["path"].startswith("/oncall-pager")]
    unexpected = [r["path"] for r in requests if not r["path"].startswith(("/team-chat", "/oncall-pager"))]

    def t(r):
        return datetime.strptime(r["sim_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if r["sim_time"] else None

    # PagerDuty incident semantics.
    open_incidents, pages, triggers, resolves = set(), [], 0, 0
    for r in pager:
        b = r["body"] if isinstance(r["body"], dict) else {}
        key, action = b.get("dedup_key"), b.get("event_action")
        if action == "trigger":
            triggers += 1
            if key not in open_incidents:
                open_incidents.add(key)
                pages.append(r)
        elif action == "resolve":
            resolves += 1
            open_incidents.discard(key)

    db = sqlite3.connect(f"file:{ws / '.vigil' / 'vigil.db'}?mode=ro", uri=True)
    runs = db.execute("SELECT id, created_at, window_from, window_to, status, labeled FROM evaluation_runs ORDER BY created_at, id").fetchall()
    findings = db.execute("SELECT r.window_to, f.rule, f.severity FROM findings f JOIN evaluation_runs r ON r.id = f.run_id "
                          "WHERE f.severity IN ('warning', 'critical')").fetchall()
    outbox = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    db.close()
    cut = ms(change)
    pre = [r for r in runs if r[3] <= cut]
    post = [r for r in runs if r[3] > cut]
    # The first scheduled evaluation whose window holds post-change data, and the first whose
    # window lies wholly inside the simulated days (before it, windows are partly empty).
    first_post = from_ms(post[0][1]) if post else None
    first_full = next((from_ms(r[1]) for r in runs if r[2] >= ms(START)), None)

    # Chat stream: the (alert, severity) pairs firing just before the first post-change
    # evaluation; then the first notification listing one that was not (new or escalated).
    firing, baseline = {}, None
    first = {"warning": None, "critical": None}
    rules_notified = {}
    raised = {"before_change": 0, "after_change": 0}  # alert episodes: firing after not firing
    by_rule = {}  # rule (severity) -> hours from the change to its first new notification
    for r in chat:
        data = r["body"].get("data", {}) if isinstance(r["body"], dict) else {}
        when = t(r)
        judged = first_post is not None and when is not None and when >= first_post
        if judged and baseline is None:
            baseline = dict(firing)
        new = {"warning": [], "critical": []}
        for a in data.get("alerts", []):
            fp, sev, status = a.get("fingerprint"), a.get("severity"), a.get("status")
            if status == "firing":
                rules_notified.setdefault(a.get("rule"), set()).add(sev)
                if fp not in firing:
                    raised["after_change" if when >= change else "before_change"] += 1
                if judged and baseline.get(fp) != sev:
                    by_rule.setdefault(f"{a.get('rule')} ({sev})", round((when - change).total_seconds() / 3600, 1))
                    for level in ("warning", "critical"):
                        if SEVERITY_RANK.get(sev, 0) >= SEVERITY_RANK[level]:
                            new[level].append(a)
                firing[fp] = sev
            elif status == "resolved":
                firing.pop(fp, None)
        for level in ("warning", "critical"):
            if new[level] and first[level] is None:
                first[level] = {"at": iso(when), "rules": [a.get("rule") for a in new[level]],
                                "messages": [f"{a.get('severity')}: {a.get('message')}" for a in new[level]]}
    if baseline is None:
        baseline = dict(firing)

    def delay(entry):
        if entry is None:
            return None
        at = datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        return round((at - change).total_seconds() / 3600, 1)

    def tally(rs):
        c = {"runs": len(rs)}
        for s in ("ok", "warning", "critical", "unknown"):
            c[s] = sum(1 for r in rs if r[4] == s)
        c["alerting_share"] = round((c["warning"] + c["critical"]) / len(rs), 3) if rs else None
        return c

    def first_status(level):
        for r in post:
            if SEVERITY_RANK.get(r[4], 0) >= SEVERITY_RANK[level]:
                return round((from_ms(r[1]) - change).total_seconds() / 3600, 1)
        return None

    def rule_counts(rows):
        out = {}
        for _, rule, sev in rows:
            out.setdefault(rule, {"warning": 0, "critical": 0})[sev] += 1
        return dict(sorted(out.items(), key=lambda kv: -(kv[1]["warning"] + kv[1]["critical"])))

    return {
        "scenario": scenario, "seed": seed,
        "team_chat": {"notifications": len(chat), "before_change": sum(1 for r in chat if t(r) < change),
                      "after_change": sum(1 for r in chat if t(r) >= change),
                      "between_change_and_first_post_change_evaluation": sum(1 for r in chat if change <= t(r) < (first_post or t(r))),
                      "full_windows": sum(1 for r in chat if first_full and t(r) >= first_full),
                      "alerts_raised": raised["before_change"] + raised["after_change"],
                      "alerts_raised_before_change": raised["before_change"]},
        "oncall_pager": {"events": len(pager), "triggers": triggers, "resolves": resolves, "pages": len(pages),
                         "pages_before_change": sum(1 for r in pages if t(r) < change),
                         "events_before_change": sum(1 for r in pager if t(r) < change),
                         "open_incidents_at_end": len(open_incidents)},
        "first_post_change_evaluation_h": round((first_post - change).total_seconds() / 3600, 1) if first_post else None,
        "first_full_window_evaluation": iso(first_full) if first_full else None,
        "alerts_firing_before_first_post_change_evaluation": baseline,
        "first_new_warning_after_change": first["warning"], "first_new_critical_after_change": first["critical"],
        "delay_warning_h": delay(first["warning"]), "delay_critical_h": delay(first["critical"]),
        "delay_by_rule_h": dict(sorted(by_rule.items(), key=lambda kv: kv[1])),
        "delay_status_warning_h": first_status("warning"), "delay_status_critical_h": first_status("critical"),
        "evaluations_before_change": tally(pre), "evaluations_after_change": tally(post),
        "last_evaluation": {"created_at": iso(from_ms(runs[-1][1])), "window_to": iso(from_ms(runs[-1][3])), "status": runs[-1][4]} if runs else None,
        "evaluations": [{"created_at": iso(from_ms(r[1])), "window_from": iso(from_ms(r[2])), "window_to": iso(from_ms(r[3])),
                         "status": r[4], "labeled": r[5]} for r in runs],
        "findings_before_change": rule_counts([f for f in findings if f[0] <= cut]),
        "findings_after_change": rule_counts([f for f in findings if f[0] > cut]),
        "rules_notified": {k: sorted(v) for k, v in rules_notified.items()},
        "outbox": outbox, "unexpected_requests": unexpected,
    }


# --------------------------------------------------------------------------------------------

def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def summarise(runs):
    by = {}
    for r in runs:
        by.setdefault(r["scenario"], []).append(r)
    summary = {}
    for scn, rs in sorted(by.items()):
        def agg(values):
            v = [x for x in values if x is not None]
            return {"mean": round(sum(v) / len(v), 2) if v else None, "max": max(v) if v else None,
                    "min": min(v) if v else None, "n": len(v)}
        post = [r["evaluations_after_change"] for r in rs]
        summary[scn] = {
            "description": SCENARIOS[scn], "seeds": [r["seed"] for r in rs],
            "team_chat_notifications": agg([r["team_chat"]["notifications"] for r in rs]),
            "team_chat_before_change": agg([r["team_chat"]["before_change"] for r in rs]),
            "team_chat_full_windows": agg([r["team_chat"]["full_windows"] for r in rs]),
            "alerts_raised": agg([r["team_chat"]["alerts_raised"] for r in rs]),
            "pager_events": agg([r["oncall_pager"]["events"] for r in rs]),
            "pages": agg([r["oncall_pager"]["pages"] for r in rs]),
            "pages_before_change": agg([r["oncall_pager"]["pages_before_change"] for r in rs]),
            "delay_warning_h": agg([r["delay_warning_h"] for r in rs]),
            "delay_critical_h": agg([r["delay_critical_h"] for r in rs]),
            "delay_status_warning_h": agg([r["delay_status_warning_h"] for r in rs]),
            "delay_status_critical_h": agg([r["delay_status_critical_h"] for r in rs]),
            "detected_warning": sum(1 for r in rs if r["delay_warning_h"] is not None),
            "detected_critical": sum(1 for r in rs if r["delay_critical_h"] is not None),
            "post_change_alerting_share": round(sum(p["warning"] + p["critical"] for p in post) / max(1, sum(p["runs"] for p in post)), 3),
            "post_change_alerting_runs": sum(p["warning"] + p["critical"] for p in post),
            "post_change_runs": sum(p["runs"] for p in post),
            "pre_change_alerting_share": round(sum(r["evaluations_before_change"]["warning"] + r["evaluations_before_change"]["critical"] for r in rs)
                                               / max(1, sum(r["evaluations_before_change"]["runs"] for r in rs)), 3),
            "last_status": [r["last_evaluation"]["status"] if r["last_evaluation"] else None for r in rs],
            "open_incidents_at_end": agg([r["oncall_pager"]["open_incidents_at_end"] for r in rs]),
            "wall_seconds": agg([r["timing"]["wall_seconds"] for r in rs]),
        }
    return summary


def print_tables(summary, runs, days, change_day):
    print()
    print(f"Noise: notifications in {days} days, mean / max over seeds ('full windows': from the first evaluation whose window lies wholly inside the data)")
    head = (f"{'scen':<5}{'seeds':>6}  {'team-chat':>12}  {'full windows':>12}  {'alerts raised':>13}  {'pager events':>13}  {'pages':>10}  "
            f"{'evals warn|crit':>18}")
    print(head)
    print("-" * len(head))
    for scn, s in summary.items():
        def mm(a):
            return f"{fmt(a['mean'])} / {fmt(a['max'])}"
        rs = [r for r in runs if r["scenario"] == scn]
        keys = ("evaluations_before_change", "evaluations_after_change") if scn == "S0" else ("evaluations_before_change",)
        n = sum(r[k]["runs"] for r in rs for k in keys)
        bad = sum(r[k]["warning"] + r[k]["critical"] for r in rs for k in keys)
        share = f"{bad}/{n} = {100 * bad / max(1, n):.0f} %"
        print(f"{scn:<5}{len(rs):>6}  {mm(s['team_chat_notifications']):>12}  {mm(s['team_chat_full_windows']):>12}  "
              f"{mm(s['alerts_raised']):>13}  {mm(s['pager_events']):>13}  {mm(s['pages']):>10}  {share:>18}")
    print("  team-chat: notifications (new, escalated, resolved and repeats); alerts raised: alert episodes (an alert firing that was not);")
    print("  pager events: PagerDuty trigger/resolve requests; pages: triggers with no open incident of their dedup_key;")
    print("  evals warn|crit: scheduled evaluations whose status is warning or critical (S0: all; S1-S4: those before the change)")
    changing = [scn for scn in summary if scn != "S0"]
    if not changing:
        return
    firsts = sorted({r["first_post_change_evaluation_h"] for r in runs if r["scenario"] != "S0" and r["first_post_change_evaluation_h"] is not None})
    print()
    print(f"Detection: change at day {change_day} 00:00 UTC; the first scheduled evaluation holding post-change data ran "
          f"{'/'.join(fmt(x) for x in firsts) or '-'} h after it")
    head = (f"{'scen':<5}{'before-change chat|pages':>25}  {'warn delay h':>13}  {'crit delay h':>13}  {'post-change evals warn|crit':>28}  "
            f"{'last eval':>9}  {'open inc.':>9}  alerts in those notifications (warning; critical)")
    print(head)
    print("-" * len(head))
    for scn in changing:
        s = summary[scn]
        rs = [r for r in runs if r["scenario"] == scn]
        before = f"{fmt(s['team_chat_before_change']['mean'])} | {fmt(s['pages_before_change']['mean'])}"
        if len(rs) == 1:
            wd, cd = fmt(rs[0]["delay_warning_h"]), fmt(rs[0]["delay_critical_h"])
        else:
            wd = f"{fmt(s['delay_warning_h']['mean'])} ({s['detected_warning']}/{len(rs)})"
            cd = f"{fmt(s['delay_critical_h']['mean'])} ({s['detected_critical']}/{len(rs)})"
        post = f"{s['post_change_alerting_runs']}/{s['post_change_runs']} = {100 * s['post_change_alerting_share']:.0f} %"
        last = ",".join(sorted(set(x or '-' for x in s["last_status"])))
        def names(k):
            found = sorted({rule for r in rs for rule in ((r[k] or {}).get("rules") or [])})
            return "-" if not found else ", ".join(found[:4]) + (f" +{len(found) - 4}" if len(found) > 4 else "")
        rules = f"{names('first_new_warning_after_change')}; {names('first_new_critical_after_change')}"
        print(f"{scn:<5}{before:>25}  {wd:>13}  {cd:>13}  {post:>28}  {last:>9}  {fmt(s['open_incidents_at_end']['mean']):>9}  {rules}")
    for scn in changing:
        print(f"  {scn}: {summary[scn]['description']}")
    print(f"  delay: hours from the change to the first notification listing a firing alert (warning: or critical) that was not")
    print(f"  firing at that severity before the first post-change evaluation ('-': none within the {days} days).")
    print(f"  before-change: notifications and pages received before the change. open inc.: PagerDuty incidents open at the end.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1, help="seeds per changing scenario S1-S4 (default 1)")
    ap.add_argument("--s0-seeds", type=int, default=None, help="seeds of S0 (default 10, 2 with --quick)")
    ap.add_argument("--quick", action="store_true", help="S0 with 2 seeds (development)")
    ap.add_argument("--scenarios", default="S0,S1,S2,S3,S4", help="comma-separated subset")
    ap.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    ap.add_argument("--days", type=int, default=30, help="simulated days (default 30; the change is at days/2)")
    ap.add_argument("--out", default=None, help="JSON results (default bench-data/monitoring/results.json)")
    ap.add_argument("--keep", action="store_true", help="keep each run's workspace and request log")
    ap.add_argument("--policy", default=str(SHIPPED_POLICY),
                    help="the policy to measure (default: the shipped policies/example-classifier.yaml, read now); "
                         "e.g. an older one from git show, to run an older binary")
    args = ap.parse_args()

    vigil = os.environ.get("VIGIL_BIN") or str(REPO / ".build" / "release" / "vigil")
    if not os.path.isabs(vigil):
        vigil = str((REPO / vigil).resolve()) if not Path(vigil).exists() else str(Path(vigil).resolve())
    if not os.access(vigil, os.X_OK):
        sys.exit(f"bench_monitoring: no vigil binary at {vigil} (set VIGIL_BIN or run scripts/bench_monitoring.sh)")
    policy_path = Path(args.policy).resolve()
    shipped = policy_path.read_text()
    policy_text, policy, added = bench_policy(shipped)
    model, classes = policy["model"], [str(c) for c in policy["classes"]]
    days = args.days
    change_day = days // 2
    s0 = args.s0_seeds if args.s0_seeds is not None else (2 if args.quick else 10)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for s in wanted:
        if s not in SCENARIOS:
            sys.exit(f"bench_monitoring: unknown scenario {s} (known: {', '.join(SCENARIOS)})")
    plan = [(s, seed) for s in wanted if s != "S0" for seed in range(1, args.seeds + 1)]
    plan += [("S0", seed) for seed in range(1, s0 + 1)] if "S0" in wanted else []

    print(f"monitoring benchmark: {model}, {len(classes)} classes, {days} days, ~{PER_DAY} predictions/day, "
          f"{LABELS_PER_DAY} labels/day (ingested 00:30 next day), change at day {change_day} 00:00 UTC")
    print(f"vigil: {vigil}")
    shown = policy_path.relative_to(REPO) if policy_path.is_relative_to(REPO) else policy_path
    print(f"policy: {shown}{' (shipped)' if policy_path == SHIPPED_POLICY.resolve() else ''}, with these keys added by the bench:")
    for a in added:
        print(f"  + {a}")
    ev = policy.get("evaluation") or {}
    print(f"  in effect: window {ev.get('window', '7d')}, label_delay {ev.get('label_delay')}, "
          f"schedule {[(e.get('job'), e.get('cron')) for e in policy.get('schedule') or []]}, "
          f"repeat_interval {policy['alerts'].get('repeat_interval', '4h')}")
    print(f"runs: {', '.join(f'{s}#{n}' for s, n in plan)} ({args.jobs} at a time)")
    sys.stdout.flush()

    runner = Runner(vigil, policy_text, model, classes, days, change_day, args.keep)
    t0 = time.monotonic()
    results = []

    def one(item):
        s, seed = item
        r = runner.run(s, seed)
        print(f"  {s} seed {seed}: {r['timing']['wall_seconds']} s, {r['team_chat']['notifications']} chat notifications, "
              f"{r['oncall_pager']['pages']} pages, last evaluation {r['last_evaluation']['status'] if r['last_evaluation'] else '-'}"
              + (f", {len(r['tick_failures'])} failed ticks" if r["tick_failures"] else ""), file=sys.stderr, flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, plan))
    total = time.monotonic() - t0
    summary = summarise(results)
    print_tables(summary, results, days, change_day)
    problems = [f"{r['scenario']}#{r['seed']}: {len(r['tick_failures'])} failed ticks" for r in results if r["tick_failures"]]
    problems += [f"{r['scenario']}#{r['seed']}: outbox {r['outbox']}" for r in results if set(r["outbox"]) - {"delivered"}]
    problems += [f"{r['scenario']}#{r['seed']}: unexpected requests {r['unexpected_requests'][:3]}" for r in results if r["unexpected_requests"]]
    for p in problems:
        print(f"PROBLEM: {p}")
    per = sorted(r["timing"]["wall_seconds"] for r in results)
    print()
    print(f"time: {total:.0f} s for {len(results)} runs ({args.jobs} at a time); one run {per[0]:.0f}-{per[-1]:.0f} s "
          f"({results[0]['timing']['vigil_processes']} vigil processes each)")
    out = Path(args.out) if args.out else REPO / "bench-data" / "monitoring" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"config": {"vigil": vigil, "model": model, "classes": classes, "days": days, "change_day": change_day,
                                          "start": iso(START), "per_day": PER_DAY, "labels_per_day": LABELS_PER_DAY,
                                          "policy_file": str(policy_path), "policy_additions": added, "policy": policy_text, "jobs": args.jobs},
                               "total_seconds": round(total, 1), "summary": summary, "runs": results}, indent=1, default=list))
    print(f"results: {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
