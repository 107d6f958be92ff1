//! One terraform working directory with its own CLI config and data dir, and the steps the
//! acceptance tests run in it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::install::provider_mirror;
use super::target::is_provider_variable;

/// The result of one terraform command.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Standard output and error together.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Panics if the output carries a Rust backtrace (users must never see one).
    pub fn assert_no_backtrace(&self) {
        let text = self.text();
        let leaked = text.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with("stack backtrace")
                || (line.starts_with("at ") && line.contains(".rs:"))
        });
        assert!(!leaked, "a backtrace reached the user:\n{text}");
    }
}

/// A terraform working directory bound to an environment.
pub struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

/// Terraform's `required_providers` block for this provider, to prefix test configs with.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    expel = {
      source = "expel/expel"
    }
  }
}
"#;

impl Workspace {
    /// A fresh directory whose terraform sees `env` (ARM_*, EXPEL_*, …) and nothing of the
    /// caller's provider variables.
    pub fn new(env: Vec<(String, String)>) -> Self {
        Self::with_mirror(env, provider_mirror())
    }

    /// [`Workspace::new`] installing the provider from `mirror` (see
    /// [`super::mirror_of`]) instead of the debug build the tests share.
    pub fn with_mirror(env: Vec<(String, String)>, mirror: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("expel-acc-")
            .tempdir()
            .expect("temporary directory for the test workspace");
        let cli_config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {mirror:?}\n    include = [\"registry.terraform.io/expel/*\"]\n  }}\n}}\n",
            mirror = mirror.display().to_string(),
        );
        std::fs::write(dir.path().join("terraform.rc"), cli_config).expect("write the CLI config");
        Self { dir, env }
    }

    /// A workspace with `body` as its configuration, initialised and applied.
    pub fn applied(env: Vec<(String, String)>, body: &str) -> Self {
        let workspace = Self::new(env);
        workspace.config(body);
        workspace.init();
        workspace.apply();
        workspace
    }

