//! `expel-bench` (`make bench`): what `terraform apply`, a no-change `terraform plan` and
//! `terraform destroy` cost with this provider against the embedded sandbox, next to
//! terraform's own floor (the same number of built-in `terraform_data` resources, in the same
//! run), and what the provider costs in API requests, token requests, memory and start time.
//!
//! It prints a markdown report and writes it into BENCHMARKS.md between the
//! `<!-- bench:begin -->` and `<!-- bench:end -->` markers, keeping the text around them.
//! A benchmark, never a test: it fails when something it runs fails (a terraform command, a
//! plan that is not empty), never because something was slow. `--quick` (part of
//! `make test`) runs N = 10 at 0 ms with the debug build and writes nothing, so it cannot rot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use expel_acceptance_tests::harness::processes::{self, ProviderWatch};
use expel_acceptance_tests::harness::{build_provider, mirror_of, Build, Workspace};
use expel_acceptance_tests::sandbox::world::{ContextVariable, ExtraPrincipal};
use expel_acceptance_tests::sandbox::{Faults, Sandbox, SandboxConfig, Stats, Timing};

/// The route of a token request, as the sandbox counts it.
const TOKEN_ROUTE: &str = "POST /{tenant}/oauth2/v2.0/token";
/// The go-plugin handshake cookie terraform sets for every provider it starts.
const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);
/// Where the generated report goes inside BENCHMARKS.md.
const BEGIN: &str = "<!-- bench:begin -->";
/// The end of the generated report.
const END: &str = "<!-- bench:end -->";

/// Benchmarks of the expel provider against the embedded sandbox.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Quick mode (`make test`): N = 10 at 0 ms, a 100-value list, the debug build, 3 starts,
    /// and nothing written unless --out is given.
    #[arg(long)]
    quick: bool,
    /// Numbers of resources per workload.
    #[arg(long, value_delimiter = ',', default_value = "10,100,500")]
    sizes: Vec<usize>,
    /// Sandbox latencies per request, milliseconds.
    #[arg(long, value_delimiter = ',', default_value = "0,50")]
    latencies: Vec<u64>,
    /// Workloads to run.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "roles,grants,lists,big-list"
    )]
    workloads: Vec<Kind>,
    /// The provider build measured.
    #[arg(long, value_enum, default_value = "release")]
    build: BuildArg,
    /// Also apply the big list's values as a set in one `terraform_data` (terraform core's
    /// own set check without the provider; a minute or more at 5,000 values).
    #[arg(long)]
    set_floor: bool,
    /// Measure this provider binary instead of building one (to compare two builds).
    #[arg(long)]
    provider: Option<PathBuf>,
    /// Values in the one big context list.
    #[arg(long, default_value_t = 5000)]
    big_list_values: usize,
    /// Users of the tenant the readiness data source checks (10 % without MFA), and members
    /// of its "Always reset" list.
    #[arg(long, default_value_t = 10_000)]
    readiness_users: usize,
    /// Members of the "Always reset" list the readiness data source checks.
    #[arg(long, default_value_t = 200)]
    readiness_members: usize,
    /// terraform's -parallelism (its default is 10).
    #[arg(long, default_value_t = 10)]
    parallelism: usize,
    /// Starts of the provider binary timed to its handshake.
    #[arg(long, default_value_t = 20)]
    starts: usize,
    /// Also write each command's request timeline (arrival and answer, ms from the first
    /// arrival, and route) as CSV files into this directory: the profile behind `in flight`.
    #[arg(long)]
    timelines: Option<PathBuf>,
    /// The markdown file to write the report into (default: BENCHMARKS.md at the workspace
    /// root; in quick mode, none).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The provider build, as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum BuildArg {
    Debug,
    Release,
}

/// A workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum Kind {
    /// N `expel_role_assignment`, one per extra service principal.
    Roles,
    /// N `expel_remediation_permissions`, one per extra service principal.
    Grants,
    /// N `expel_context_list` of two values each.
    Lists,
    /// One `expel_context_list` of --big-list-values values.
    BigList,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Roles => "role assignments",
            Kind::Grants => "remediation grants",
            Kind::Lists => "context lists",
            Kind::BigList => "one list of many values",
        }
    }
}

/// The three timed commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Apply,
    Plan,
    Destroy,
}

impl Phase {
    const ALL: [Phase; 3] = [Phase::Apply, Phase::Plan, Phase::Destroy];

    fn name(self) -> &'static str {
        match self {
            Phase::Apply => "apply",
            Phase::Plan => "plan",
            Phase::Destroy => "destroy",
        }
    }
}

/// What one terraform command cost.
#[derive(Clone, Debug, Default)]
struct Measured {
    wall: Duration,
    /// CPU of terraform and everything it started and reaped.
    cpu_all: Duration,
    /// CPU of the provider processes (sampled from /proc).
    cpu_provider: Duration,
    stats: Stats,
    timeline: Vec<Timing>,
    /// Peak RSS (KiB) of each provider process.
    peaks: BTreeMap<u32, u64>,
    /// When terraform was started.
    started: Option<Instant>,
}

