//! The helm commands of install, upgrade and uninstall. We never pass `--wait`: the rollout is
//! watched by [`rollout`](super::rollout), which fails fast where helm would sit until its
//! timeout. (Helm still waits for hook Jobs by itself; the watch runs alongside and stops helm
//! when a hook's pod crash-loops.)

use std::path::PathBuf;
use std::time::Duration;

use super::command::CommandSpec;
use super::redact::is_sensitive_name;

/// Values passed to helm, as on its command line.
#[derive(Clone, Debug, Default)]
pub struct HelmValues {
    /// `-f` files.
    pub files: Vec<String>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--set-json`.
    pub set_json: Vec<String>,
}

/// A helm binary and the cluster it talks to.
#[derive(Clone, Debug)]
pub struct Helm {
    /// The helm program (name on `PATH` or a path).
    pub bin: String,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`.
    pub context: Option<String>,
}

impl Helm {
    fn base(&self, args: Vec<String>) -> CommandSpec {
        let mut c = CommandSpec::new(&self.bin, args);
        if let Some(k) = &self.kubeconfig {
            c.args
                .extend(["--kubeconfig".into(), k.display().to_string()]);
        }
        if let Some(ctx) = &self.context {
            c.args.extend(["--kube-context".into(), ctx.clone()]);
        }
        c
    }

    /// `helm install` (or `upgrade`) of `chart` as `release` in `namespace`.
    pub fn install_cmd(
        &self,
        upgrade: bool,
        release: &str,
        chart: &str,
        namespace: &str,
        values: &HelmValues,
        timeout: Duration,
    ) -> CommandSpec {
        let verb = if upgrade { "upgrade" } else { "install" };
        let mut c = self.base(vec![
            verb.into(),
            release.into(),
            chart.into(),
            "--namespace".into(),
            namespace.into(),
        ]);
        if !upgrade {
            c.args.push("--create-namespace".into());
        }
        c.args
            .extend(["--timeout".into(), format!("{}s", timeout.as_secs())]);
        for f in &values.files {
            c.args.extend(["-f".into(), f.clone()]);
        }
        for (flag, list) in [
            ("--set", &values.set),
            ("--set-string", &values.set_string),
            ("--set-json", &values.set_json),
            ("--set-file", &values.set_file),
        ] {
            for v in list {
                c.args.push(flag.into());
                if flag != "--set-file" && sets_sensitive_key(v) {
                    c.secret_args.push(c.args.len());
                }
                c.args.push(v.clone());
            }
        }
        c.purpose = format!("helm {verb} {release}");
        c
    }

    /// `helm uninstall`.
    pub fn uninstall_cmd(&self, release: &str, namespace: &str, timeout: Duration) -> CommandSpec {
        let mut c = self.base(vec![
            "uninstall".into(),
            release.into(),
            "--namespace".into(),
            namespace.into(),
            "--ignore-not-found".into(),
            "--timeout".into(),
            format!("{}s", timeout.as_secs()),
        ]);
        c.purpose = format!("helm uninstall {release}");
        c
    }
}

/// Whether a `--set a=b,c=d` argument sets a key that names a secret.
pub fn sets_sensitive_key(arg: &str) -> bool {
    arg.split(',')
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k))
        .any(|k| is_sensitive_name(k.rsplit('.').next().unwrap_or(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_command_redacts_secret_sets() {
        let helm = Helm {
            bin: "helm".into(),
            kubeconfig: Some("/k".into()),
            context: None,
        };
        let values = HelmValues {
            files: vec!["v.yaml".into()],
            set: vec!["a=1".into(), "postgresql.auth.password=hunter2".into()],
            ..HelmValues::default()
        };
        let c = helm.install_cmd(
            false,
            "ph",
            "./chart",
            "ns1",
            &values,
            Duration::from_secs(600),
        );
        assert_eq!(
            c.shell_line(),
            "helm install ph ./chart --namespace ns1 --kubeconfig /k --create-namespace --timeout 600s -f v.yaml --set a=1 --set 'postgresql.auth.password=<redacted>'"
        );
    }
}
