#!/usr/bin/env python3
"""not_modified.py SUBSET.json: adds GitHub's `304 Not Modified` answer to every
GET of a subset that does not list it, in place.

GitHub answers any conditional GET (`If-None-Match` with an earlier `ETag`)
with 304 when nothing changed ("Use conditional requests if appropriate",
GitHub's REST API best practices; a 304 does not count against the primary
rate limit), but its OpenAPI description lists 304 on a few operations only
(`GET /user`, `GET /repos/{owner}/{repo}/pulls`, ...). psrt's hourly run reads
by conditional requests, so without this Prism would call each 304 a
violation. The answer added is the description's own
`#/components/responses/not_modified`.
"""
import json
import sys

path = sys.argv[1]
spec = json.load(open(path, encoding="utf-8"))
spec.setdefault("components", {}).setdefault("responses", {}).setdefault(
    "not_modified", {"description": "Not modified"}
)
added = 0
for item in spec["paths"].values():
    get = item.get("get")
    if get is not None and "304" not in get.get("responses", {}):
        get.setdefault("responses", {})["304"] = {"$ref": "#/components/responses/not_modified"}
        added += 1
json.dump(spec, open(path, "w", encoding="utf-8"), indent=1)
print("added 304 Not Modified to %d GET operation(s)" % added)