impl Measured {
    /// Seconds from terraform's start to the first request the sandbox received, and from
    /// the last answer to terraform's exit.
    fn before_and_after_requests(&self) -> Option<(f64, f64)> {
        let started = self.started?;
        let first = self.timeline.iter().map(|t| t.arrived).min()?;
        let last = self.timeline.iter().map(|t| t.answered).max()?;
        let before = (first - started).as_secs_f64();
        Some((
            before,
            self.wall.as_secs_f64() - (last - started).as_secs_f64(),
        ))
    }

    fn provider_processes(&self) -> usize {
        self.peaks.len()
    }

    fn peak_kib(&self) -> u64 {
        self.peaks.values().copied().max().unwrap_or(0)
    }

    fn tokens(&self) -> u64 {
        self.stats.count(TOKEN_ROUTE)
    }

    /// Provider processes that called Graph: distinct access tokens on Graph requests.
    fn graph_callers(&self) -> usize {
        self.timeline
            .iter()
            .filter(|t| t.route.contains(" /v1.0/") && t.caller != 0)
            .map(|t| t.caller)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Requests to Graph and Workbench (token requests apart).
    fn api_requests(&self) -> u64 {
        self.stats.total() - self.tokens()
    }

    /// Mean and highest number of requests in flight at the sandbox between the first arrival
    /// and the last answer.
    fn in_flight(&self) -> (f64, usize) {
        let (Some(first), Some(last)) = (
            self.timeline.iter().map(|t| t.arrived).min(),
            self.timeline.iter().map(|t| t.answered).max(),
        ) else {
            return (0.0, 0);
        };
        let busy: f64 = self
            .timeline
            .iter()
            .map(|t| (t.answered - t.arrived).as_secs_f64())
            .sum();
        let span = (last - first).as_secs_f64();
        let mut edges: Vec<(Instant, i32)> = self
            .timeline
            .iter()
            .flat_map(|t| [(t.arrived, 1), (t.answered, -1)])
            .collect();
        edges.sort();
        let (mut now, mut max) = (0i32, 0i32);
        for (_, step) in edges {
            now += step;
            max = max.max(now);
        }
        let mean = if span > 0.0 { busy / span } else { 0.0 };
        (mean, usize::try_from(max).unwrap_or(0))
    }
}

/// One workload at one size and latency, or the floor at one size.
#[derive(Debug)]
struct Run {
    kind: Option<Kind>,
    size: usize,
    latency_ms: u64,
    phases: BTreeMap<Phase, Measured>,
}

fn main() {
    let mut args = Args::parse();
    if args.quick {
        args.sizes = vec![10];
        args.latencies = vec![0];
        args.big_list_values = 100;
        args.readiness_users = 1_000;
        args.readiness_members = 20;
        args.starts = 3;
        args.build = BuildArg::Debug;
    }
    let build = match args.build {
        BuildArg::Debug => Build::Debug,
        BuildArg::Release => Build::Release,
    };
    match bench(&args, build) {
        Ok(report) => {
            println!("{report}");
            let out = args
                .out
                .clone()
                .or_else(|| (!args.quick).then(|| workspace_root().join("BENCHMARKS.md")));
            if let Some(path) = out {
                if let Err(err) = write_report(&path, &report) {
                    eprintln!("expel-bench: cannot write {}: {err}", path.display());
                    std::process::exit(1);
                }
                eprintln!("expel-bench: wrote {}", path.display());
            }
        }
        Err(err) => {
            eprintln!("expel-bench: {err}");
            std::process::exit(1);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs everything and returns the markdown report.
fn bench(args: &Args, build: Build) -> Result<String, String> {
    let machine = Machine::now();
    let started = Instant::now();
    let binary = match &args.provider {
        Some(binary) => binary.clone(),
        None => {
            eprintln!("expel-bench: building the {} provider", build.name());
            build_provider(build)
        }
    };
    let mirror = mirror_of(&binary);
    let starts = time_starts(&binary, args.starts)?;

    let mut runs = Vec::new();
    let list_kinds: Vec<Kind> = args
        .workloads
        .iter()
        .copied()
        .filter(|k| *k != Kind::BigList)
        .collect();
    for &size in &args.sizes {
        eprintln!("expel-bench: floor, N = {size}");
        runs.push(floor(args, mirror.path(), size)?);
        for &latency in &args.latencies {
            for &kind in &list_kinds {
                eprintln!("expel-bench: {}, N = {size}, {latency} ms", kind.title());
                runs.push(workload(args, mirror.path(), kind, size, latency)?);
            }
        }
    }
    let mut big = Vec::new();
    if args.workloads.contains(&Kind::BigList) {
        // At the first latency only: the list costs three requests; what it measures is
        // terraform core's CPU, which latency does not change.
        let values = args.big_list_values;
        let latency = args.latencies.first().copied().unwrap_or(0);
        for as_set in [false, true].into_iter().filter(|s| !s || args.set_floor) {
            eprintln!("expel-bench: floor, one terraform_data of {values} values (set: {as_set})");
            big.push(big_floor(args, mirror.path(), values, as_set)?);
        }
        eprintln!("expel-bench: one list of {values} values, {latency} ms");
        big.push(workload(
            args,
            mirror.path(),
            Kind::BigList,
            values,
            latency,
        )?);
    }
    let mut readiness = Vec::new();
    for &latency in &args.latencies {
        eprintln!(
            "expel-bench: readiness, {} users and {} list members, {latency} ms",
            args.readiness_users, args.readiness_members
        );
        readiness.push(readiness_check(args, mirror.path(), latency)?);
    }
    let took = started.elapsed();
    let results = Results {
        runs,
        big,
        readiness,
    };
    Ok(report(args, build, &machine, &starts, &results, took))
}

/// The machine the figures were taken on.
struct Machine {
    cores: usize,
    cpu: String,
    memory: String,
    load_at_start: String,
    terraform: String,
    commit: String,
    date: String,
}

impl Machine {
    fn now() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or_else(
                || "unknown".into(),
                |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
            );
        let terraform = command_line("terraform", &["version"])
            .lines()
            .next()
            .unwrap_or("terraform: unknown")
            .to_owned();
        let commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            cpu,
            memory,
            load_at_start: load_average(),
            terraform,
            commit: commit.trim().to_owned(),
            date,
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first line a command prints, or an empty string.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Start-to-serving times: exec to the handshake line on stdout, as terraform starts a
/// provider (magic cookie, protocol 6, a client certificate for mTLS).
struct Starts {
    times: Vec<Duration>,
    /// VmHWM of the process right after its handshake, KiB.
    idle_peak_kib: Vec<u64>,
}

fn time_starts(binary: &Path, runs: usize) -> Result<Starts, String> {
    let certificate = client_certificate()?;
    let mut starts = Starts {
        times: Vec::new(),
        idle_peak_kib: Vec::new(),
    };
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &certificate)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let elapsed = started.elapsed();
        let peak = processes::peak_rss_kib(child.id()).unwrap_or(0);
        let _ = child.kill();
        let _ = child.wait();
        match read {
            Ok(_) if line.starts_with("1|6|tcp|") => {
                starts.times.push(elapsed);
                starts.idle_peak_kib.push(peak);
            }
            _ => return Err(format!("the provider printed no handshake line: {line:?}")),
        }
    }
    Ok(starts)
}

/// A self-signed client certificate (PEM), as go-plugin makes for AutoMTLS.
fn client_certificate() -> Result<String, String> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::BasicConstraints;
    use openssl::x509::{X509Builder, X509NameBuilder};
    let make = || -> Result<String, openssl::error::ErrorStack> {
        let group = EcGroup::from_curve_name(Nid::SECP521R1)?;
        let key = PKey::from_ec_key(EcKey::generate(&group)?)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("O", "HashiCorp")?;
        name.append_entry_by_text("CN", "localhost")?;
        let name = name.build();
        let mut builder = X509Builder::new()?;
        builder.set_version(2)?;
        let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_pubkey(&key)?;
        let (not_before, not_after) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(1)?);
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        builder.sign(&key, MessageDigest::sha512())?;
        let pem = builder.build().to_pem()?;
        Ok(String::from_utf8_lossy(&pem).into_owned())
    };
    make().map_err(|err| format!("cannot make a client certificate: {err}"))
}

/// The environment that points the provider at `sandbox`.
fn environment(sandbox: &Sandbox) -> Vec<(String, String)> {
    let seed = sandbox.seed();
    let url = sandbox.url();
    [
        ("EXPEL_GRAPH_ENDPOINT", url.clone()),
        ("AZURE_AUTHORITY_HOST", url.clone()),
        ("EXPEL_WORKBENCH_URL", url),
        ("EXPEL_API_KEY", seed.api_key.clone()),
        ("ARM_USE_CLI", "false".to_owned()),
        ("ARM_TENANT_ID", seed.tenant_id.clone()),
        ("ARM_CLIENT_ID", seed.client_id.clone()),
        ("ARM_CLIENT_SECRET", seed.client_secret.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

const PROVIDER_BLOCK: &str = "provider \"expel\" {}\n";

/// An HCL list of strings.
fn hcl_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("{:?}", i.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// The configuration of a workload over `principals` (roles, grants) or `size` names.
fn configuration(kind: Kind, size: usize, principals: &[ExtraPrincipal]) -> String {
    match kind {
        Kind::Roles => {
            let ids: Vec<&str> = principals
                .iter()
                .map(|p| p.service_principal_id.as_str())
                .collect();
            format!(
                "{PROVIDER_BLOCK}\nresource \"expel_role_assignment\" \"bench\" {{\n  for_each     = toset({})\n  principal_id = each.key\n  role         = \"User Administrator\"\n}}\n",
                hcl_list(&ids)
            )
        }
        Kind::Grants => {
            let ids: Vec<&str> = principals.iter().map(|p| p.client_id.as_str()).collect();
            format!(
                "{PROVIDER_BLOCK}\nresource \"expel_remediation_permissions\" \"bench\" {{\n  for_each    = toset({})\n  client_id   = each.key\n  remediation = \"reset_credentials\"\n}}\n",
                hcl_list(&ids)
            )
        }
        Kind::Lists => {
            let names: Vec<String> = (0..size).map(|n| format!("bench-{n:04}")).collect();
            format!(
                "{PROVIDER_BLOCK}\nresource \"expel_context_list\" \"bench\" {{\n  for_each     = toset({})\n  name         = each.key\n  context_type = \"username\"\n  values       = [\"svc-${{each.key}}\", \"breakglass-${{each.key}}\"]\n}}\n",
                hcl_list(&names)
            )
        }
        Kind::BigList => format!(
            "{PROVIDER_BLOCK}\nresource \"expel_context_list\" \"bench\" {{\n  name         = \"Never reset\"\n  context_type = \"email_address\"\n  values       = {}\n}}\n",
            hcl_list(&big_values(size))
        ),
    }
}

fn big_values(count: usize) -> Vec<String> {
    (0..count)
        .map(|n| format!("user{n:05}@contoso.com"))
        .collect()
}

/// Applies, plans and destroys one workload against a fresh sandbox.
fn workload(
    args: &Args,
    mirror: &Path,
    kind: Kind,
    size: usize,
    latency_ms: u64,
) -> Result<Run, String> {
    let sandbox = Sandbox::start(SandboxConfig {
        faults: Faults {
            latency_ms: (latency_ms, latency_ms),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .map_err(|err| format!("cannot start the sandbox: {err}"))?;
    let principals = match kind {
        Kind::Roles | Kind::Grants => sandbox.with_world(|w| w.add_service_principals(size)),
        Kind::Lists | Kind::BigList => Vec::new(),
    };
    let workspace = Workspace::with_mirror(environment(&sandbox), mirror);
    workspace.config(&configuration(kind, size, &principals));
    let label = format!("{kind:?}-{size}-{latency_ms}ms").to_lowercase();
    let phases = lifecycle(args, &workspace, Some(&sandbox), Some(&label))?;
    Ok(Run {
        kind: Some(kind),
        size,
        latency_ms,
        phases,
    })
}

/// terraform's floor: `size` `terraform_data` resources.
fn floor(args: &Args, mirror: &Path, size: usize) -> Result<Run, String> {
    let workspace = Workspace::with_mirror(Vec::new(), mirror);
    let keys: Vec<String> = (0..size).map(|n| format!("bench-{n:04}")).collect();
    workspace.config(&format!(
        "resource \"terraform_data\" \"bench\" {{\n  for_each = toset({})\n  input    = each.key\n}}\n",
        hcl_list(&keys)
    ));
    Ok(Run {
        kind: None,
        size,
        latency_ms: 0,
        phases: lifecycle(args, &workspace, None, None)?,
    })
}

/// The floor of the big list: one `terraform_data` holding the same values as a list, or
/// (`as_set`) as a set, which terraform core checks as it checks the provider's set.
fn big_floor(args: &Args, mirror: &Path, values: usize, as_set: bool) -> Result<Run, String> {
    let workspace = Workspace::with_mirror(Vec::new(), mirror);
    let list = hcl_list(&big_values(values));
    let input = if as_set {
        format!("toset({list})")
    } else {
        list
    };
    workspace.config(&format!(
        "resource \"terraform_data\" \"bench\" {{\n  input = {input}\n}}\n"
    ));
    Ok(Run {
        kind: None,
        size: values,
        latency_ms: u64::from(as_set),
        phases: lifecycle(args, &workspace, None, None)?,
    })
}

/// init (not timed), then apply, a no-change plan and destroy, each timed.
fn lifecycle(
    args: &Args,
    workspace: &Workspace,
    sandbox: Option<&Sandbox>,
    label: Option<&str>,
) -> Result<BTreeMap<Phase, Measured>, String> {
    let init = workspace.run(&["init", "-no-color", "-input=false"]);
    if init.code != 0 {
        return Err(format!("terraform init failed:\n{}", init.text()));
    }
    let parallelism = format!("-parallelism={}", args.parallelism);
    let mut phases = BTreeMap::new();
    for phase in Phase::ALL {
        let (command, expected) = match phase {
            Phase::Apply => (vec!["apply", "-auto-approve", "-compact-warnings"], 0),
            // -detailed-exitcode: 0 is an empty plan, 2 a plan with changes (a bug here).
            Phase::Plan => (vec!["plan", "-detailed-exitcode"], 0),
            Phase::Destroy => (vec!["destroy", "-auto-approve", "-compact-warnings"], 0),
        };
        let mut command = command;
        command.extend(["-no-color", "-input=false", parallelism.as_str()]);
        let measured = measure(workspace, &command, sandbox, expected)?;
        eprintln!(
            "expel-bench:   {} {:.2} s wall, CPU {:.2} s (provider {:.2} s)",
            phase.name(),
            measured.wall.as_secs_f64(),
            measured.cpu_all.as_secs_f64(),
            measured.cpu_provider.as_secs_f64()
        );
        if let (Some(dir), Some(label)) = (&args.timelines, label) {
            write_timeline(
                dir,
                &format!("{label}-{}", phase.name()),
                &measured.timeline,
            )
            .map_err(|err| format!("cannot write a timeline into {}: {err}", dir.display()))?;
        }
        phases.insert(phase, measured);
    }
    Ok(phases)
}

/// Writes `timeline` as `arrived_ms,answered_ms,route` lines, times from its first arrival.
fn write_timeline(dir: &Path, name: &str, timeline: &[Timing]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let Some(first) = timeline.iter().map(|t| t.arrived).min() else {
        return Ok(());
    };
    let mut text = String::from("arrived_ms,answered_ms,route\n");
    for t in timeline {
        let _ = writeln!(
            text,
            "{:.1},{:.1},{}",
            (t.arrived - first).as_secs_f64() * 1000.0,
            (t.answered - first).as_secs_f64() * 1000.0,
            t.route
        );
    }
    std::fs::write(dir.join(format!("{name}.csv")), text)
}

/// CPU used by this process's reaped children so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Runs one terraform command, timed, watching its provider processes.
fn measure(
    workspace: &Workspace,
    command: &[&str],
    sandbox: Option<&Sandbox>,
    expected: i32,
) -> Result<Measured, String> {
    if let Some(sandbox) = sandbox {
        sandbox.reset_stats();
    }
    let cpu_before = children_cpu();
    let started = Instant::now();
    let mut child = workspace.spawn(command);
    let watch = ProviderWatch::start(child.id(), Duration::from_millis(10));
    let status = child
        .wait()
        .map_err(|err| format!("waiting for terraform: {err}"))?;
    let wall = started.elapsed();
    let watched = watch.finish_watched();
    let cpu_all = children_cpu().saturating_sub(cpu_before);
    if status.code() != Some(expected) {
        let mut output = workspace.spawned_output();
        if output.len() > 20_000 {
            output = format!("…{}", &output[output.len() - 20_000..]);
        }
        return Err(format!(
            "terraform {} exited with {status} (expected {expected}):\n{output}",
            command.join(" ")
        ));
    }
    let (stats, timeline) = sandbox.map_or_else(Default::default, |s| (s.stats(), s.timeline()));
    Ok(Measured {
        wall,
        cpu_all,
        cpu_provider: watched.cpu.values().sum(),
        stats,
        timeline,
        peaks: watched.peaks,
        started: Some(started),
    })
}

fn seconds(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn ratio(ours: Duration, floor: Duration) -> String {
    if floor.is_zero() {
        return "–".into();
    }
    format!("{:.2}×", ours.as_secs_f64() / floor.as_secs_f64())
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// The floor plus the round trips the phase cannot avoid: its requests × latency ÷ parallelism.
fn floor_plus_round_trips(
    floor: Duration,
    measured: &Measured,
    latency_ms: u64,
    p: usize,
) -> Duration {
    let requests = measured.stats.total() as f64;
    floor + Duration::from_secs_f64(requests * latency_ms as f64 / 1000.0 / p.max(1) as f64)
}

fn report(
    args: &Args,
    build: Build,
    machine: &Machine,
    starts: &Starts,
    results: &Results,
    took: Duration,
) -> String {
    let (runs, big, readiness) = (&results.runs, &results.big, &results.readiness);
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "## Results\n");
    let _ = writeln!(
        w,
        "Taken {} at commit `{}` by `expel-bench{}` in {:.0} s: provider **{}** for every figure (times, memory, start), terraform's `-parallelism={}`.\n",
        machine.date,
        machine.commit,
        if args.quick { " --quick" } else { "" },
        took.as_secs_f64(),
        args.provider.as_ref().map_or_else(
            || format!("{} build", build.name()),
            |p| format!("binary {}", p.display())
        ),
        args.parallelism,
    );
    let _ = writeln!(
        w,
        "Machine: {} cores ({}), {} memory, load average at start {} and at end {}; {}.\n",
        machine.cores,
        machine.cpu,
        machine.memory,
        machine.load_at_start,
        load_average(),
        machine.terraform,
    );

    let _ = writeln!(w, "### Start to serving\n");
    let kib = starts.idle_peak_kib.iter().copied().max().unwrap_or(0);
    let min = starts.times.iter().min().copied().unwrap_or_default();
    let max = starts.times.iter().max().copied().unwrap_or_default();
    let _ = writeln!(
        w,
        "From exec to the handshake line on stdout, started as terraform starts it (magic cookie, protocol 6, a client certificate for mTLS), {} starts: median **{:.1} ms** (min {:.1}, max {:.1}); peak RSS at that point {:.1} MiB.\n",
        starts.times.len(),
        median(&starts.times).as_secs_f64() * 1000.0,
        min.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0,
        kib as f64 / 1024.0,
    );

    let _ = writeln!(w, "### Wall time against terraform's floor\n");
    let _ = writeln!(
        w,
        "Seconds, and the ratio to the same N of `terraform_data` (the floor, measured in this run). At 50 ms, `vs RT` is the ratio to the floor plus the phase's requests × 50 ms ÷ {} (its round trips at full parallelism). `in flight` is the mean (and highest) number of requests the sandbox was serving at once between the phase's first request and its last answer, and how long terraform ran before the first request and after the last answer. Requests are per resource, shared lookups included, token requests apart (see the next tables).\n",
        args.parallelism
    );
    let _ = writeln!(
        w,
        "| workload | N | latency | apply s | ×floor | vs RT | in flight | plan s | ×floor | vs RT | in flight | destroy s | ×floor | vs RT | in flight | requests / resource (apply, plan, destroy) |"
    );
    let _ = writeln!(
        w,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let floors: BTreeMap<usize, &Run> = runs
        .iter()
        .filter(|r| r.kind.is_none())
        .map(|r| (r.size, r))
        .collect();
    for run in runs.iter().filter(|r| r.kind.is_some()) {
        let Some(floor) = floors.get(&run.size) else {
            continue;
        };
        let _ = writeln!(w, "{}", time_row(args, run, floor));
    }
    if let Some(floor) = big.iter().find(|r| r.kind.is_none() && r.latency_ms == 0) {
        for run in big.iter().filter(|r| r.kind.is_some()) {
            let _ = writeln!(w, "{}", time_row(args, run, floor));
        }
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "### Readiness data source\n");
    let _ = writeln!(
        w,
        "One `expel_remediation_readiness` for Reset Credentials, read by a no-change plan, on a tenant of {} users (every tenth without MFA) with an \"Always reset\" list of {} of them; the provider's identity may run every check.\n",
        args.readiness_users, args.readiness_members
    );
    let _ = writeln!(
        w,
        "| latency | plan s | Graph requests | of them `$batch` | registration report pages | token requests | Workbench requests |"
    );
    let _ = writeln!(w, "|---:|---:|---:|---:|---:|---:|---:|");
    for run in readiness {
        let stats = &run.plan.stats;
        let _ = writeln!(
            w,
            "| {} ms | {} | {} | {} | {} | {} | {} |",
            run.latency_ms,
            seconds(run.plan.wall),
            stats.graph_total(),
            stats.count("POST /v1.0/$batch"),
            stats.count("GET /v1.0/reports/authenticationMethods/userRegistrationDetails"),
            stats.count(TOKEN_ROUTE),
            stats.workbench_total(),
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "### Floor\n");
    let _ = writeln!(w, "| floor | N | apply s | plan s | destroy s |");
    let _ = writeln!(w, "|---|---:|---:|---:|---:|");
    for run in runs.iter().chain(big).filter(|r| r.kind.is_none()) {
        let what = if !big.iter().any(|b| std::ptr::eq(b, run)) {
            "`terraform_data`"
        } else if run.latency_ms == 1 {
            "one `terraform_data` holding the big list's values as a set (`toset`)"
        } else {
            "one `terraform_data` holding the big list's values as a list"
        };
        let _ = writeln!(
            w,
            "| {what} | {} | {} | {} | {} |",
            run.size,
            seconds(run.phases[&Phase::Apply].wall),
            seconds(run.phases[&Phase::Plan].wall),
            seconds(run.phases[&Phase::Destroy].wall),
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "### Provider processes, tokens and memory\n");
    let _ = writeln!(
        w,
        "Per command: provider processes terraform started (seen in /proc), of them those that called Graph (distinct access tokens on Graph requests), token requests, and the highest peak RSS (VmHWM) of any provider process.\n"
    );
    let _ = writeln!(
        w,
        "| workload | N | latency | apply: processes / Graph callers / tokens / peak MiB | plan | destroy |"
    );
    let _ = writeln!(w, "|---|---:|---:|---|---|---|");
    for run in runs.iter().chain(big).filter(|r| r.kind.is_some()) {
        let cells: Vec<String> = Phase::ALL
            .iter()
            .map(|p| {
                let m = &run.phases[p];
                format!(
                    "{} / {} / {} / {:.1}",
                    m.provider_processes(),
                    m.graph_callers(),
                    m.tokens(),
                    m.peak_kib() as f64 / 1024.0
                )
            })
            .collect();
        let _ = writeln!(
            w,
            "| {} | {} | {} ms | {} |",
            run.kind.map_or("", Kind::title),
            run.size,
            run.latency_ms,
            cells.join(" | ")
        );
    }
    let _ = writeln!(w);

    let _ = writeln!(w, "### Requests per resource by route\n");
    let _ = writeln!(
        w,
        "At the largest N and 0 ms (at 50 ms they are the same: no faults, no retries). Shared lookups show as small fractions.\n"
    );
    let _ = writeln!(w, "| workload | N | command | route | per resource |");
    let _ = writeln!(w, "|---|---:|---|---|---:|");
    let largest = args.sizes.iter().copied().max().unwrap_or(0);
    let first_latency = args.latencies.first().copied().unwrap_or(0);
    for run in runs
        .iter()
        .filter(|r| r.kind.is_some() && r.size == largest && r.latency_ms == first_latency)
        .chain(
            big.iter()
                .filter(|r| r.kind.is_some() && r.latency_ms == first_latency),
        )
    {
        let resources = if run.kind == Some(Kind::BigList) {
            1
        } else {
            run.size
        };
        for phase in Phase::ALL {
            for (route, count) in &run.phases[&phase].stats.requests {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | `{route}` | {:.3} |",
                    run.kind.map_or("", Kind::title),
                    run.size,
                    phase.name(),
                    *count as f64 / resources as f64
                );
            }
        }
    }
    let _ = writeln!(w);

    if !big.is_empty() {
        let _ = writeln!(w, "### Terraform core's share of the big list\n");
        let _ = writeln!(
            w,
            "CPU seconds of terraform and the processes it started (from the kernel's accounting of reaped children), of the provider processes (sampled from /proc every 10 ms, so a little low), and terraform itself (the difference).\n"
        );
        let _ = writeln!(
            w,
            "| what | values | latency | command | wall s | CPU all s | provider CPU s | terraform CPU s |"
        );
        let _ = writeln!(w, "|---|---:|---|---|---:|---:|---:|---:|");
        for run in big {
            for phase in Phase::ALL {
                let m = &run.phases[&phase];
                let what = match (run.kind, run.latency_ms) {
                    (Some(kind), _) => kind.title(),
                    (None, 1) => "floor: `terraform_data`, values as a set",
                    (None, _) => "floor: `terraform_data`, values as a list",
                };
                let latency = if run.kind.is_some() {
                    format!("{} ms", run.latency_ms)
                } else {
                    "–".to_owned()
                };
                let _ = writeln!(
                    w,
                    "| {what} | {} | {latency} | {} | {} | {} | {} | {} |",
                    run.size,
                    phase.name(),
                    seconds(m.wall),
                    seconds(m.cpu_all),
                    seconds(m.cpu_provider),
                    seconds(m.cpu_all.saturating_sub(m.cpu_provider)),
                );
            }
        }
        let _ = writeln!(w);
    }
    out
}

fn time_row(args: &Args, run: &Run, floor: &Run) -> String {
    let resources = if run.kind == Some(Kind::BigList) {
        1
    } else {
        run.size
    };
    let mut cells = vec![
        run.kind.map_or("", Kind::title).to_owned(),
        run.size.to_string(),
        format!("{} ms", run.latency_ms),
    ];
    let mut per_resource = Vec::new();
    for phase in Phase::ALL {
        let ours = &run.phases[&phase];
        let base = floor.phases[&phase].wall;
        cells.push(seconds(ours.wall));
        cells.push(ratio(ours.wall, base));
        cells.push(if run.latency_ms > 0 {
            ratio(
                ours.wall,
                floor_plus_round_trips(base, ours, run.latency_ms, args.parallelism),
            )
        } else {
            "–".into()
        });
        let (mean, max) = ours.in_flight();
        let edges = ours
            .before_and_after_requests()
            .map_or_else(String::new, |(before, after)| {
                format!("; {before:.2} s before, {after:.2} s after")
            });
        cells.push(format!("{mean:.1} ({max}){edges}"));
        per_resource.push(format!(
            "{:.2}",
            ours.api_requests() as f64 / resources as f64
        ));
    }
    cells.push(per_resource.join(", "));
    format!("| {} |", cells.join(" | "))
}

/// Everything one run of the benchmark measured.
struct Results {
    /// The workloads at each size and latency, and their floors.
    runs: Vec<Run>,
    /// The big list and its floors.
    big: Vec<Run>,
    /// The readiness data source at each latency.
    readiness: Vec<ReadinessRun>,
}

/// One read of `expel_remediation_readiness` for Reset Credentials: a no-change plan (which
/// reads the data source) against a tenant of `--readiness-users` users, every tenth without
/// MFA, and an "Always reset" list of `--readiness-members` of them.
struct ReadinessRun {
    latency_ms: u64,
    plan: Measured,
}

/// Seeds the tenant, applies the configuration (reads only; nothing to create) and times the
/// no-change plan that reads the data source again.
fn readiness_check(args: &Args, mirror: &Path, latency_ms: u64) -> Result<ReadinessRun, String> {
    let sandbox = Sandbox::start(SandboxConfig {
        faults: Faults {
            latency_ms: (latency_ms, latency_ms),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .map_err(|err| format!("cannot start the sandbox: {err}"))?;
    let seed = sandbox.seed().clone();
    let members: Vec<String> = (0..args.readiness_members)
        .map(|n| format!("user{:05}@contoso.com", n * 7 % args.readiness_users.max(1)))
        .collect();
    let list_id = uuid::Uuid::new_v4().to_string();
    sandbox.with_world(|world| {
        // The provider's identity may run every check.
        for permission in [
            "User.Read.All",
            "AuditLog.Read.All",
            "GroupMember.Read.All",
            "Organization.Read.All",
        ] {
            world.seed_grant(&seed.provider_service_principal_id, permission);
        }
        world.directory.add_bulk_users(args.readiness_users, 10);
        let attributes = serde_json::json!({
            "name": "Always reset",
            "context_type": "username",
            "value_type": "string",
            "is_array": true,
            "value": members,
        });
        world.context_variables.push(ContextVariable {
            id: list_id.clone(),
            organization_id: seed.organization_id.clone(),
            attributes: attributes.as_object().cloned().unwrap_or_default(),
        });
    });
    let workspace = Workspace::with_mirror(environment(&sandbox), mirror);
    workspace.config(&format!(
        "provider \"expel\" {{}}\n\ndata \"expel_remediation_readiness\" \"reset\" {{\n  remediation     = \"reset_credentials\"\n  client_id       = \"{}\"\n  always_list_ids = [\"{list_id}\"]\n}}\n\noutput \"users_without_mfa_count\" {{\n  value = data.expel_remediation_readiness.reset.users_without_mfa_count\n}}\n",
        seed.expel_app_client_id
    ));
    let init = workspace.run(&["init", "-no-color", "-input=false"]);
    if init.code != 0 {
        return Err(format!("terraform init failed:\n{}", init.text()));
    }
    let parallelism = format!("-parallelism={}", args.parallelism);
    let apply = [
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        parallelism.as_str(),
    ];
    measure(&workspace, &apply, Some(&sandbox), 0)?;
    let plan = [
        "plan",
        "-detailed-exitcode",
        "-no-color",
        "-input=false",
        parallelism.as_str(),
    ];
    let plan = measure(&workspace, &plan, Some(&sandbox), 0)?;
    eprintln!(
        "expel-bench:   plan {:.2} s wall, {} Graph requests",
        plan.wall.as_secs_f64(),
        plan.stats.graph_total()
    );
    Ok(ReadinessRun { latency_ms, plan })
}

/// Replaces the text between the markers in `path` with `report` (or writes a new file).
fn write_report(path: &Path, report: &str) -> std::io::Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(BEGIN), existing.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{BEGIN}\n{report}{END}{}",
            &existing[..begin],
            &existing[end + END.len()..]
        ),
        _ => format!("# Benchmarks\n\nWritten by `make bench`.\n\n{BEGIN}\n{report}{END}\n"),
    };
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(arrived_ms: u64, answered_ms: u64, origin: Instant) -> Timing {
        Timing {
            route: "GET /v1.0/x".into(),
            arrived: origin + Duration::from_millis(arrived_ms),
            answered: origin + Duration::from_millis(answered_ms),
            caller: 1,
        }
    }

    #[test]
    fn in_flight_is_the_mean_and_the_highest_overlap() {
        let origin = Instant::now();
        let measured = Measured {
            timeline: vec![
                timing(0, 100, origin),
                timing(0, 100, origin),
                timing(100, 200, origin),
            ],
            ..Measured::default()
        };
        let (mean, max) = measured.in_flight();
        assert!((mean - 1.5).abs() < 1e-9, "{mean}");
        assert_eq!(max, 2);
    }

    #[test]
    fn the_report_replaces_only_the_text_between_the_markers() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("BENCHMARKS.md");
        std::fs::write(&path, format!("intro\n{BEGIN}\nold\n{END}\noutro\n")).unwrap();
        write_report(&path, "new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("intro\n{BEGIN}\nnew\n{END}\noutro\n")
        );
    }

    #[test]
    fn a_file_without_markers_gets_a_new_report() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("BENCHMARKS.md");
        write_report(&path, "new\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("{BEGIN}\nnew\n{END}")), "{text}");
    }

    #[test]
    fn the_round_trips_are_the_requests_at_full_parallelism() {
        let mut stats = Stats::default();
        stats.requests.insert("GET /v1.0/x".into(), 200);
        let measured = Measured {
            stats,
            ..Measured::default()
        };
        let total = floor_plus_round_trips(Duration::from_secs(1), &measured, 50, 10);
        assert_eq!(total, Duration::from_secs(2));
    }
}
