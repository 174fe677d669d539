//! `posthog-charttest template`: renders a chart as `helm template` does, natively or through a
//! helm binary.

use std::path::PathBuf;
use std::process::Command as Process;

use clap::{Args, ValueEnum};

use super::Outcome;
use crate::chart::load::read_user_file;
use crate::chart::locate_chart;
use crate::chart::objects::{KubeVersion, ReleaseOptions};
use crate::chart::prepare::{prepare, RenderOptions};
use crate::chart::values::ValueOptions;
use crate::engine::ExecOptions;
use crate::render::{self, CrdFile, OutputOptions};

/// Which renderer to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The built-in Rust engine.
    Native,
    /// A helm binary (`--helm-bin`, else `helm` on PATH).
    Helm,
}

/// helm's values flags, shared by every command that renders a chart with user values.
#[derive(Args, Debug, Clone, Default)]
pub struct ValueFlags {
    /// Values files (YAML), merged in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Set values on the command line (`a.b=c,d[0]=e`).
    #[arg(long = "set", value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set string values on the command line.
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set values from files (`key=path`).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set JSON values on the command line.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a literal string value, taken verbatim.
    #[arg(long = "set-literal", value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
}

impl ValueFlags {
    /// Reads the values files and merges every flag into user values, with helm's precedence.
    pub fn user_values(&self) -> Result<crate::engine::value::MapRef, String> {
        let mut value_files = Vec::new();
        for f in &self.values {
            value_files.push((f.clone(), read_user_file(f)?));
        }
        let vopts = ValueOptions {
            value_files,
            json_values: self.set_json.clone(),
            values: self.set.clone(),
            string_values: self.set_string.clone(),
            file_values: self.set_file.clone(),
            literal_values: self.set_literal.clone(),
        };
        vopts.merge(&read_user_file).map_err(|e| e.0)
    }
}

/// The flags of `helm template`, plus the engine switches.
#[derive(Args, Debug, Clone, Default)]
pub struct TemplateArgs {
    /// `[NAME] CHART`: the release name (default `release-name`) and the chart directory or
    /// `.tgz`.
    #[arg(value_names = ["NAME", "CHART"], num_args = 1..=2, required = true)]
    pub args: Vec<String>,
    /// Values flags.
    #[command(flatten)]
    pub vals: ValueFlags,
    /// The release namespace.
    #[arg(short = 'n', long = "namespace", default_value = "default")]
    pub namespace: String,
    /// Kubernetes version for `.Capabilities.KubeVersion`.
    #[arg(long = "kube-version")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (comma-separated or repeated).
    #[arg(short = 'a', long = "api-versions")]
    pub api_versions: Vec<String>,
    /// Include CRDs from `crds/` in the output.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Only show manifests rendered from these templates (`templates/x.yaml`, globs allowed).
    #[arg(short = 's', long = "show-only")]
    pub show_only: Vec<String>,
    /// Leave hooks out.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Leave test hooks out.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Set `.Release.IsUpgrade` instead of `.Release.IsInstall`.
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Write each template to a file under this directory instead of stdout.
    #[arg(long = "output-dir")]
    pub output_dir: Option<PathBuf>,
    /// With `--output-dir`, write under `<dir>/<release name>`.
    #[arg(long = "release-name")]
    pub release_name: bool,
    /// Skip values.schema.json validation.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
    /// Let `getHostByName` resolve names.
    #[arg(long = "enable-dns")]
    pub enable_dns: bool,
    /// On a manifest error, print the rendered files instead of the `--debug` hint.
    #[arg(long = "debug")]
    pub debug: bool,
    /// Renderer: native (default) or a helm binary.
    #[arg(long = "engine", value_enum, default_value = "native")]
    pub engine: Option<Engine>,
    /// The helm binary for `--engine helm`.
    #[arg(long = "helm-bin", value_name = "PATH")]
    pub helm_bin: Option<PathBuf>,
    /// Which helm to be compatible with: 4 (helm 4.1.4, default) or 3 (helm 3.18.0).
    #[arg(long = "helm-compat", default_value = "4", value_parser = clap::value_parser!(u32).range(3..=4))]
    pub helm_compat: u32,
    /// Seed for random functions (`randAlphaNum`, `genCA`, …), for reproducible output.
    #[arg(long = "seed")]
    pub seed: Option<u64>,
    /// The time `now` returns (RFC 3339), for reproducible output.
    #[arg(long = "now", value_name = "RFC3339")]
    pub now: Option<String>,
    /// The render is the process's last work: the chart and parse trees are left for the
    /// operating system to reclaim instead of being freed one node at a time. Set by the
    /// command line only; library callers that render many times leave it off.
    #[arg(skip)]
    pub last_in_process: bool,
}

