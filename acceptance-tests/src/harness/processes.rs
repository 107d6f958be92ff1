//! The `terraform-provider-expel` processes that a terraform run starts, found through
//! `/proc` (Linux only): which ones exist, how much memory they peaked at, and the signals
//! that tests interrupting terraform send. Not a process manager: it only looks and signals.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Whether `/proc` can be read here (false on macOS: the watch then sees nothing).
pub fn proc_available() -> bool {
    Path::new("/proc/self/status").is_file()
}

/// The fields of `/proc/<pid>/stat` after the command name: state is the first, parent pid
/// the second, user and system CPU ticks the 12th and 13th.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself hold spaces or parentheses.
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// `(state, parent pid)` from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(char, u32)> {
    let fields = stat_fields(pid)?;
    let state = fields.first()?.chars().next()?;
    let parent = fields.get(1)?.parse().ok()?;
    Some((state, parent))
}

/// CPU time (user and system) `pid` has used so far, while it lives.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let fields = stat_fields(pid)?;
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).ok().filter(|&t| t > 0)?;
    Some(Duration::from_micros(ticks * 1_000_000 / per_second))
}

/// Whether `pid` is a live (not zombie) `terraform-provider-expel` process.
pub fn is_running_provider(pid: u32) -> bool {
    let Some((state, _)) = stat(pid) else {
        return false;
    };
    if state == 'Z' || state == 'X' {
        return false;
    }
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(exe) => exe
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("terraform-provider-expel")),
        // The kernel truncates the command name to 15 characters.
        Err(_) => std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim_end() == "terraform-provi"),
    }
}

/// Live provider processes whose chain of parents leads to `root`.
pub fn providers_under(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: BTreeMap<u32, u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?.1)))
        .collect();
    let descends = |mut pid: u32| {
        for _ in 0..64 {
            match parents.get(&pid) {
                Some(&parent) if parent == root => return true,
                Some(&parent) if parent > 1 => pid = parent,
                _ => return false,
            }
        }
        false
    };
    parents
        .keys()
        .copied()
        .filter(|&pid| descends(pid) && is_running_provider(pid))
        .collect()
}

/// Peak resident set size (`VmHWM`) of `pid` in KiB, while it lives.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Sends `signal` (a name such as `INT` or `KILL`) to `pid`; false when it is already gone.
pub fn signal(pid: u32, signal: &str) -> bool {
    send(signal, &pid.to_string())
}

/// Sends `signal` to every process of the group `group` (as a terminal's Ctrl-C does).
pub fn signal_group(group: u32, signal: &str) -> bool {
    send(signal, &format!("-{group}"))
}

fn send(signal: &str, target: &str) -> bool {
    Command::new("kill")
        .args(["-s", signal, "--", target])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Watches, in a thread of its own, the provider processes under one terraform process:
/// every one seen, and the highest `VmHWM` read from each.
pub struct ProviderWatch {
    stop: Arc<AtomicBool>,
    peaks: Arc<Mutex<BTreeMap<u32, u64>>>,
    cpu: Arc<Mutex<BTreeMap<u32, Duration>>>,
    thread: Option<JoinHandle<()>>,
}

/// What a [`ProviderWatch`] saw of each provider process, by pid.
#[derive(Clone, Debug, Default)]
pub struct Watched {
    /// Peak resident memory in KiB (0 when it could not be read).
    pub peaks: BTreeMap<u32, u64>,
    /// CPU time used as of the last sample (it may have used a little more before it ended).
    pub cpu: BTreeMap<u32, Duration>,
}

impl ProviderWatch {
    /// Starts sampling the providers under `root` every `interval`.
    pub fn start(root: u32, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peaks = Arc::new(Mutex::new(BTreeMap::new()));
        let cpu = Arc::new(Mutex::new(BTreeMap::new()));
        let thread = {
            let (stop, peaks, cpu) = (stop.clone(), peaks.clone(), cpu.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    sample(root, &peaks, &cpu);
                    std::thread::sleep(interval);
                }
            })
        };
        Self {
            stop,
            peaks,
            cpu,
            thread: Some(thread),
        }
    }

    /// Samples once more now (say, right before a kill).
    pub fn sample_now(&self, root: u32) {
        sample(root, &self.peaks, &self.cpu);
    }

    /// Peak resident memory in KiB of each provider process seen so far, by pid (0 when it
    /// was seen but its memory could not be read).
    pub fn peaks(&self) -> BTreeMap<u32, u64> {
        self.peaks.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops sampling and returns [`ProviderWatch::peaks`].
    pub fn finish(mut self) -> BTreeMap<u32, u64> {
        self.halt();
        self.peaks()
    }

    /// Stops sampling and returns the peaks and CPU times seen.
    pub fn finish_watched(mut self) -> Watched {
        self.halt();
        Watched {
            peaks: self.peaks(),
            cpu: self.cpu.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ProviderWatch {
    fn drop(&mut self) {
        self.halt();
    }
}

fn sample(root: u32, peaks: &Mutex<BTreeMap<u32, u64>>, cpu: &Mutex<BTreeMap<u32, Duration>>) {
    for pid in providers_under(root) {
        let rss = peak_rss_kib(pid).unwrap_or(0);
        {
            let mut peaks = peaks.lock().unwrap_or_else(|p| p.into_inner());
            let peak = peaks.entry(pid).or_insert(0);
            *peak = (*peak).max(rss);
        }
        if let Some(used) = cpu_time(pid) {
            let mut cpu = cpu.lock().unwrap_or_else(|p| p.into_inner());
            let seen = cpu.entry(pid).or_default();
            *seen = (*seen).max(used);
        }
    }
}
