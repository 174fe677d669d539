#!/usr/bin/env python3
"""Runs a chart's helm-unittest suites (tests/*_test.yaml) against a real helm binary.

A stop-gap until `posthog-charttest test` runs them natively, and afterwards an independent
check that every expectation in the suites holds for real helm's output. It understands the
part of helm-unittest's format the charts/posthog suites use:

  suite keys   suite, templates, values, set, release{name,namespace}, tests
  test keys    it, template, templates, documentIndex, documentSelector{path,value},
               values, set, release{name,namespace}, asserts
  assertions   equal, notEqual, exists, notExists, isKind, isAPIVersion, isNull,
               isNotNull, isNullOrEmpty, isNotNullOrEmpty, contains, notContains, isSubset,
               lengthEqual, matchRegex, notMatchRegex, matchRegexRaw, notMatchRegexRaw,
               hasDocuments,
               containsDocument, failedTemplate, notFailedTemplate, and `not: true`
  paths        a.b.c, a[0], a["key.with.dots"], a[?(@.name == "x")]

As in helm-unittest, an assertion holds for each template in scope on its own (hasDocuments
counts one template's documents), and a test's documentIndex overrides its assertions'.
Anything else is reported as unsupported (a failure), never skipped. Each distinct set of
values is rendered once with `helm template` (NOTES.txt through a copy of the chart that
also renders it into a ConfigMap).
Prints one line per failing test and a closing "N passed, N failed" line; exits 1 on failure.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import shutil
import tempfile
import threading

import yaml

NOTES_PROBE = "templates/charttest-notes-probe.yaml"
SUPPORTED_SUITE_KEYS = {"suite", "templates", "values", "set", "release", "tests"}
SUPPORTED_TEST_KEYS = {"it", "template", "templates", "documentIndex", "documentSelector",
                       "values", "set", "release", "asserts"}


class Unsupported(Exception):
    """A suite uses a part of helm-unittest this runner does not implement."""


# ---------------------------------------------------------------------------------------------
# Paths


PATH_TOKEN = re.compile(
    r"""\.?(?P<key>[A-Za-z0-9_\-/$]+)"""            # .key or key
    r"""|\[(?P<index>-?[0-9]+)\]"""                  # [0]
    r"""|\[(?P<quote>["'])(?P<qkey>.*?)(?P=quote)\]"""  # ["a.b"]
    r"""|\[\?\(@\.(?P<fkey>[A-Za-z0-9_\-]+)\s*==\s*(?P<fq>["'])(?P<fval>.*?)(?P=fq)\)\]"""  # [?(@.k == "v")]
)


def parse_path(path):
    """Splits a path into ("key", k), ("index", i) and ("filter", k, v) segments."""
    segments = []
    pos = 0
    while pos < len(path):
        m = PATH_TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"path {path!r}: cannot read from column {pos + 1}")
        if m.group("key") is not None:
            segments.append(("key", m.group("key")))
        elif m.group("index") is not None:
            segments.append(("index", int(m.group("index"))))
        elif m.group("qkey") is not None:
            segments.append(("key", m.group("qkey")))
        else:
            segments.append(("filter", m.group("fkey"), m.group("fval")))
        pos = m.end()
    return segments


def lookup(doc, path):
    """Every value the path reaches in doc (a filter may reach several)."""
    current = [doc]
    for seg in parse_path(path):
        nxt = []
        for value in current:
            if seg[0] == "key" and isinstance(value, dict) and seg[1] in value:
                nxt.append(value[seg[1]])
            elif seg[0] == "index" and isinstance(value, list) and -len(value) <= seg[1] < len(value):
                nxt.append(value[seg[1]])
            elif seg[0] == "filter" and isinstance(value, list):
                nxt.extend(v for v in value if isinstance(v, dict) and str(v.get(seg[1])) == seg[2])
        current = nxt
    return current


def one(doc, path):
    found = lookup(doc, path)
    if len(found) != 1:
        raise AssertionError(f"path {path!r} matches {len(found)} values, expected exactly one")
    return found[0]


# ---------------------------------------------------------------------------------------------
# Rendering


def set_path(tree, dotted, value):
    """helm-unittest's `set`: a dotted path (no escapes) to a value."""
    keys = dotted.split(".")
    node = tree
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise Unsupported(f"set {dotted!r}: {k} is not a map")
    node[keys[-1]] = value


class Renderer:
    """Renders (and caches) the chart for one set of values."""

    def __init__(self, helm, chart):
        self.helm = helm
        self.chart = chart
        self.cache = {}
        self.lock = threading.Lock()
        self.key_locks = {}
        self.notes_copy = None
        self.tmpdir = None

    def render(self, files, sets, release, namespace, notes):
        key = json.dumps([files, sets, release, namespace, notes], sort_keys=True)
        with self.lock:
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one render per distinct input, even when tests ask at once
            if key not in self.cache:
                self.cache[key] = self._render(files, sets, release, namespace, notes)
            return self.cache[key]

    def _render(self, files, sets, release, namespace, notes):
        overlay = {}
        for k, v in sets.items():
            set_path(overlay, k, v)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
            yaml.safe_dump(overlay, tmp)
        try:
            args = [f for path in files for f in ("-f", path)] + ["-f", tmp.name, "-n", namespace]
            chart = self.notes_chart() if notes else self.chart
            proc = subprocess.run([self.helm, "template", release, chart] + args,
                                  capture_output=True, text=True, check=False)
        finally:
            os.unlink(tmp.name)
        if proc.returncode != 0:
            return {"error": clean_error(proc.stderr)}
        docs = split_documents(proc.stdout)
        if notes:
            probe = docs.get(NOTES_PROBE, [{}])[0]
            return {"notes": probe.get("data", {}).get("notes", "")}
        return {"docs": docs}

    def notes_chart(self):
        """A copy of the chart whose NOTES.txt is also rendered into a ConfigMap, because
        `helm template` never prints NOTES.txt (and `helm install --dry-run` of helm 3 wants
        a cluster)."""
        with self.lock:
            if self.notes_copy is None:
                self.tmpdir = tempfile.TemporaryDirectory()
                copy = os.path.join(self.tmpdir.name, os.path.basename(os.path.abspath(self.chart)))
                shutil.copytree(self.chart, copy, ignore=shutil.ignore_patterns("tests"))
                with open(os.path.join(copy, "templates", "NOTES.txt")) as f:
                    notes = f.read()
                with open(os.path.join(copy, "templates", "_charttest_notes.tpl"), "w") as f:
                    f.write('{{- define "charttest.notes" -}}' + notes + "{{- end -}}")
                with open(os.path.join(copy, NOTES_PROBE), "w") as f:
                    f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: charttest-notes\n"
                            "data:\n  notes: {{ include \"charttest.notes\" . | toJson }}\n")
                self.notes_copy = copy
            return self.notes_copy


