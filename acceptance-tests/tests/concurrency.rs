//! Concurrency: 52 resources across both remediations — four custom apps whose
//! `requiredResourceAccess` two resources each edit at the same time, the Expel app, and 32
//! context lists — applied with `-parallelism=20` against a sandbox with latency. No update
//! is lost, nothing is duplicated, the plan is empty afterwards, destroy leaves nothing, and
//! the provider's memory stays bounded.

mod common;

use std::time::{Duration, Instant};

use common::{assert_tenant_clean, assert_tenant_matches, Tenant};
use expel_acceptance_tests::harness::processes::{self, ProviderWatch};
use expel_acceptance_tests::harness::{Credentials, Target, Workspace};
use expel_acceptance_tests::sandbox::{Faults, SandboxConfig};

/// The most resident memory one provider process may reach during the apply. Measured peaks
/// are about 25 MiB (debug build) at parallelism 20 — a tokio runtime, one HTTP client per API
/// and twenty operations in flight, each holding a few KiB of JSON. Six times that still catches
/// what would matter: memory growing with the number of resources or requests (a leak, or
/// every page or response kept) rather than with the operations in flight.
const PEAK_RSS_LIMIT_MIB: u64 = 150;

#[test]
fn fifty_two_resources_at_parallelism_twenty_lose_no_update_and_duplicate_nothing() {
    let target = Target::from_env_with(SandboxConfig {
        faults: Faults {
            latency_ms: (50, 150),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let Some(sandbox) = target.sandbox_only("injects latency and counts objects in the sandbox")
    else {
        return;
    };
    // 4 custom apps and the Expel app (4 resources each) and 32 lists: 52 resources.
    let tenant = Tenant::prepare(sandbox, 3, "Concurrent", 32);
    assert_eq!(tenant.resource_count(), 52);
    let workspace = Workspace::new(target.environment(Credentials::Secret));
    workspace.config(&tenant.configuration());
    workspace.init();

    let started = Instant::now();
    let mut child = workspace.spawn(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-parallelism=20",
    ]);
    let watch = ProviderWatch::start(child.id(), Duration::from_millis(50));
    let status = child.wait().expect("wait for terraform");
    let peaks = watch.finish();
    let output = workspace.spawned_output();
    assert!(status.success(), "apply failed ({status}):\n{output}");
    workspace.spawned_outcome(status).assert_no_backtrace();
    println!(
        "apply of {} resources at parallelism 20 took {:?}",
        tenant.resource_count(),
        started.elapsed()
    );

    if processes::proc_available() {
        let peak_kib = peaks.values().copied().max().unwrap_or(0);
        println!(
            "provider processes and their peak resident memory (VmHWM, KiB): {peaks:?}; highest {:.1} MiB (limit {PEAK_RSS_LIMIT_MIB} MiB)",
            peak_kib as f64 / 1024.0
        );
        assert!(
            peak_kib > 0,
            "no provider process was seen under terraform: {peaks:?}"
        );
        assert!(
            peak_kib < PEAK_RSS_LIMIT_MIB * 1024,
            "a provider process peaked at {peak_kib} KiB: {peaks:?}"
        );
    }

    workspace.assert_plan_empty();
    // Every custom app holds both remediations' declarations (no lost update), each object
    // exists once and is the one the state tracks.
    assert_tenant_matches(sandbox, &tenant, &workspace);
    let stats = sandbox.stats();
    assert_eq!(
        stats.count("POST /api/v2/context_variables"),
        32,
        "one create per list: {stats:?}"
    );

    workspace.ok(&[
        "destroy",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-parallelism=20",
    ]);
    assert_tenant_clean(sandbox, &tenant);
}
