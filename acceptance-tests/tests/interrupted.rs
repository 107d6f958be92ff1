//! Interrupted applies: `terraform apply` of 30 resources across both remediations is killed
//! with SIGINT or SIGKILL at random points, several times over; the next apply converges, the
//! plan is then empty, and the sandbox holds exactly what the configuration describes — no
//! duplicate and nothing orphaned — until destroy removes all of it.
//!
//! The kill delays come from a seed printed at the start of each test: set
//! `EXPEL_INTERRUPT_SEED` to replay them (sandbox latency stays random, so a replay is close,
//! not exact).

mod common;

use std::collections::BTreeSet;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{assert_tenant_clean, assert_tenant_matches, orphans, Tenant, Tracked};
use expel_acceptance_tests::harness::processes::{self, ProviderWatch};
use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::{Faults, SandboxConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How a round interrupts terraform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// SIGINT to terraform alone (`kill -INT <pid>`).
    Interrupt,
    /// SIGINT to terraform and its providers (a terminal's Ctrl-C).
    InterruptGroup,
    /// SIGKILL to terraform alone; its providers are then killed too if they linger.
    Kill,
}

/// What one interrupted apply came to.
struct Round {
    /// The apply ended by itself before the kill was due.
    finished_first: bool,
    /// It exited 0.
    succeeded: bool,
}

/// One round: starts `terraform apply`, kills it `delay` after it began creating objects,
/// waits for it to end, and ends providers that outlive a SIGKILLed terraform.
fn interrupted_apply(workspace: &Workspace, round: usize, stop: Stop, delay: Duration) -> Round {
    let started = Instant::now();
    let mut child = workspace.spawn(&["apply", "-no-color", "-input=false", "-auto-approve"]);
    let pid = child.id();
    let watch = ProviderWatch::start(pid, Duration::from_millis(20));
    let creating = wait_for(&mut child, || {
        workspace.spawned_output().contains("Creating...")
    });
    let finished_first = !creating || wait_until(&mut child, Instant::now() + delay);
    if !finished_first {
        // Catch providers started since the last sample: after a SIGKILL they are orphans.
        watch.sample_now(pid);
        match stop {
            Stop::Interrupt => processes::signal(pid, "INT"),
            Stop::InterruptGroup => processes::signal_group(pid, "INT"),
            Stop::Kill => processes::signal(pid, "KILL"),
        };
    }
    let status = child.wait().expect("wait for terraform");
    let ended = started.elapsed();
    assert!(
        !finished_first || status.success(),
        "round {round}: the apply failed before it was interrupted:\n{}",
        workspace.spawned_output()
    );
    let providers = watch.finish();
    // Reparented providers of a killed terraform keep running (and may still be writing):
    // end them before anything else touches the tenant.
    std::thread::sleep(Duration::from_millis(200));
    let lingering: Vec<u32> = providers
        .keys()
        .copied()
        .filter(|&p| processes::is_running_provider(p))
        .collect();
    for &p in &lingering {
        processes::signal(p, "KILL");
    }
    let output = workspace.spawned_output();
    println!(
        "round {round}: {stop:?} {delay:?} after the first \"Creating...\" ({}); terraform ended after {ended:?}: {status}; {} provider process(es), {} outlived terraform; lock info file left: {}; terraform said: {:?}",
        if finished_first { "the apply had already finished" } else { "mid-apply" },
        providers.len(),
        lingering.len(),
        workspace.path().join(".terraform.tfstate.lock.info").exists(),
        notable_lines(&output),
    );
    assert!(
        !output.contains("Error acquiring the state lock"),
        "round {round}: a killed run left the state locked:\n{output}"
    );
    workspace.spawned_outcome(status).assert_no_backtrace();
    if stop != Stop::Kill {
        assert!(
            lingering.is_empty(),
            "round {round}: providers {lingering:?} outlived a terraform that stopped gracefully"
        );
        // Terraform lets what is in flight finish, records it and then stops its providers; a
        // provider that dies at the signal fails the apply it was serving instead. (A later
        // call refused after StopProvider, say ValidateResourceConfig, is tf-provider's doing
        // and loses nothing.)
        assert!(
            !(output.contains("Plugin did not respond") && output.contains("ApplyResourceChange")),
            "round {round}: the provider died at the interrupt:\n{output}"
        );
    }
    Round {
        finished_first,
        succeeded: status.success(),
    }
}

/// Error and interrupt lines of terraform's output, each once with its count.
fn notable_lines(output: &str) -> Vec<(String, usize)> {
    let mut notable: Vec<(String, usize)> = Vec::new();
    for line in output.lines().map(str::trim) {
        let wanted = line.starts_with("Error")
            || line.contains("Interrupt received")
            || line.contains("Stopping operation")
            || line.contains("rpc error")
            || line.contains("plugin");
        if !wanted {
            continue;
        }
        match notable.iter_mut().find(|(l, _)| l == line) {
            Some((_, count)) => *count += 1,
            None => notable.push((line.to_owned(), 1)),
        }
    }
    notable
}

