#!/usr/bin/env python3
# Provenance: copied unchanged from the PSRT's shared api-specs/merge_fragment.py.
"""merge_fragment.py: merge an OpenAPI fragment (paths + components) into a subset of
GitHub's description cut by extract_subset.py.

    python3 merge_fragment.py FULL.json SUBSET.json FRAGMENT.json

FULL.json: GitHub's official description (npm @octokit/openapi, generated/
api.github.com.json); SUBSET.json is rewritten in place. The fragment wins where
both define the same operation or component (github-advisory-comments.json's
`repository-advisory` is the official schema plus the `comments` count); every
$ref the result reaches that the subset lacks is taken from FULL.json; the new
operations get GitHub's media types as extract_subset.py --github-media-types does.
Deterministic with PYTHONHASHSEED=0.
"""
import os
import sys

sys.argv = [sys.argv[0]] + sys.argv[1:4] + [os.path.dirname(os.path.abspath(__file__))]
if len(sys.argv) != 5:
    sys.exit("usage: merge_fragment.py FULL.json SUBSET.json FRAGMENT.json")
import json, sys
full_path, subset_path, frag_path, specs = sys.argv[1:]
sys.path.insert(0, specs)
from extract_subset import METHODS, github_media_types, refs_in, resolve  # noqa: E402
full = json.load(open(full_path, encoding="utf-8"))
subset = json.load(open(subset_path, encoding="utf-8"))
frag = json.load(open(frag_path, encoding="utf-8"))
notes, added_ops = [], 0
new_paths = {}
for path, item in (frag.get("paths") or {}).items():
    tgt = subset["paths"].setdefault(path, {})
    for k, v in item.items():
        if k in tgt and tgt[k] != v:
            notes.append("replaces the official %s %s" % (k.upper() if k in METHODS else k, path))
        tgt[k] = v
        if k in METHODS:
            added_ops += 1
            new_paths.setdefault(path, {})[k] = tgt[k]
comps = subset.setdefault("components", {})
new_responses = {}
for section, entries in (frag.get("components") or {}).items():
    for name, node in entries.items():
        have = comps.setdefault(section, {})
        if name in have and have[name] != node:
            notes.append("replaces the official components/%s/%s" % (section, name))
        have[name] = node
        if section == "responses":
            new_responses[name] = node
# close the $refs: whatever the fragment reaches and the subset lacks comes from
# the official description (a dangling $ref would break the fakes' checker)
todo, seen = set(), set()
refs_in(subset["paths"], todo)
refs_in(comps, todo)
while todo:
    ref = todo.pop()
    if ref in seen:
        continue
    seen.add(ref)
    parts = ref[2:].split("/")
    if parts[0] != "components" or len(parts) != 3:
        sys.exit("merge_fragment.py: unsupported $ref in the fragment: " + ref)
    if parts[2] not in comps.get(parts[1], {}):
        try:
            node = json.loads(json.dumps(resolve(full, ref)))
        except KeyError:
            sys.exit("merge_fragment.py: %s is neither in the fragment nor in the official description" % ref)
        comps.setdefault(parts[1], {})[parts[2]] = node
        notes.append("took %s from the official description" % ref)
    refs_in(comps[parts[1]][parts[2]], todo)
github_media_types(new_paths, new_responses)
for n in notes:
    print("  fragment: " + n)
json.dump(subset, open(subset_path, "w", encoding="utf-8"), indent=1)
print("merged %s: %d operation(s)" % (frag_path, added_ops))
