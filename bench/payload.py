"""Prints pieces of bench/payload.json for the benchmarks written in languages without a JSON
reader at hand (C, C#):  python3 payload.py listener|message|visitor|body|simple|visitor-rest

  visitor       the visitor as compact JSON
  body          the request body a hand-written client sends: {"visitor": ..., "args": {"message": ...}}
  simple        the string fields bs_visitor has, one per line, in the order
                phoneNumber firstName lastName email state tzName clientVisitorId agentClientUserId
  visitor-rest  the visitor's members without the three that vary per bulk visitor
                (phoneNumber, clientVisitorId, email), without braces, to append to them
"""

import json
import sys
from pathlib import Path

VARYING = ("phoneNumber", "clientVisitorId", "email")


def main() -> None:
    payload = json.loads((Path(__file__).resolve().parent / "payload.json").read_text(encoding="utf-8"))
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    if what == "listener":
        out = payload["listener_id"]
    elif what == "message":
        out = payload["message"]
    elif what == "visitor":
        out = json.dumps(payload["visitor"], **compact)
    elif what == "body":
        out = json.dumps({"visitor": payload["visitor"], "args": {"message": payload["message"]}}, **compact)
    elif what == "simple":
        v = payload["visitor"]
        order = ("phoneNumber", "firstName", "lastName", "email", "state", "tzName", "clientVisitorId", "agentClientUserId")
        out = "\n".join(str(v.get(k, "")) for k in order)
    elif what == "visitor-rest":
        rest = {k: v for k, v in payload["visitor"].items() if k not in VARYING}
        out = json.dumps(rest, **compact)[1:-1]
    else:
        sys.exit(__doc__)
    sys.stdout.write(out)


if __name__ == "__main__":
    main()
