//! An in-process fake Kubernetes API server for the cluster tests.
//!
//! It serves the subset of the API that kube's client uses: discovery (`/api`, `/apis`, group
//! versions), get, list (with label and field selectors), watch (`?watch=true`, streaming JSON
//! lines from a resource version), create, replace, patch, delete and pod logs, over plain HTTP
//! on 127.0.0.1. Objects are plain JSON, so any kind in its resource table works.
//!
//! Approximations, on purpose: every patch type (merge, strategic merge, apply) is applied as an
//! RFC 7386 JSON merge patch, so lists are replaced rather than merged by key; there is no
//! admission, validation, defaulting or controller, except two pieces of apiserver behaviour
//! the uninstall tests need: deleting an object with finalizers only marks it, and a deleted
//! namespace deletes its contents and disappears once empty. Tests play the controllers and the
//! kubelet themselves by writing status, or by hooks ([`FakeKube::on_create`]) called for each
//! object created through the API.
//!
//! Services can be routed to real local servers ([`FakeKube::route`]): the API's service proxy
//! (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/...`) forwards to them, and
//! [`FakeKube::resolve`] plays cluster DNS for hooks that run a pod's work in-process.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// One resource type the fake serves.
#[derive(Clone, Copy, Debug)]
pub struct ResourceType {
    /// `api/v1` or `apis/GROUP/VERSION`.
    pub prefix: &'static str,
    /// The apiVersion objects carry.
    pub api_version: &'static str,
    /// Plural path segment.
    pub plural: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
}