def clean_error(stderr):
    lines = [l for l in stderr.splitlines() if not l.startswith("level=")]
    text = "\n".join(lines).strip()
    text = re.sub(r"^Error: ", "", text)
    return re.sub(r"\n\nUse --debug flag to render out invalid YAML$", "", text)


def split_documents(output):
    """{template path: [documents]}: helm's `# Source:` headers name each document's template."""
    by_template = {}
    for raw in re.split(r"^---\s*$", output, flags=re.M):
        m = re.search(r"^# Source: [^/]+/(.+)$", raw, flags=re.M)
        if not m:
            continue
        doc = yaml.safe_load(raw)
        if doc is None:
            continue
        by_template.setdefault(m.group(1), []).append(doc)
    return by_template


def template_path(name):
    name = name.lstrip("./")
    return name if name.startswith("templates/") else "templates/" + name


def error_location(error):
    """(template, message) of a template execution error, as helm-unittest reads it."""
    m = re.search(r"execution error at \((?:[^/]+/)(templates/[^:]+):\d+:\d+\): (.*)", error)
    if m:
        return m.group(1), m.group(2)
    return None, None


# ---------------------------------------------------------------------------------------------
# Assertions


def is_empty(v):
    return v is None or v == "" or v == 0 or v == [] or v == {}


