//! Live clusters: create them, install the chart into them, check them, and always tear them
//! down.
//!
//! The layer has one job per module:
//! - [`command`]: explicit provider CLI commands, printable as a plan (`--dry-run`) and run with
//!   their process group killed when the run is cancelled;
//! - [`provider`] and [`providers`]: the [`Provider`](provider::Provider) trait and one
//!   implementation per cloud or local tool, each calling the official CLI and reading its JSON;
//! - [`state`]: the state file that records every cluster we create, so `cluster reap` can finish
//!   a teardown that a killed job left behind;
//! - [`teardown`]: runs a cluster's life (create, use, delete) with deletion guaranteed on
//!   success, failure, SIGINT and SIGTERM;
//! - [`client`]: a Kubernetes client from a kubeconfig, and waiting for nodes;
//! - [`helm`], [`rollout`], [`install`], [`uninstall`]: helm install and upgrade with our own
//!   watch of every workload, failing fast on crash loops, image pull errors, restarts and failed
//!   Jobs;
//! - [`diagnostics`]: the bundle written when an install fails;
//! - [`check`]: the named live checks;
//! - [`redact`]: keeps kubeconfig credentials and Secret data out of every output;
//! - [`env`], [`progress`]: the environment commands run in, and the live log and rollout
//!   display.

pub mod check;
pub mod client;
pub mod command;
pub mod diagnostics;
pub mod env;
pub mod helm;
pub mod install;
pub mod progress;
pub mod provider;
pub mod providers;
pub mod redact;
pub mod rollout;
pub mod signals;
pub mod state;
pub mod teardown;
pub mod uninstall;

/// Label (tag) key that marks a cluster or namespace as created by posthog-charttest.
pub const OWNER_LABEL: &str = "posthog-charttest";
/// Value of [`OWNER_LABEL`] on what we own.
pub const OWNER_VALUE: &str = "owned";
/// Label key carrying the run id that created the cluster or namespace.
pub const RUN_ID_LABEL: &str = "charttest-run-id";
/// Label key carrying the expiry, in Unix seconds, after which `cluster reap` deletes it.
pub const EXPIRES_LABEL: &str = "charttest-expires-at";
