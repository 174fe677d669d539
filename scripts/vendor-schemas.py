#!/usr/bin/env python3
"""Builds schemas/kubernetes.json.gz, the Kubernetes schemas `posthog-charttest lint` embeds.

Source: the strict ("-local-strict") JSON schemas shipped in the `kubernetes-validate` wheel on
PyPI, one `_definitions.json` per Kubernetes minor version. The output keeps only what
validation needs and stores each distinct definition once across all versions:

    {
      "source": "kubernetes-validate 1.37.0",
      "pool": [<definition>, ...],                  # unique definitions
      "versions": {"1.25": {"<def name>": <pool index>, ...}, ...}
    }

A definition keeps `type`, `properties`, `additionalProperties`, `items`, `required`, `enum`,
`format`, `oneOf`, `$ref` (rewritten from `#/$defs/NAME` to `NAME`) and
`x-kubernetes-group-version-kind` (as `gvk`: a list of `group/version/kind` strings); all
descriptions and merge/list hints are dropped.

Usage:
    scripts/vendor-schemas.py [--wheel PATH] [--version 1.37.0]

Without --wheel the wheel is fetched with `pip download kubernetes-validate==VERSION`.
"""

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

KEEP = {"type", "properties", "additionalProperties", "items", "required", "enum", "format",
        "oneOf", "$ref"}
MINORS = range(25, 38)
REF_PREFIXES = ("#/$defs/", "/api/_definitions.json#/$defs/")


def slim(schema):
    """The schema with only the validation keywords, refs shortened to definition names."""
    if isinstance(schema, bool):
        return schema
    out = {}
    for key, val in schema.items():
        if key == "x-kubernetes-group-version-kind":
            out["gvk"] = sorted(
                "/".join(p for p in (g.get("group", ""), g["version"], g["kind"]) if p != "")
                if g.get("group") else f'{g["version"]}/{g["kind"]}'
                for g in val)
            continue
        if key not in KEEP:
            continue
        if key == "$ref":
            for p in REF_PREFIXES:
                if val.startswith(p):
                    val = val[len(p):]
                    break
            else:
                raise SystemExit(f"unexpected $ref {val!r}")
        elif key == "properties":
            val = {name: slim(sub) for name, sub in val.items()}
        elif key in ("items", "additionalProperties"):
            val = slim(val)
        elif key == "oneOf":
            val = [slim(s) for s in val]
        out[key] = val
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", help="a kubernetes_validate wheel (default: pip download)")
    ap.add_argument("--version", default="1.37.0", help="kubernetes-validate version")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "schemas",
                                                  "kubernetes.json.gz"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                            f"kubernetes-validate=={args.version}"], check=True)
            wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
        zf = zipfile.ZipFile(wheel)
        pool, index, versions = [], {}, {}
        for minor in MINORS:
            name = (f"kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local-strict/"
                    "_definitions.json")
            defs = json.loads(zf.read(name))["$defs"]
            table = {}
            for def_name in sorted(defs):
                s = slim(defs[def_name])
                key = json.dumps(s, sort_keys=True, separators=(",", ":"))
                if key not in index:
                    index[key] = len(pool)
                    pool.append(s)
                table[def_name] = index[key]
            versions[f"1.{minor}"] = table

    doc = {"source": f"kubernetes-validate {args.version}", "pool": pool, "versions": versions}
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    # mtime=0 keeps the artifact byte-for-byte reproducible.
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(buf.getvalue())
    print(f"{args.out}: {len(pool)} unique definitions over {len(versions)} versions, "
          f"{len(raw)} bytes of JSON, {len(buf.getvalue())} bytes gzipped")


if __name__ == "__main__":
    main()