def check_document(kind, args, doc):
    """True when the assertion holds for one document."""
    if kind == "equal":
        return one(doc, args["path"]) == args["value"]
    if kind == "notEqual":
        return one(doc, args["path"]) != args["value"]
    if kind == "exists":
        return len(lookup(doc, args["path"])) > 0
    if kind == "notExists":
        return len(lookup(doc, args["path"])) == 0
    if kind == "isKind":
        return doc.get("kind") == args["of"]
    if kind == "isAPIVersion":
        return doc.get("apiVersion") == args["of"]
    if kind == "isNull":
        return one(doc, args["path"]) is None
    if kind == "isNotNull":
        return one(doc, args["path"]) is not None
    if kind in ("isNullOrEmpty", "isEmpty"):
        found = lookup(doc, args["path"])
        return not found or is_empty(found[0])
    if kind in ("isNotNullOrEmpty", "isNotEmpty"):
        found = lookup(doc, args["path"])
        return bool(found) and not is_empty(found[0])
    if kind in ("contains", "notContains"):
        items = one(doc, args["path"])
        if not isinstance(items, list):
            raise AssertionError(f"{args['path']} is not a list")
        if args.get("any"):
            hits = sum(1 for it in items if isinstance(it, dict) and all(it.get(k) == v for k, v in args["content"].items()))
        else:
            hits = sum(1 for it in items if it == args["content"])
        if kind == "notContains":
            return hits == 0
        return hits == args["count"] if "count" in args else hits > 0
    if kind == "isSubset":
        value = one(doc, args["path"])
        return isinstance(value, dict) and all(k in value and value[k] == v for k, v in args["content"].items())
    if kind == "lengthEqual":
        value = one(doc, args["path"])
        return isinstance(value, (list, dict)) and len(value) == args["count"]
    if kind in ("matchRegex", "notMatchRegex"):
        value = one(doc, args["path"])
        if not isinstance(value, str):
            raise AssertionError(f"{args['path']} is not a string: {value!r}")
        hit = re.search(args["pattern"], value) is not None
        return hit if kind == "matchRegex" else not hit
    raise Unsupported(f"assertion {kind}")


def run_assertion(assertion, test, suite, render_for):
    kinds = [k for k in assertion if k not in ("not", "template", "documentIndex", "documentSelector")]
    if len(kinds) != 1:
        raise Unsupported(f"assertion {assertion}")
    kind = kinds[0]
    args = assertion[kind] or {}
    negate = bool(assertion.get("not"))
    templates = [assertion.get("template") or test.get("template")] if (assertion.get("template") or test.get("template")) else (test.get("templates") or suite.get("templates") or [])
    templates = [template_path(t) for t in templates]
    if not templates:
        raise Unsupported("no template to assert on")
    notes = any(t.endswith("NOTES.txt") for t in templates)
    result = render_for(notes)

    if kind in ("failedTemplate", "notFailedTemplate"):
        error = result.get("error")
        if kind == "notFailedTemplate":
            ok = error is None
        elif error is None:
            ok = False
        else:
            where, message = error_location(error)
            in_scope = where is None or where in templates or os.path.basename(where).startswith("_")
            if "errorMessage" in args:
                ok = in_scope and (message if message is not None else error) == args["errorMessage"]
            elif "errorPattern" in args:
                ok = in_scope and re.search(args["errorPattern"], message if message is not None else error) is not None
            else:
                ok = in_scope
        if ok == negate:
            raise AssertionError(f"{kind}{' (not)' if negate else ''} {args}: render {'failed: ' + error if error else 'succeeded'}")
        return
    if "error" in result:
        raise AssertionError(f"render failed: {result['error']}")
    if kind in ("matchRegexRaw", "notMatchRegexRaw"):
        if "notes" not in result:
            raise Unsupported(f"{kind} applies to NOTES.txt only")
        hit = re.search(args["pattern"], result["notes"]) is not None
        if kind == "notMatchRegexRaw":
            negate = not negate
        if hit == negate:
            raise AssertionError(f"NOTES.txt {'matches' if hit else 'does not match'} {args['pattern']!r}")
        return

    if "docs" not in result:
        raise Unsupported(f"{kind} on NOTES.txt")
    # helm-unittest asserts on each template in scope separately; all of them must pass.
    index = assertion.get("documentIndex", test.get("documentIndex"))
    if test.get("documentIndex") is not None:
        index = test["documentIndex"]  # a test's documentIndex overrides its assertions'
    selector = assertion.get("documentSelector", test.get("documentSelector"))
    per_template = {t: result["docs"].get(t, []) for t in templates}
    if selector:
        total = 0
        for t, docs in per_template.items():
            chosen = [d for d in docs if selector["value"] in lookup(d, selector["path"])]
            total += len(chosen)
            if not chosen and not selector.get("skipEmptyTemplates"):
                raise AssertionError(f"documentSelector {selector}: document not found in {t}")
            if total > 1 and not selector.get("matchMany"):
                raise AssertionError(f"documentSelector {selector}: multiple documents found")
            per_template[t] = chosen
    elif index is not None:
        for t, docs in per_template.items():
            if index >= len(docs):
                raise AssertionError(f"documentIndex {index} is out of range in {t} ({len(docs)} documents)")
            per_template[t] = [docs[index]]
    for t, docs in per_template.items():
        check_template(kind, args, negate, t, docs)