const fn rt(
    prefix: &'static str,
    api_version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceType {
    ResourceType {
        prefix,
        api_version,
        plural,
        kind,
        namespaced,
    }
}

/// Every resource type served.
pub const TYPES: &[ResourceType] = &[
    rt("api/v1", "v1", "namespaces", "Namespace", false),
    rt("api/v1", "v1", "nodes", "Node", false),
    rt(
        "api/v1",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
    ),
    rt("api/v1", "v1", "pods", "Pod", true),
    rt("api/v1", "v1", "services", "Service", true),
    rt("api/v1", "v1", "configmaps", "ConfigMap", true),
    rt("api/v1", "v1", "secrets", "Secret", true),
    rt("api/v1", "v1", "events", "Event", true),
    rt(
        "api/v1",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
    ),
    rt("api/v1", "v1", "serviceaccounts", "ServiceAccount", true),
    rt("apis/apps/v1", "apps/v1", "deployments", "Deployment", true),
    rt(
        "apis/apps/v1",
        "apps/v1",
        "statefulsets",
        "StatefulSet",
        true,
    ),
    rt("apis/apps/v1", "apps/v1", "daemonsets", "DaemonSet", true),
    rt("apis/apps/v1", "apps/v1", "replicasets", "ReplicaSet", true),
    rt("apis/batch/v1", "batch/v1", "jobs", "Job", true),
    rt(
        "apis/discovery.k8s.io/v1",
        "discovery.k8s.io/v1",
        "endpointslices",
        "EndpointSlice",
        true,
    ),
    rt(
        "apis/networking.k8s.io/v1",
        "networking.k8s.io/v1",
        "ingresses",
        "Ingress",
        true,
    ),
    rt(
        "apis/storage.k8s.io/v1",
        "storage.k8s.io/v1",
        "storageclasses",
        "StorageClass",
        false,
    ),
    rt(
        "apis/example.com/v1",
        "example.com/v1",
        "widgets",
        "Widget",
        true,
    ),
];

fn type_by_path(prefix: &str, plural: &str) -> Option<ResourceType> {
    TYPES
        .iter()
        .copied()
        .find(|t| t.prefix == prefix && t.plural == plural)
}

/// The resource type of a kind.
pub fn type_of_kind(kind: &str) -> ResourceType {
    TYPES
        .iter()
        .copied()
        .find(|t| t.kind == kind)
        .unwrap_or_else(|| panic!("the fake API does not serve kind {kind}"))
}

type Key = (&'static str, &'static str, String, String); // prefix, plural, namespace, name

#[derive(Clone, Debug)]
struct WatchEventRec {
    rv: u64,
    prefix: &'static str,
    plural: &'static str,
    namespace: String,
    kind: &'static str, // ADDED MODIFIED DELETED
    object: Value,
}

#[derive(Default)]
struct Store {
    rv: u64,
    objects: BTreeMap<Key, Value>,
    history: Vec<WatchEventRec>,
    logs: HashMap<(String, String, String, bool), String>,
    requests: Vec<String>,
}

/// Called with each object created through the API (after it is stored).
pub type Hook = Arc<dyn Fn(&FakeKube, &Value) + Send + Sync>;

/// A running fake API server.
#[derive(Clone)]
pub struct FakeKube {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    store: Arc<Mutex<Store>>,
    events: broadcast::Sender<WatchEventRec>,
    routes: Arc<Mutex<HashMap<String, String>>>,
    hooks: Arc<Mutex<Vec<Hook>>>,
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl FakeKube {
    /// Starts a server on a fresh port, on its own thread.
    pub fn start() -> FakeKube {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (events, _) = broadcast::channel(4096);
        let fake = FakeKube {
            url,
            store: Arc::new(Mutex::new(Store::default())),
            events,
            routes: Arc::new(Mutex::new(HashMap::new())),
            hooks: Arc::new(Mutex::new(Vec::new())),
        };
        let server = fake.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let server = server.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| {
                            let server = server.clone();
                            async move { Ok::<_, Infallible>(server.handle(req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        fake
    }

    /// Writes a kubeconfig for this server (with a bearer token the redaction tests look for).
    pub fn kubeconfig(&self, dir: &Path, token: &str) -> PathBuf {
        let path = dir.join("fake.kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: {token}\n",
                self.url
            ),
        )
        .unwrap();
        path
    }

    /// Routes Service `ns/name` port `port` to a local base URL (`http://127.0.0.1:P`): the
    /// service proxy forwards there, and [`FakeKube::resolve`] answers for its DNS names.
    pub fn route(&self, ns: &str, name: &str, port: u16, url: &str) {
        let mut r = self.routes.lock().unwrap();
        for host in [
            name.to_string(),
            format!("{name}.{ns}"),
            format!("{name}.{ns}.svc"),
            format!("{name}.{ns}.svc.cluster.local"),
        ] {
            r.insert(format!("{host}:{port}"), url.to_string());
        }
    }

    /// The local base URL behind an in-cluster `host:port`, as cluster DNS would resolve it.
    pub fn resolve(&self, host_port: &str) -> Option<String> {
        self.routes.lock().unwrap().get(host_port).cloned()
    }

    /// Adds a hook called with every object created through the API.
    pub fn on_create(&self, hook: Hook) {
        self.hooks.lock().unwrap().push(hook);
    }

    /// Every request line seen (`GET /api/v1/...`).
    pub fn requests(&self) -> Vec<String> {
        self.store.lock().unwrap().requests.clone()
    }

    /// Creates or replaces an object given as JSON with apiVersion, kind, metadata.
    pub fn apply(&self, mut obj: Value) -> Value {
        let t = type_of_kind(obj["kind"].as_str().expect("kind"));
        let ns = if t.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let name = obj["metadata"]["name"].as_str().expect("name").to_string();
        obj["apiVersion"] = json!(t.api_version);
        let mut s = self.store.lock().unwrap();
        let key = (t.prefix, t.plural, ns.clone(), name);
        let existed = s.objects.get(&key).cloned();
        if t.namespaced {
            obj["metadata"]["namespace"] = json!(ns);
        }
        match existed {
            Some(old) => {
                if old["metadata"]["uid"].is_string() {
                    obj["metadata"]["uid"] = old["metadata"]["uid"].clone();
                    obj["metadata"]["creationTimestamp"] =
                        old["metadata"]["creationTimestamp"].clone();
                }
                self.commit(&mut s, key, obj, "MODIFIED")
            }
            None => {
                stamp_new(&mut obj, s.rv + 1);
                self.commit(&mut s, key, obj, "ADDED")
            }
        }
    }

    /// Merges `patch` into an existing object (status included) and notifies watchers.
    pub fn patch(&self, kind: &str, ns: &str, name: &str, patch: Value) -> Value {
        let t = type_of_kind(kind);
        let mut s = self.store.lock().unwrap();
        let key = (
            t.prefix,
            t.plural,
            if t.namespaced {
                ns.to_string()
            } else {
                String::new()
            },
            name.to_string(),
        );
        let mut obj = s
            .objects
            .get(&key)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} {ns}/{name} not found"));
        merge_patch(&mut obj, &patch);
        self.commit(&mut s, key, obj, "MODIFIED")
    }

    /// An object, if present.
    pub fn get(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let t = type_of_kind(kind);
        let s = self.store.lock().unwrap();
        s.objects
            .get(&(
                t.prefix,
                t.plural,
                if t.namespaced {
                    ns.to_string()
                } else {
                    String::new()
                },
                name.to_string(),
            ))
            .cloned()
    }

    /// Every object of a kind (all namespaces).
    pub fn list(&self, kind: &str) -> Vec<Value> {
        let t = type_of_kind(kind);
        let s = self.store.lock().unwrap();
        s.objects
            .iter()
            .filter(|(k, _)| k.0 == t.prefix && k.1 == t.plural)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Sets a container's log (`previous`: the last terminated run's).
    pub fn set_log(&self, ns: &str, pod: &str, container: &str, previous: bool, text: &str) {
        self.store.lock().unwrap().logs.insert(
            (ns.into(), pod.into(), container.into(), previous),
            text.into(),
        );
    }

    /// Deletes as the API would (finalizers respected).
    pub fn delete(&self, kind: &str, ns: &str, name: &str) {
        let t = type_of_kind(kind);
        let mut s = self.store.lock().unwrap();
        let key = (
            t.prefix,
            t.plural,
            if t.namespaced {
                ns.to_string()
            } else {
                String::new()
            },
            name.to_string(),
        );
        self.delete_locked(&mut s, key);
    }

    fn commit(&self, s: &mut Store, key: Key, mut obj: Value, kind: &'static str) -> Value {
        s.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(s.rv.to_string());
        // An object being deleted whose finalizers are gone is removed, as the API does.
        let deleting = obj["metadata"]["deletionTimestamp"].is_string();
        let finalizers = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if deleting && !finalizers && key.1 != "namespaces" {
            s.objects.remove(&key);
            self.record(s, &key, "DELETED", obj.clone());
            self.gc_namespaces(s);
            return obj;
        }
        s.objects.insert(key.clone(), obj.clone());
        self.record(s, &key, kind, obj.clone());
        self.gc_namespaces(s);
        obj
    }

    fn record(&self, s: &mut Store, key: &Key, kind: &'static str, object: Value) {
        let ev = WatchEventRec {
            rv: s.rv,
            prefix: key.0,
            plural: key.1,
            namespace: key.2.clone(),
            kind,
            object,
        };
        s.history.push(ev.clone());
        let _ = self.events.send(ev);
    }

    fn delete_locked(&self, s: &mut Store, key: Key) -> Option<Value> {
        let mut obj = s.objects.get(&key).cloned()?;
        if key.1 == "namespaces" {
            if !obj["metadata"]["deletionTimestamp"].is_string() {
                obj["metadata"]["deletionTimestamp"] = json!(now());
                obj["status"]["phase"] = json!("Terminating");
                let inside: Vec<Key> = s.objects.keys().filter(|k| k.2 == key.3).cloned().collect();
                let name = key.3.clone();
                let out = self.commit(s, key, obj, "MODIFIED");
                for k in inside {
                    self.delete_locked(s, k);
                }
                let _ = name;
                self.gc_namespaces(s);
                return Some(out);
            }
            return Some(obj);
        }
        let finalizers = obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if finalizers {
            if !obj["metadata"]["deletionTimestamp"].is_string() {
                obj["metadata"]["deletionTimestamp"] = json!(now());
                return Some(self.commit(s, key, obj, "MODIFIED"));
            }
            return Some(obj);
        }
        s.objects.remove(&key);
        s.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(s.rv.to_string());
        self.record(s, &key, "DELETED", obj.clone());
        Some(obj)
    }

    fn gc_namespaces(&self, s: &mut Store) {
        let terminating: Vec<Key> = s
            .objects
            .iter()
            .filter(|(k, v)| k.1 == "namespaces" && v["metadata"]["deletionTimestamp"].is_string())
            .map(|(k, _)| k.clone())
            .collect();
        for k in terminating {
            let empty = !s.objects.keys().any(|o| o.2 == k.3 && o.1 != "events");
            if empty {
                s.objects.retain(|o, _| o.2 != k.3);
                if let Some(mut obj) = s.objects.remove(&k) {
                    s.rv += 1;
                    obj["metadata"]["resourceVersion"] = json!(s.rv.to_string());
                    self.record(s, &k, "DELETED", obj);
                }
            }
        }
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<BoxBody<Bytes, Infallible>> {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let query: HashMap<String, String> = req
            .uri()
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let query_string = req.uri().query().map(str::to_string);
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        self.store
            .lock()
            .unwrap()
            .requests
            .push(format!("{method} {}", req.uri()));
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let segs: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(str::to_string)
            .collect();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        match segs.as_slice() {
            ["version"] => {
                return json_response(
                    StatusCode::OK,
                    json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0-fake"}),
                )
            }
            ["api"] => {
                return json_response(
                    StatusCode::OK,
                    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
                )
            }
            ["apis"] => return json_response(StatusCode::OK, api_groups()),
            ["api", "v1"] => return json_response(StatusCode::OK, resource_list("api/v1", "v1")),
            ["apis", g, v] => {
                let prefix = format!("apis/{g}/{v}");
                if TYPES.iter().any(|t| t.prefix == prefix) {
                    return json_response(
                        StatusCode::OK,
                        resource_list(&prefix, &format!("{g}/{v}")),
                    );
                }
                return status(StatusCode::NOT_FOUND, "NotFound", "no such group");
            }
            _ => {}
        }
        if let ["api", "v1", "namespaces", ns, "services", svc, "proxy", ..] = segs.as_slice() {
            let (name, port) = svc
                .trim_start_matches("http:")
                .rsplit_once(':')
                .unwrap_or((svc, "80"));
            let head = format!("/api/v1/namespaces/{ns}/services/{svc}/proxy");
            let rest = path.strip_prefix(&head).unwrap_or("/");
            let rest = if rest.is_empty() { "/" } else { rest };
            return self
                .proxy(
                    ns,
                    name,
                    port,
                    &method,
                    rest,
                    query_string.as_deref(),
                    &headers,
                    body.to_vec(),
                )
                .await;
        }
        let (prefix, rest): (String, &[&str]) = match segs.as_slice() {
            ["api", "v1", rest @ ..] => ("api/v1".into(), rest),
            ["apis", g, v, rest @ ..] => (format!("apis/{g}/{v}"), rest),
            _ => return status(StatusCode::NOT_FOUND, "NotFound", "unknown path"),
        };
        // namespaces/NS/PLURAL[/NAME[/SUB]] or PLURAL[/NAME[/SUB]]
        let (ns, plural, name, sub) = match rest {
            ["namespaces", ns, plural, tail @ ..]
                if type_by_path(&prefix, plural).is_some_and(|t| t.namespaced) =>
            {
                (
                    Some(ns.to_string()),
                    plural.to_string(),
                    tail.first().map(|s| s.to_string()),
                    tail.get(1).map(|s| s.to_string()),
                )
            }
            [plural, tail @ ..] => (
                None,
                plural.to_string(),
                tail.first().map(|s| s.to_string()),
                tail.get(1).map(|s| s.to_string()),
            ),
            [] => return status(StatusCode::NOT_FOUND, "NotFound", "unknown path"),
        };
        let Some(t) = type_by_path(&prefix, &plural) else {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("the server could not find the requested resource {plural}"),
            );
        };
        let ns_key = if t.namespaced {
            ns.clone().unwrap_or_default()
        } else {
            String::new()
        };
        match (method, name, sub.as_deref()) {
            (Method::GET, None, _) => {
                if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
                    return self.watch(t, ns.clone(), &query);
                }
                let s = self.store.lock().unwrap();
                let items: Vec<Value> = s
                    .objects
                    .iter()
                    .filter(|(k, v)| {
                        k.0 == t.prefix
                            && k.1 == t.plural
                            && ns.as_ref().is_none_or(|n| &k.2 == n)
                            && selected(v, &query)
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                json_response(
                    StatusCode::OK,
                    json!({"apiVersion": t.api_version, "kind": format!("{}List", t.kind), "metadata": {"resourceVersion": s.rv.to_string()}, "items": items}),
                )
            }
            (Method::GET, Some(name), Some("log")) => {
                let container = query.get("container").cloned().unwrap_or_default();
                let previous = matches!(query.get("previous").map(String::as_str), Some("true"));
                let s = self.store.lock().unwrap();
                let pod_exists =
                    s.objects
                        .contains_key(&(t.prefix, t.plural, ns_key.clone(), name.clone()));
                match s.logs.get(&(ns_key.clone(), name.clone(), container.clone(), previous)) {
                    Some(text) => {
                        let text = match query.get("tailLines").and_then(|n| n.parse::<usize>().ok()) {
                            Some(n) => {
                                let lines: Vec<&str> = text.lines().collect();
                                let start = lines.len().saturating_sub(n);
                                let mut t = lines[start..].join("\n");
                                t.push('\n');
                                t
                            }
                            None => text.clone(),
                        };
                        Response::builder()
                            .status(StatusCode::OK)
                            .header("content-type", "text/plain")
                            .body(Full::new(Bytes::from(text)).boxed())
                            .unwrap()
                    }
                    None if pod_exists && !previous => Response::builder().status(StatusCode::OK).body(Full::new(Bytes::new()).boxed()).unwrap(),
                    None if pod_exists => status(StatusCode::BAD_REQUEST, "BadRequest", &format!("previous terminated container \"{container}\" in pod \"{name}\" not found")),
                    None => status(StatusCode::NOT_FOUND, "NotFound", &format!("pods \"{name}\" not found")),
                }
            }
            (Method::GET, Some(name), _) => {
                let s = self.store.lock().unwrap();
                match s.objects.get(&(t.prefix, t.plural, ns_key, name.clone())) {
                    Some(v) => json_response(StatusCode::OK, v.clone()),
                    None => status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("{} \"{name}\" not found", t.plural),
                    ),
                }
            }
            (Method::POST, None, _) => {
                let Ok(mut obj) = serde_json::from_slice::<Value>(&body) else {
                    return status(StatusCode::BAD_REQUEST, "BadRequest", "body is not JSON");
                };
                let Some(name) = obj["metadata"]["name"].as_str().map(str::to_string) else {
                    return status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid",
                        "metadata.name is required",
                    );
                };
                let mut s = self.store.lock().unwrap();
                if t.namespaced {
                    let nsk = ("api/v1", "namespaces", String::new(), ns_key.clone());
                    match s.objects.get(&nsk) {
                        None => {
                            return status(
                                StatusCode::NOT_FOUND,
                                "NotFound",
                                &format!("namespaces \"{ns_key}\" not found"),
                            )
                        }
                        Some(n) if n["metadata"]["deletionTimestamp"].is_string() => {
                            return status(
                                StatusCode::FORBIDDEN,
                                "Forbidden",
                                &format!("namespace {ns_key} is being terminated"),
                            )
                        }
                        _ => {}
                    }
                    obj["metadata"]["namespace"] = json!(ns_key);
                }
                let key = (t.prefix, t.plural, ns_key, name.clone());
                if s.objects.contains_key(&key) {
                    return status(
                        StatusCode::CONFLICT,
                        "AlreadyExists",
                        &format!("{} \"{name}\" already exists", t.plural),
                    );
                }
                obj["apiVersion"] = json!(t.api_version);
                obj["kind"] = json!(t.kind);
                stamp_new(&mut obj, s.rv + 1);
                let out = self.commit(&mut s, key, obj, "ADDED");
                drop(s);
                let hooks = self.hooks.lock().unwrap().clone();
                for h in hooks {
                    h(self, &out);
                }
                json_response(StatusCode::CREATED, out)
            }
            (Method::PUT, Some(name), _) => {
                let Ok(mut obj) = serde_json::from_slice::<Value>(&body) else {
                    return status(StatusCode::BAD_REQUEST, "BadRequest", "body is not JSON");
                };
                let mut s = self.store.lock().unwrap();
                let key = (t.prefix, t.plural, ns_key, name.clone());
                let Some(old) = s.objects.get(&key).cloned() else {
                    return status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("{} \"{name}\" not found", t.plural),
                    );
                };
                obj["metadata"]["uid"] = old["metadata"]["uid"].clone();
                obj["metadata"]["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
                bump_generation(&old, &mut obj);
                let out = self.commit(&mut s, key, obj, "MODIFIED");
                json_response(StatusCode::OK, out)
            }
            (Method::PATCH, Some(name), _) => {
                let Ok(patch) = serde_json::from_slice::<Value>(&body) else {
                    return status(StatusCode::BAD_REQUEST, "BadRequest", "body is not JSON");
                };
                if content_type.starts_with("application/json-patch+json") {
                    return status(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "UnsupportedMediaType",
                        "the fake API applies merge patches only",
                    );
                }
                let mut s = self.store.lock().unwrap();
                let key = (t.prefix, t.plural, ns_key.clone(), name.clone());
                let old = match s.objects.get(&key).cloned() {
                    Some(o) => o,
                    None if content_type.starts_with("application/apply-patch") => {
                        let mut obj = patch.clone();
                        obj["apiVersion"] = json!(t.api_version);
                        obj["kind"] = json!(t.kind);
                        if t.namespaced {
                            obj["metadata"]["namespace"] = json!(ns_key);
                        }
                        stamp_new(&mut obj, s.rv + 1);
                        let out = self.commit(&mut s, key, obj, "ADDED");
                        return json_response(StatusCode::CREATED, out);
                    }
                    None => {
                        return status(
                            StatusCode::NOT_FOUND,
                            "NotFound",
                            &format!("{} \"{name}\" not found", t.plural),
                        )
                    }
                };
                let mut obj = old.clone();
                merge_patch(&mut obj, &patch);
                bump_generation(&old, &mut obj);
                let out = self.commit(&mut s, key, obj, "MODIFIED");
                json_response(StatusCode::OK, out)
            }
            (Method::DELETE, Some(name), _) => {
                let mut s = self.store.lock().unwrap();
                match self.delete_locked(&mut s, (t.prefix, t.plural, ns_key, name.clone())) {
                    Some(obj) => json_response(StatusCode::OK, obj),
                    None => status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("{} \"{name}\" not found", t.plural),
                    ),
                }
            }
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "not supported by the fake API",
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn proxy(
        &self,
        ns: &str,
        name: &str,
        port: &str,
        method: &Method,
        rest: &str,
        query: Option<&str>,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Response<BoxBody<Bytes, Infallible>> {
        let Some(url) = self.resolve(&format!("{name}.{ns}:{port}")) else {
            return status(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                &format!("no endpoints available for service \"{name}:{port}\""),
            );
        };
        let target = charttest::load::client::Target::parse(&url).unwrap();
        let path = match query {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_string(),
        };
        // The API server strips its own credentials and hop-by-hop headers.
        let skip = [
            "host",
            "authorization",
            "content-length",
            "connection",
            "user-agent",
            "accept-encoding",
        ];
        let fwd: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(k, _)| !skip.contains(&k.to_ascii_lowercase().as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match charttest::load::client::request_once(
            &target,
            method.as_str(),
            &path,
            &fwd,
            body,
            Duration::from_secs(30),
        )
        .await
        {
            Ok((code, bytes)) => Response::builder()
                .status(code)
                .body(Full::new(bytes).boxed())
                .unwrap(),
            Err(e) => status(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                &format!("error trying to reach service: {e}"),
            ),
        }
    }

    fn watch(
        &self,
        t: ResourceType,
        ns: Option<String>,
        query: &HashMap<String, String>,
    ) -> Response<BoxBody<Bytes, Infallible>> {
        let from: u64 = query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let timeout = query
            .get("timeoutSeconds")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(290)
            .min(290);
        let query = query.clone();
        let matches = move |prefix: &str, plural: &str, namespace: &str, obj: &Value| {
            prefix == t.prefix
                && plural == t.plural
                && ns.as_ref().is_none_or(|n| n == namespace)
                && selected(obj, &query)
        };
        // Subscribe under the lock, so no event falls between the backlog and the live stream.
        let (backlog, mut rx) = {
            let s = self.store.lock().unwrap();
            let rx = self.events.subscribe();
            let backlog: Vec<(u64, &'static str, Value)> = if from == 0 {
                s.objects
                    .iter()
                    .filter(|(k, v)| matches(k.0, k.1, &k.2, v))
                    .map(|(_, v)| (s.rv, "ADDED", v.clone()))
                    .collect()
            } else {
                s.history
                    .iter()
                    .filter(|e| e.rv > from && matches(e.prefix, e.plural, &e.namespace, &e.object))
                    .map(|e| (e.rv, e.kind, e.object.clone()))
                    .collect()
            };
            (backlog, rx)
        };
        let (tx, out_rx) = tokio::sync::mpsc::channel::<Bytes>(1024);
        tokio::spawn(async move {
            let line = |kind: &str, obj: &Value| {
                let mut l = serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap();
                l.push(b'\n');
                Bytes::from(l)
            };
            let mut last = from;
            for (rv, kind, obj) in backlog {
                last = last.max(rv);
                if tx.send(line(kind, &obj)).await.is_err() {
                    return;
                }
            }
            let deadline = tokio::time::sleep(Duration::from_secs(timeout));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => return,
                    ev = rx.recv() => match ev {
                        Ok(ev) => {
                            if ev.rv <= last || !matches(ev.prefix, ev.plural, &ev.namespace, &ev.object) {
                                continue;
                            }
                            last = ev.rv;
                            if tx.send(line(ev.kind, &ev.object)).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => return,
                    },
                    _ = tx.closed() => return,
                }
            }
        });
        let stream = futures::stream::unfold(out_rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(BodyExt::boxed(StreamBody::new(stream)))
            .unwrap()
    }
}

fn stamp_new(obj: &mut Value, rv: u64) {
    obj["metadata"]["uid"] = json!(format!("uid-{rv}"));
    obj["metadata"]["creationTimestamp"] = json!(now());
    if obj.get("spec").is_some() && obj["metadata"]["generation"].is_null() {
        obj["metadata"]["generation"] = json!(1);
    }
}

fn bump_generation(old: &Value, new: &mut Value) {
    if old.get("spec") != new.get("spec") {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = json!(g);
    } else if !old["metadata"]["generation"].is_null() {
        new["metadata"]["generation"] = old["metadata"]["generation"].clone();
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn selected(obj: &Value, query: &HashMap<String, String>) -> bool {
    if let Some(sel) = query.get("labelSelector").filter(|s| !s.is_empty()) {
        let labels = &obj["metadata"]["labels"];
        for term in sel.split(',') {
            let term = term.trim();
            let ok = if let Some((k, v)) = term.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                labels[k].is_null()
            } else {
                !labels[term].is_null()
            };
            if !ok {
                return false;
            }
        }
    }
    if let Some(sel) = query.get("fieldSelector").filter(|s| !s.is_empty()) {
        for term in sel.split(',') {
            let Some((path, want)) = term.split_once('=') else {
                continue;
            };
            let mut v = obj;
            for part in path.trim_end_matches('=').split('.') {
                v = &v[part];
            }
            if v.as_str() != Some(want) {
                return false;
            }
        }
    }
    true
}

fn json_response(code: StatusCode, v: Value) -> Response<BoxBody<Bytes, Infallible>> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(&v).unwrap())).boxed())
        .unwrap()
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<BoxBody<Bytes, Infallible>> {
    json_response(
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()}),
    )
}

fn resource_list(prefix: &str, group_version: &str) -> Value {
    let resources: Vec<Value> = TYPES
        .iter()
        .filter(|t| t.prefix == prefix)
        .map(|t| {
            json!({
                "name": t.plural, "singularName": t.kind.to_lowercase(), "namespaced": t.namespaced, "kind": t.kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]
            })
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

fn api_groups() -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in TYPES {
        if let Some(gv) = t.prefix.strip_prefix("apis/") {
            let (g, v) = gv.split_once('/').unwrap();
            let e = groups.entry(g).or_default();
            if !e.contains(&v) {
                e.push(v);
            }
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}
