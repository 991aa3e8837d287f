#!/usr/bin/env python3
"""Checks the Standard Webhooks signatures of every request recorded by webhook_receiver.py,
independently of Vigil's Swift code (Python's hmac and hashlib):

    python3 scripts/verify_webhook_signature.py requests.ndjson whsec_...

Prints "verified N" and exits 0 when every signed request carries a valid v1 signature over
"{webhook-id}.{webhook-timestamp}.{body}", 1 otherwise."""
import base64
import hashlib
import hmac
import json
import sys


def main():
    log, secret = sys.argv[1], sys.argv[2]
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    verified = 0
    for line in open(log, encoding="utf-8"):
        r = json.loads(line)
        h = r["headers"]
        if "webhook-signature" not in h:
            continue
        signed = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{r["body"]}'.encode()
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        given = [s.split(",", 1)[1] for s in h["webhook-signature"].split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(expected, g) for g in given):
            print(f'bad signature on {h["webhook-id"]}: {h["webhook-signature"]} (expected v1,{expected})')
            sys.exit(1)
        verified += 1
    print(f"verified {verified}")
    sys.exit(0 if verified else 1)


if __name__ == "__main__":
    main()