def check_template(kind, args, negate, template, docs):
    """One assertion on the (selected) documents of one template."""
    if kind == "hasDocuments":
        if args.get("filterAware"):
            raise Unsupported("hasDocuments.filterAware")
        ok = len(docs) == args["count"]
        if ok == negate:
            raise AssertionError(f"hasDocuments in {template}: {len(docs)} documents, expected {'not ' if negate else ''}{args['count']}")
        return
    if kind == "containsDocument":
        hit = any(d.get("kind") == args["kind"] and d.get("apiVersion") == args["apiVersion"]
                  and ("name" not in args or d.get("metadata", {}).get("name") == args["name"])
                  and ("namespace" not in args or d.get("metadata", {}).get("namespace") == args["namespace"])
                  for d in docs)
        if hit == negate:
            raise AssertionError(f"containsDocument {args} in {template}: {'found' if hit else 'not found'}")
        return
    if not docs:
        raise AssertionError(f"{kind}: {template} rendered no document")
    for doc in docs:
        if check_document(kind, args, doc) == negate:
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            path = args.get("path", "")
            shown = lookup(doc, path) if path else ""
            raise AssertionError(f"{kind}{' (not)' if negate else ''} {json.dumps(args)} failed on {name} ({template}); found {json.dumps(shown)}")


def load_tests(path):
    """[(suite, suite dir, test)] of one suite file, or [(name, failure)] when it cannot be read."""
    try:
        with open(path) as f:
            suite = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as err:
        return None, [(f"{path}: suite", f"cannot read the suite: {err}")]
    if not isinstance(suite, dict):
        return None, [(f"{path}: suite", "a suite is a mapping")]
    unknown = set(suite) - SUPPORTED_SUITE_KEYS
    if unknown:
        return None, [(f"{path}: suite", f"unsupported suite keys {sorted(unknown)}")]
    return [(suite, os.path.dirname(path), test) for test in suite.get("tests", [])], []


def run_test(suite, base, test, renderer):
    """(test name, failure or None)."""
    name = f"{suite.get('suite', base)} / {test.get('it')}"
    try:
        unknown = set(test) - SUPPORTED_TEST_KEYS
        if unknown:
            raise Unsupported(f"test keys {sorted(unknown)}")
        files = [os.path.normpath(os.path.join(base, v)) for v in suite.get("values", []) + test.get("values", [])]
        sets = dict(suite.get("set") or {})
        sets.update(test.get("set") or {})
        release = {"name": "RELEASE-NAME", "namespace": "NAMESPACE"}
        release.update(suite.get("release") or {})
        release.update(test.get("release") or {})
        for assertion in test.get("asserts", []):
            run_assertion(assertion, test, suite,
                          lambda notes: renderer.render(files, sets, release["name"], release["namespace"], notes))
        return name, None
    except Unsupported as err:
        return name, f"unsupported: {err}"
    except AssertionError as err:
        return name, str(err)
    except (KeyError, TypeError, ValueError, re.error) as err:
        return name, f"malformed test: {type(err).__name__}: {err}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chart", help="chart directory (suites are read from its tests/)")
    parser.add_argument("--helm", default="helm", help="helm binary")
    parser.add_argument("--jobs", type=int, default=4, help="tests run at once")
    args = parser.parse_args()
    suites = sorted(glob.glob(os.path.join(args.chart, "tests", "*_test.yaml")))
    if not suites:
        print(f"no suites in {args.chart}/tests", file=sys.stderr)
        return 2
    renderer = Renderer(args.helm, args.chart)
    tests, results = [], []
    for path in suites:
        loaded, errors = load_tests(path)
        tests.extend(loaded or [])
        results.extend(errors)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results.extend(pool.map(lambda t: run_test(t[0], t[1], t[2], renderer), tests))
    passed = failed = 0
    for name, failure in results:
        if failure is None:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}\n     {failure}")
    print(f"{len(suites)} suites, {len(renderer.cache)} renders")
    print(f"chart-suites: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
