#!/usr/bin/env python3
"""Slow-header (slowloris) probe of `vigil serve` under a low file limit (issue 26, point 5).

Creates a throwaway workspace (`vigil init`), runs `vigil serve` under
`prlimit --nofile=N:N` on 127.0.0.1, opens many connections that each send one header byte
every few seconds, and meanwhile asks /healthz once a second on a fresh connection. Prints
how many /healthz probes were answered (and with what), the slowest answer, and how many of
the trickling connections the server still holds open at the end.

    python3 scripts/trickle_probe.py --vigil .build/debug/vigil
    python3 scripts/trickle_probe.py --vigil .build/debug/vigil --connections 1100 --nofile 1024 --hold 30

Loopback only. Needs a file limit above --connections for this script itself (it raises its
soft limit to the hard one) and `prlimit` (util-linux).
"""
import argparse, errno, os, random, resource, shutil, socket, subprocess, sys, tempfile, time

def healthz(port, timeout):
    """(status or None, seconds) of GET /healthz on a new connection."""
    start = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.settimeout(timeout)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = s.recv(256)
        s.close()
        parts = data.split(b" ", 2)
        return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None), time.monotonic() - start
    except OSError:
        return None, time.monotonic() - start

def state(sock):
    """'open', 'closed', or the status code the server wrote before closing."""
    try:
        data = sock.recv(256, socket.MSG_DONTWAIT)
        if not data:
            return "closed"
        parts = data.split(b" ", 2)
        return parts[1].decode() if len(parts) > 1 else "closed"
    except BlockingIOError:
        return "open"
    except OSError:
        return "closed"

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigil", required=True, help="the vigil binary to run")
    ap.add_argument("--connections", type=int, default=1100)
    ap.add_argument("--nofile", type=int, default=1024, help="RLIMIT_NOFILE of vigil serve")
    ap.add_argument("--hold", type=float, default=30, help="seconds to keep trickling")
    ap.add_argument("--interval", type=float, default=5, help="seconds between a connection's bytes")
    ap.add_argument("--probe-timeout", type=float, default=2, help="seconds a /healthz probe waits")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    root = tempfile.mkdtemp(prefix="vigil-trickle-")
    subprocess.run([args.vigil, "init", "--dir", root], check=True, stdout=subprocess.DEVNULL)
    port = random.randint(20000, 32000)
    log = open(os.path.join(root, "serve.log"), "w")
    server = subprocess.Popen(["prlimit", f"--nofile={args.nofile}:{args.nofile}", args.vigil, "serve", "--port", str(port),
                               "--workspace", root, "--no-scheduler", "--no-deliverer"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if healthz(port, 1)[0] == 200:
                break
            time.sleep(0.1)
        else:
            sys.exit("vigil serve did not answer /healthz; see " + log.name)

        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10000
        conns, failed = [], 0
        for _ in range(args.connections):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(request[:1])
                s.setblocking(False)  # reads below must not wait (with a timeout, Python polls first)
                conns.append(s)
            except OSError:
                failed += 1
        print(f"opened {len(conns)} trickling connections ({failed} failed to connect)", flush=True)

        probes, sent, start = [], 1, time.monotonic()
        next_byte = start + args.interval
        while time.monotonic() - start < args.hold:
            probes.append(healthz(port, args.probe_timeout))
            if time.monotonic() >= next_byte:
                for s in conns:
                    try:
                        s.send(request[sent:sent + 1], socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
                    except OSError:
                        pass
                sent += 1
                next_byte += args.interval
            time.sleep(max(0, 1 - probes[-1][1]))

        states = {}
        for s in conns:
            st = state(s)
            states[st] = states.get(st, 0) + 1
        answered = [p for p in probes if p[0] is not None]
        codes = {}
        for code, _ in answered:
            codes[code] = codes.get(code, 0) + 1
        print(f"/healthz probes: {len(answered)} of {len(probes)} answered within {args.probe_timeout:g} s {codes}; "
              f"slowest {max(p[1] for p in probes):.2f} s")
        print(f"after {args.hold:g} s: {states.get('open', 0)} of {len(conns)} trickling connections still open; "
              f"closed by the server: {dict((k, v) for k, v in states.items() if k != 'open')}")
        print(f"/healthz after: {healthz(port, 5)}")
    finally:
        for s in locals().get("conns", []):
            s.close()
        server.terminate()
        server.wait(10)
        log.close()
        with open(log.name) as f:
            lines = [l.rstrip() for l in f if "lowered" in l or "error" in l.lower()]
        for l in lines[:5]:
            print("serve log:", l)
        shutil.rmtree(root, ignore_errors=True)

if __name__ == "__main__":
    main()
