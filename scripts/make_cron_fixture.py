#!/usr/bin/env python3
"""Expected next/latest fire times of cron expressions, by brute force over every minute.

Independent of Vigil's CronSchedule: Python's zoneinfo (the system tz database) gives each
UTC minute its wall-clock time; a minute fires when its wall time matches the expression and
it is the first occurrence of that wall time (fold == 0). Wall times skipped by a DST change
never appear, so they never fire.

Rerun: python3 scripts/make_cron_fixture.py > Tests/VigilCoreTests/Fixtures/cron_cases.json
"""
import json
from datetime import datetime, timezone, timedelta
from zoneinfo import ZoneInfo

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def values(field, lo, hi, names=(), base=0):
    def one(s):
        s = s.lower()
        return names.index(s) + base if s in names else int(s)
    out = set()
    for item in field.split(","):
        rng, _, step = item.partition("/")
        step = int(step) if step else 1
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = map(one, rng.split("-"))
        else:
            a = one(rng)
            b = hi if step != 1 or "/" in item else a
        out.update(range(a, b + 1, step))
    return out


def matcher(expr):
    expr = MACROS.get(expr, expr)
    f = expr.split()
    mi, ho = values(f[0], 0, 59), values(f[1], 0, 23)
    dom, mon = values(f[2], 1, 31), values(f[3], 1, 12, MONTHS, 1)
    dow = {d % 7 for d in values(f[4], 0, 7, DAYS)}
    both = not f[2].startswith("*") and not f[4].startswith("*")

    def day_ok(dt):
        if dt.month not in mon:
            return False
        a, b = dt.day in dom, (dt.isoweekday() % 7) in dow
        return (a or b) if both else (a and b)

    def ok(dt):
        return dt.fold == 0 and dt.minute in mi and dt.hour in ho and day_ok(dt)
    return ok


def scan(expr, tz, start, forward):
    ok, zone = matcher(expr), ZoneInfo(tz)
    t = int(start.timestamp()) // 60 * 60
    if forward:
        t += 60
    for _ in range(60 * 24 * 400):
        if ok(datetime.fromtimestamp(t, zone)):
            return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        t += 60 if forward else -60
    return None


CASES = [
    # (expression, zone, start instant)
    ("0 6 * * *", "UTC", "2026-11-25T07:00:00Z"),
    ("*/15 * * * *", "UTC", "2026-11-25T07:00:00Z"),
    ("5,35 9-17/4 * * *", "UTC", "2026-11-25T13:40:00Z"),
    ("0 0 1 * *", "UTC", "2026-12-15T00:00:00Z"),
    ("0 12 * * mon-fri", "UTC", "2026-11-27T13:00:00Z"),
    ("0 12 * * 7", "UTC", "2026-11-25T00:00:00Z"),
    ("0 12 * * 0", "UTC", "2026-11-25T00:00:00Z"),
    ("30 4 1,15 * 5", "UTC", "2026-11-16T00:00:00Z"),
    ("0 0 13 * fri", "UTC", "2026-11-14T00:00:00Z"),
    ("0 9 * jan,jul *", "UTC", "2026-11-25T00:00:00Z"),
    ("0 0 29 2 *", "UTC", "2027-12-01T00:00:00Z"),
    ("@hourly", "UTC", "2026-11-25T07:59:59Z"),
    ("@daily", "UTC", "2026-11-25T00:00:00Z"),
    ("@weekly", "UTC", "2026-11-25T00:00:00Z"),
    ("@monthly", "UTC", "2026-11-25T00:00:00Z"),
    ("@yearly", "UTC", "2026-11-25T00:00:00Z"),
    ("0 6 * * *", "Europe/Berlin", "2026-11-25T07:00:00Z"),
    # Berlin spring forward 2026-03-29 02:00 → 03:00: 02:30 does not exist that day.
    ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"),
    ("30 2 * * *", "Europe/Berlin", "2026-03-29T00:00:00Z"),
    ("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:45:00Z"),
    # Berlin fall back 2026-10-25 03:00 → 02:00: 02:30 happens twice, fires once.
    ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z"),
    ("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"),
    ("0 * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"),
    ("0 * * * *", "Europe/Berlin", "2026-10-25T01:30:00Z"),
    # New York: spring forward 2026-03-08 02:00 → 03:00; fall back 2026-11-01 02:00 → 01:00.
    ("15 2 * * *", "America/New_York", "2026-03-07T12:00:00Z"),
    ("0 1-3 * * *", "America/New_York", "2026-03-08T06:30:00Z"),
    ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z"),
    ("30 1 * * *", "America/New_York", "2026-11-01T05:45:00Z"),
    ("0 6 * * *", "America/New_York", "2026-11-01T00:00:00Z"),
    ("@daily", "America/New_York", "2026-03-07T12:00:00Z"),
]


def main():
    out = []
    for expr, tz, start in CASES:
        s = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        out.append({"cron": expr, "zone": tz, "at": start,
                    "next": scan(expr, tz, s, True), "latest": scan(expr, tz, s, False)})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
