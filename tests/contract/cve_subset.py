#!/usr/bin/env python3
"""Writes the part of CVE Services' OpenAPI description that psrt uses (the
operations in OPS.txt, `METHOD /path` per line), self-contained: the
parameters they name and every schema file they reach, inlined.

The published description cannot be loaded as it is: a few of its `$ref`s
are absolute (`/schemas/...`, a mistake upstream for `../schemas/...`), and
its `components.examples` hold JSON Schemas whose internal `$ref`s Prism
tries to resolve and cannot. Neither is in the operations psrt uses.

usage: cve_subset.py cve-services/api-docs/openapi.json OUT.json OPS.txt
"""
import json
import os
import sys


def main(spec_path, out_path, ops_path):
    spec = json.load(open(spec_path))
    base = os.path.dirname(os.path.abspath(spec_path))
    wanted = []
    for line in open(ops_path):
        line = line.split("#", 1)[0].strip()
        if line:
            method, path = line.split()
            wanted.append((method.lower(), path))

    def load_file(ref, here):
        rel = ref.split("#", 1)[0]
        if rel.startswith("/schemas/"):
            rel = ".." + rel
        path = os.path.normpath(os.path.join(here, rel))
        return json.load(open(path)), os.path.dirname(path)

    def inline(node, here, depth=0):
        if depth > 40:
            raise SystemExit("reference cycle")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                doc, there = load_file(ref, here)
                doc = {k: v for k, v in doc.items() if k not in ("$schema", "$id")}
                return inline(doc, there, depth + 1)
            return {k: inline(v, here, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, here, depth + 1) for v in node]
        return node

    paths = {}
    params = {}
    for method, path in wanted:
        op = spec["paths"][path][method]
        paths.setdefault(path, {})[method] = inline(op, base)
        for p in op.get("parameters", []):
            name = p.get("$ref", "").rsplit("/", 1)[-1]
            if name:
                params[name] = spec["components"]["parameters"][name]
    out = {
        "openapi": spec["openapi"],
        "info": dict(spec["info"], description="Subset of CVE Services' API description (the operations psrt uses), with its schema files inlined. Source: repository CVEProject/cve-services, api-docs/openapi.json and schemas/, CC0."),
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"parameters": params},
    }
    json.dump(out, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