    /// In a fresh workspace holding only a provider block, imports `imports` (address, id)
    /// through `import {}` blocks and `plan -generate-config-out`, applies, and asserts the
    /// plan is then empty. Returns the generated configuration.
    pub fn import_with_generated_config(
        env: Vec<(String, String)>,
        imports: &[(&str, &str)],
    ) -> String {
        let importer = Self::new(env);
        importer.config("provider \"expel\" {}\n");
        importer.init();
        let generated = importer.generate_config(imports);
        importer.apply();
        importer.assert_plan_empty();
        generated
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `main.tf` with the required_providers block followed by `body`.
    pub fn config(&self, body: &str) -> &Self {
        std::fs::write(
            self.path().join("main.tf"),
            format!("{REQUIRED_PROVIDERS}\n{body}"),
        )
        .expect("write main.tf");
        self
    }

    /// Replaces the whole environment for later commands.
    pub fn replace_env(&mut self, env: Vec<(String, String)>) {
        self.env = env;
    }

    /// Sets (or replaces) an environment variable for later commands.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_binary());
        command.current_dir(self.path()).args(args);
        for (name, _) in std::env::vars() {
            if is_provider_variable(&name) || name.starts_with("TF_") {
                command.env_remove(&name);
            }
        }
        command
            .env("TF_CLI_CONFIG_FILE", self.path().join("terraform.rc"))
            .env("TF_DATA_DIR", self.path().join(".terraform"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if let Ok(level) = std::env::var("TF_LOG") {
            command.env("TF_LOG", level);
        }
        command
    }

    /// Runs `terraform <args>` and returns what happened, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Outcome {
        let output = self
            .command(args)
            .output()
            .unwrap_or_else(|err| panic!("cannot run terraform ({err}); is it on the PATH?"));
        Outcome::from(output)
    }

    /// Starts `terraform <args>` in the background, with the environment and directory of
    /// [`Workspace::run`], as the leader of a new process group, so that a test can signal it
    /// alone or together with the providers it starts (as a terminal's Ctrl-C does). Standard
    /// output and error go to `spawned.log` in the working directory, replaced at every spawn,
    /// so a long run never blocks on a full pipe; read them with [`Workspace::spawned_output`].
    pub fn spawn(&self, args: &[&str]) -> Child {
        let log = std::fs::File::create(self.spawned_log()).expect("create spawned.log");
        let log_err = log.try_clone().expect("share spawned.log");
        self.command(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start terraform ({err}); is it on the PATH?"))
    }

    /// What the last [`Workspace::spawn`]ed command printed so far.
    pub fn spawned_output(&self) -> String {
        std::fs::read_to_string(self.spawned_log()).unwrap_or_default()
    }

    /// The last [`Workspace::spawn`]ed command as an [`Outcome`], once it ended with `status`
    /// (its standard error is in `stdout`: both went to one log).
    pub fn spawned_outcome(&self, status: std::process::ExitStatus) -> Outcome {
        Outcome {
            code: status.code().unwrap_or(-1),
            stdout: self.spawned_output(),
            stderr: String::new(),
        }
    }

    fn spawned_log(&self) -> PathBuf {
        self.path().join("spawned.log")
    }

    /// Runs `terraform <args>` and panics with its output unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Outcome {
        let outcome = self.run(args);
        assert_eq!(
            outcome.code,
            0,
            "terraform {} failed:\n{}",
            args.join(" "),
            outcome.text()
        );
        outcome
    }

    /// `terraform init` (for real, from the filesystem mirror).
    pub fn init(&self) -> Outcome {
        self.ok(&["init", "-no-color", "-input=false"])
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> Outcome {
        self.ok(&["apply", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform apply -auto-approve`, which must fail; returns its output.
    pub fn apply_fails(&self) -> Outcome {
        let outcome = self.run(&["apply", "-no-color", "-input=false", "-auto-approve"]);
        assert_ne!(
            outcome.code,
            0,
            "apply was expected to fail:\n{}",
            outcome.text()
        );
        outcome.assert_no_backtrace();
        outcome
    }

    /// Asserts `terraform plan` proposes no change.
    pub fn assert_plan_empty(&self) {
        let outcome = self.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
        assert_eq!(
            outcome.code,
            0,
            "plan was expected to be empty:\n{}",
            outcome.text()
        );
    }

    /// Asserts `terraform plan` proposes changes, and returns the plan text.
    pub fn assert_plan_changes(&self) -> Outcome {
        let outcome = self.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
        assert_eq!(
            outcome.code,
            2,
            "plan was expected to show changes:\n{}",
            outcome.text()
        );
        outcome
    }

    /// `terraform import <address> <id>`.
    pub fn import(&self, address: &str, id: &str) -> Outcome {
        self.ok(&["import", "-no-color", "-input=false", address, id])
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) -> Outcome {
        self.ok(&["destroy", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform output -json` as JSON.
    pub fn outputs(&self) -> serde_json::Value {
        let outcome = self.ok(&["output", "-json"]);
        serde_json::from_str(&outcome.stdout).expect("terraform output -json prints JSON")
    }

    /// One output's value.
    pub fn output(&self, name: &str) -> serde_json::Value {
        self.outputs()[name]["value"].clone()
    }

    /// `terraform show -json` of the state.
    pub fn state(&self) -> serde_json::Value {
        let outcome = self.ok(&["show", "-json"]);
        serde_json::from_str(&outcome.stdout).expect("terraform show -json prints JSON")
    }

    /// The attribute values of one resource in the state (`null` when absent).
    pub fn resource(&self, address: &str) -> serde_json::Value {
        let state = self.state();
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .into_iter()
            .find(|r| r["address"] == address)
            .map_or(serde_json::Value::Null, |r| r["values"].clone())
    }

    /// Forgets `address`, imports it again by `id`, and asserts the imported state equals
    /// what apply had recorded and that the plan is empty afterwards.
    pub fn assert_import_matches(&self, address: &str, id: &str) {
        let before = self.resource(address);
        assert!(!before.is_null(), "{address} is not in the state");
        self.ok(&["state", "rm", "-no-color", address]);
        self.import(address, id);
        let after = self.resource(address);
        assert_eq!(
            after, before,
            "importing {address} as {id:?} gave a different state"
        );
        self.assert_plan_empty();
    }

    /// Writes `import {}` blocks for `imports` (address, id) after removing them from the
    /// state, runs `plan -generate-config-out`, and returns the generated configuration.
    /// The caller's config must then be the generated one for the plan to be judged.
    pub fn generate_config(&self, imports: &[(&str, &str)]) -> String {
        let mut blocks = String::new();
        for (address, id) in imports {
            blocks.push_str(&format!("import {{\n  to = {address}\n  id = {id:?}\n}}\n"));
        }
        std::fs::write(self.path().join("imports.tf"), blocks).expect("write imports.tf");
        let generated = self.path().join("generated.tf");
        let _ = std::fs::remove_file(&generated);
        let outcome = self.run(&[
            "plan",
            "-no-color",
            "-input=false",
            "-generate-config-out=generated.tf",
        ]);
        assert!(
            outcome.code == 0 || outcome.code == 2,
            "plan -generate-config-out failed:\n{}",
            outcome.text()
        );
        std::fs::read_to_string(generated).expect("terraform wrote generated.tf")
    }

    /// The state file's raw text (for secret scans).
    pub fn state_file_text(&self) -> String {
        std::fs::read_to_string(self.path().join("terraform.tfstate")).unwrap_or_default()
    }
}

fn terraform_binary() -> PathBuf {
    PathBuf::from(std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into()))
}