impl TemplateArgs {
    /// A new set of arguments for rendering `chart` with helm's defaults.
    pub fn for_chart(chart: impl Into<String>) -> TemplateArgs {
        TemplateArgs {
            args: vec![chart.into()],
            namespace: "default".into(),
            engine: Some(Engine::Native),
            helm_compat: 4,
            ..TemplateArgs::default()
        }
    }

    fn name_and_chart(&self) -> (String, String) {
        match self.args.as_slice() {
            [name, chart] => (name.clone(), chart.clone()),
            [chart] => ("release-name".into(), chart.clone()),
            _ => ("release-name".into(), String::new()),
        }
    }

    /// The equivalent `helm template` argument list.
    pub fn helm_args(&self) -> Vec<String> {
        let mut a = vec!["template".to_string()];
        a.extend(self.args.iter().cloned());
        let mut push = |flag: &str, vals: &[String]| {
            for v in vals {
                a.push(flag.to_string());
                a.push(v.clone());
            }
        };
        push("-f", &self.vals.values);
        push("--set", &self.vals.set);
        push("--set-string", &self.vals.set_string);
        push("--set-file", &self.vals.set_file);
        push("--set-json", &self.vals.set_json);
        push("--set-literal", &self.vals.set_literal);
        push("-a", &self.api_versions);
        push("-s", &self.show_only);
        a.push("-n".into());
        a.push(self.namespace.clone());
        if let Some(k) = &self.kube_version {
            a.push("--kube-version".into());
            a.push(k.clone());
        }
        if let Some(d) = &self.output_dir {
            a.push("--output-dir".into());
            a.push(d.display().to_string());
        }
        for (on, flag) in [
            (self.include_crds, "--include-crds"),
            (self.no_hooks, "--no-hooks"),
            (self.skip_tests, "--skip-tests"),
            (self.is_upgrade, "--is-upgrade"),
            (self.release_name, "--release-name"),
            (self.skip_schema_validation, "--skip-schema-validation"),
            (self.enable_dns, "--enable-dns"),
            (self.debug, "--debug"),
        ] {
            if on {
                a.push(flag.into());
            }
        }
        a
    }
}

/// Runs `template`.
pub fn run(args: &TemplateArgs) -> Outcome {
    match args.engine.unwrap_or(Engine::Native) {
        Engine::Native => run_native(args),
        Engine::Helm => run_helm(args),
    }
}