/// Waits until `ready` holds (true) or `child` exits (false).
fn wait_for(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    loop {
        if ready() {
            return true;
        }
        if child.try_wait().expect("poll terraform").is_some() {
            return ready();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` until `deadline`; true when it exited by itself first.
fn wait_until(child: &mut Child, deadline: Instant) -> bool {
    loop {
        if child.try_wait().expect("poll terraform").is_some() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn seeded_rng(test: &str) -> StdRng {
    let seed = std::env::var("EXPEL_INTERRUPT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen::<u64>());
    println!("{test}: kill delays from seed {seed} (replay with EXPEL_INTERRUPT_SEED={seed})");
    StdRng::seed_from_u64(seed)
}

/// The sandbox of these tests: latency keeps several requests in flight whenever a kill
/// lands, and lost answers (the request is carried out, the answer dropped, the provider
/// retries after a backoff) leave created objects unknown to terraform for a while, so that
/// a SIGKILL can orphan them, the hard case.
fn rounds_faults() -> Faults {
    Faults {
        latency_ms: (50, 200),
        reset_percent: 15,
        ..Faults::default()
    }
}

/// Interrupts applies (`stops` in turn; SIGKILL rounds go on, up to `max_rounds`, until one
/// left an orphan), then applies for real, checks the tenant, and destroys.
fn interrupt_then_converge(test: &str, stops: &[Stop], max_rounds: usize) {
    let target = Target::from_env_with(SandboxConfig {
        faults: rounds_faults(),
        ..SandboxConfig::default()
    });
    let Some(sandbox) =
        target.sandbox_only("injects lost answers and counts orphans in the sandbox")
    else {
        return;
    };
    // 3 custom apps and the Expel app (4 resources each) and 14 lists: 30 resources.
    let tenant = Tenant::prepare(sandbox, 2, "Interrupted", 14);
    assert_eq!(tenant.resource_count(), 30);
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&tenant.configuration());
    workspace.init();
    let clock = Instant::now();
    let mut rng = seeded_rng(test);
    let mut orphaned = BTreeSet::new();
    let mut round = 0;
    while round < stops.len()
        || (stops.contains(&Stop::Kill) && orphaned.is_empty() && round < max_rounds)
    {
        let stop = stops[round % stops.len()];
        let delay = Duration::from_millis(rng.gen_range(300..=1_500));
        let outcome = interrupted_apply(&workspace, round, stop, delay);
        let tracked = Tracked::of(&workspace);
        let left = orphans(sandbox, &tenant, &tracked);
        println!(
            "  terraform state tracks {} of {} resources; orphans for the next apply to adopt: {left:?}",
            tracked.resources,
            tenant.resource_count()
        );
        if stop != Stop::Kill && !outcome.finished_first {
            assert!(
                left.is_empty(),
                "round {round}: terraform stopped gracefully yet lost track of {left:?}"
            );
        }
        orphaned.extend(left);
        if outcome.finished_first || outcome.succeeded {
            // Nothing left to interrupt: start the next round from an empty tenant again.
            workspace.destroy();
            println!("  (destroyed, so that the next round creates everything again)");
        }
        round += 1;
    }
    println!(
        "{test}: {round} rounds in {:?} left {} distinct orphan(s) in all",
        clock.elapsed(),
        orphaned.len()
    );
    if stops.contains(&Stop::Kill) {
        assert!(
            !orphaned.is_empty(),
            "no SIGKILL round caught an object between its creation and terraform's state"
        );
    }

    // Converge without faults: what is tested is recovery from the kills.
    sandbox.set_faults(Faults {
        latency_ms: (50, 200),
        ..Faults::default()
    });
    let started = Instant::now();
    workspace.apply();
    println!("{test}: the converging apply took {:?}", started.elapsed());
    workspace.assert_plan_empty();
    assert_tenant_matches(sandbox, &tenant, &workspace);

    workspace.destroy();
    assert_tenant_clean(sandbox, &tenant);
    println!("{test}: done after {:?}", clock.elapsed());
}

#[test]
fn applies_interrupted_with_sigint_converge_on_the_next_apply() {
    interrupt_then_converge(
        "sigint",
        &[
            Stop::Interrupt,
            Stop::InterruptGroup,
            Stop::Interrupt,
            Stop::InterruptGroup,
        ],
        4,
    );
}

#[test]
fn applies_killed_with_sigkill_converge_on_the_next_apply() {
    interrupt_then_converge("sigkill", &[Stop::Kill; 4], 10);
}
