#!/usr/bin/env python3
"""Validates every rendered manifest of every charts/posthog scenario against the Kubernetes
JSON schemas, strictly (unknown fields and duplicate keys are errors), for each Kubernetes
version asked for.

Each scenario is a `ci/*-values.yaml` file of the chart, rendered with a real helm binary
(`helm template`). The schemas come from the kubernetes-validate package (run this through
scripts/validate-chart-schemas.sh, which installs it into a virtualenv). A kind without a
schema is an error too: the chart ships no custom resources, so it can only mean a typo in
apiVersion or kind.

Prints one line per scenario and version, then a summary; exits 1 on any error.
"""

import argparse
import glob
import os
import subprocess
import sys

import yaml

import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError


class UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that rejects a mapping with the same key twice (kubeconform -strict does)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def render(helm, chart, values, release, namespace):
    """Runs helm template; returns (stdout, error text or None)."""
    proc = subprocess.run(
        [helm, "template", release, chart, "-f", values, "--namespace", namespace],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return "", proc.stderr.strip()
    return proc.stdout, None


def documents(text):
    """The rendered documents with the template each came from."""
    docs = []
    for raw in text.split("\n---\n"):
        source = next(
            (line[len("# Source: "):] for line in raw.splitlines() if line.startswith("# Source: ")),
            "?",
        )
        data = yaml.load(raw, Loader=UniqueKeyLoader)
        if data:
            docs.append((source, data))
    return docs


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helm", default=os.path.join(root, ".tools/helm-4.1.4/helm"))
    parser.add_argument("--chart", default=os.path.join(root, "charts/posthog"))
    parser.add_argument("--kube-version", action="append", dest="versions",
                        help="Kubernetes version (repeatable; default 1.29.0 and 1.35.0)")
    parser.add_argument("--release", default="posthog")
    parser.add_argument("--namespace", default="posthog")
    parser.add_argument("scenarios", nargs="*",
                        help="values files (default: the chart's ci/*-values.yaml)")
    args = parser.parse_args()
    versions = args.versions or ["1.29.0", "1.35.0"]
    scenarios = args.scenarios or sorted(glob.glob(os.path.join(args.chart, "ci", "*-values.yaml")))
    if not scenarios:
        print(f"no scenarios under {args.chart}/ci", file=sys.stderr)
        return 2

    errors = 0
    checked = 0
    for values in scenarios:
        name = os.path.basename(values)
        text, failure = render(args.helm, args.chart, values, args.release, args.namespace)
        if failure is not None:
            print(f"ERROR {name}: helm template failed: {failure}")
            errors += 1
            continue
        try:
            docs = documents(text)
        except yaml.YAMLError as err:
            print(f"ERROR {name}: rendered YAML does not parse: {err}")
            errors += 1
            continue
        for version in versions:
            bad = 0
            for source, doc in docs:
                what = f"{doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')} ({source})"
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                except ValidationError as err:
                    path = ".".join(str(p) for p in err.path)
                    print(f"ERROR {name} {version} {what}: {path}: {err.message}")
                    bad += 1
                except SchemaNotFoundError as err:
                    print(f"ERROR {name} {version} {what}: {err.message}")
                    bad += 1
                checked += 1
            errors += bad
            print(f"{'ok   ' if bad == 0 else 'FAIL '} {name} against {version}: {len(docs)} documents, {bad} errors")
    print(f"\n{checked} document validations ({len(scenarios)} scenarios x {len(versions)} versions), {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