fn run_helm(args: &TemplateArgs) -> Outcome {
    let bin = args
        .helm_bin
        .clone()
        .unwrap_or_else(|| PathBuf::from("helm"));
    match Process::new(&bin).args(args.helm_args()).output() {
        Ok(o) => Outcome {
            exit: o.status.code().unwrap_or(1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        },
        Err(e) => Outcome::error(format!(
            "cannot run helm binary {}: {e} (install helm or pass --helm-bin PATH)",
            bin.display()
        )),
    }
}

/// The `Error: …` outcome for failures helm reports with a release in hand, which carry its
/// `--debug` hint.
fn partial_error(msg: &str, debug: bool) -> Outcome {
    if debug {
        Outcome::error(msg)
    } else {
        Outcome::error(format!(
            "{msg}\n\nUse --debug flag to render out invalid YAML"
        ))
    }
}

/// The rendered files of a chart (NOTES.txt included) and what output assembly needs.
#[derive(Debug)]
pub struct Rendered {
    /// Every executed template's output, by template path, `<no value>` removed.
    pub files: std::collections::BTreeMap<String, String>,
    /// CRD files for `--include-crds`.
    pub crds: Vec<CrdFile>,
    /// The release name.
    pub release_name: String,
}

/// Loads, prepares and renders the chart as `helm template` would, stopping before output
/// assembly. A failure comes back as the complete outcome helm would print.
pub fn render_files(args: &TemplateArgs) -> Result<Rendered, Outcome> {
    let (name, chart_ref) = args.name_and_chart();
    let h = args.helm_compat;
    let kube_version = match &args.kube_version {
        Some(k) => match KubeVersion::parse(k, h) {
            Ok(v) => Some(v),
            Err(e) => return Err(Outcome::error(format!("invalid kube version '{k}': {e}"))),
        },
        None => None,
    };
    let user_values = match args.vals.user_values() {
        Ok(v) => v,
        Err(e) => return Err(Outcome::error(e)),
    };
    // Templates start parsing as soon as the chart's files are read.
    let mut early = None;
    let loaded = locate_chart(&chart_ref).and_then(|p| {
        crate::chart::load::load_chart_observed(&p, &mut |files| {
            early = Some(render::ahead::ParseAhead::start_files(files, h))
        })
    });
    let chart = match loaded {
        Ok(c) => c,
        Err(e) => return Err(Outcome::error(e.0)),
    };
    let ahead = early.unwrap_or_else(|| render::ahead::ParseAhead::start(&chart, h));
    if !args.skip_schema_validation {
        crate::chart::schema::warm(&chart);
    }
    let ropts = RenderOptions {
        helm_major: h,
        release: ReleaseOptions {
            name: name.clone(),
            namespace: args.namespace.clone(),
            revision: 1,
            is_upgrade: args.is_upgrade,
        },
        user_values,
        kube_version,
        api_versions: args.api_versions.clone(),
        // Validated below, once the templates are parsed: the schemas compile on another
        // thread meanwhile.
        skip_schema_validation: true,
        capabilities: None,
        install_checks: true,
        chart_overrides: Default::default(),
    };
    let validate = !args.skip_schema_validation;
    let prepared = match prepare(&chart, &ropts) {
        Ok(p) => p,
        // helm validates values before it checks kubeVersion: with validation on, a schema
        // error takes precedence.
        Err(e) if validate && e.0.starts_with("chart requires kubeVersion") => {
            let checked = RenderOptions {
                skip_schema_validation: false,
                ..ropts
            };
            let e = match prepare(&chart, &checked) {
                Err(e) => e,
                Ok(_) => e,
            };
            if e.0.starts_with("chart requires kubeVersion") {
                return Err(partial_error(&e.0, args.debug));
            }
            return Err(Outcome::error(e.0));
        }
        Err(e) if e.0.starts_with("chart requires kubeVersion") => {
            return Err(partial_error(&e.0, args.debug))
        }
        Err(e) if h >= 4 && e.0.starts_with("release name check failed: ") => {
            // helm 4 also logs this one before returning it.
            let mut o = Outcome::error(&e.0);
            let detail = &e.0["release name check failed: ".len()..];
            o.stderr = format!(
                "level=ERROR msg=\"release name check failed\" error={}\n{}",
                crate::engine::printf::quote(detail),
                o.stderr
            );
            return Err(o);
        }
        Err(e) => return Err(Outcome::error(e.0)),
    };
    let mut eopts = ExecOptions {
        helm_major: h,
        enable_dns: args.enable_dns,
        seed: args.seed,
        ..ExecOptions::default()
    };
    if let Some(now) = &args.now {
        match chrono::DateTime::parse_from_rfc3339(now) {
            Ok(t) => eopts.now = Some(t),
            Err(e) => {
                return Err(Outcome::error(format!(
                    "--now {now}: {e} (use RFC 3339, e.g. 2024-01-02T03:04:05Z)"
                )))
            }
        }
    }
    let order = render::chart::helm_order(&prepared.units);
    let parsed = ahead.finish(&order, h);
    // helm validates values before it parses templates, so a schema error wins.
    if validate {
        if let Err(e) = crate::chart::schema::validate_chart(&prepared.chart, &prepared.values, h) {
            return Err(Outcome::error(e.0));
        }
    }
    let set = match parsed {
        Ok(s) => s,
        Err(e) => return Err(partial_error(&e.helm_message_for(h), args.debug)),
    };
    let files = match render::chart::execute_units(&set, &order, &eopts) {
        Ok(f) => f,
        Err(e) => return Err(partial_error(&e.helm_message_for(h), args.debug)),
    };
    let crds: Vec<CrdFile> = prepared
        .crds
        .iter()
        .map(|c| CrdFile {
            filename: c.filename.clone(),
            data: String::from_utf8_lossy(&c.data).into_owned(),
        })
        .collect();
    if args.last_in_process {
        // Freeing the chart, its values and every parse tree node by node costs more than
        // executing the templates did, and the process exits after printing.
        drop(order);
        std::mem::forget(set);
        std::mem::forget(prepared);
        std::mem::forget(chart);
    }
    Ok(Rendered {
        files,
        crds,
        release_name: name,
    })
}

fn run_native(args: &TemplateArgs) -> Outcome {
    let Rendered {
        mut files,
        crds,
        release_name,
    } = match render_files(args) {
        Ok(r) => r,
        Err(o) => return o,
    };
    render::drop_notes(&mut files);
    let oopts = OutputOptions {
        include_crds: args.include_crds,
        show_only: args.show_only.clone(),
        no_hooks: args.no_hooks,
        skip_tests: args.skip_tests,
        output_dir: args.output_dir.clone(),
        use_release_name: args.release_name,
        release_name,
    };
    match render::assemble(&files, &crds, &oopts) {
        Ok(a) => Outcome {
            exit: 0,
            stdout: a.stdout,
            stderr: String::new(),
        },
        Err(e) if e.partial && args.debug => {
            // helm --debug prints every rendered file before the error.
            let mut out = String::new();
            for (name, content) in &files {
                if content.trim().is_empty() {
                    continue;
                }
                out.push_str(&format!("---\n# Source: {name}\n{content}\n"));
            }
            Outcome {
                exit: 1,
                stdout: format!("{}\n", out.trim()),
                stderr: format!("Error: {}\n", e.message),
            }
        }
        Err(e) if e.partial => partial_error(&e.message, false),
        Err(e) => Outcome::error(e.message),
    }
}
