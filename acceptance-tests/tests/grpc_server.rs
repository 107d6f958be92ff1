//! The provider's gRPC server answers each call at once: its connections have `TCP_NODELAY`
//! set (tf-provider 0.2.2 does not set it; src/nodelay.rs does, on its listener). Without it,
//! Nagle's algorithm holds a response back while an earlier one is unacknowledged, and
//! terraform's delayed ACK makes concurrent calls finish in lockstep batches (BENCHMARKS.md).
//!
//! Checked on the socket itself, never by timing: the test connects as terraform does, then
//! reads the option of the provider's end of that connection through `pidfd_getfd` (Linux
//! 5.6 or later; elsewhere the test says why it cannot run and passes).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use expel_acceptance_tests::harness::{build_provider, Build};

/// The provider, started as terraform starts it (without mTLS), and killed when dropped.
struct Provider(Child);

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the provider and returns it with the address of its handshake line.
fn start() -> (Provider, String) {
    let mut child = Command::new(build_provider(Build::Debug))
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the provider");
    let stdout = child.stdout.take().expect("the provider's stdout");
    let provider = Provider(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the handshake line");
    // 1|6|tcp|127.0.0.1:PORT|grpc|
    let address = line
        .split('|')
        .nth(3)
        .unwrap_or_else(|| panic!("not a handshake line: {line:?}"))
        .to_owned();
    (provider, address)
}

/// The socket inode of the TCP connection from local port `server` to remote port `client`,
/// as the process `pid` sees it in /proc/<pid>/net/tcp.
fn connection_inode(pid: u32, server: u16, client: u16) -> Option<String> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).ok()?;
    let port = |address: &str| {
        u16::from_str_radix(address.rsplit(':').next().unwrap_or_default(), 16).ok()
    };
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, inode) = (fields.get(1)?, fields.get(2)?, fields.get(9)?);
        (port(local) == Some(server) && port(remote) == Some(client)).then(|| inode.to_string())
    })
}

/// The number of the file descriptor of `pid` that is the socket `inode`.
fn descriptor_of(pid: u32, inode: &str) -> Option<i32> {
    let target = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(Result::ok)
        .find(|entry| {
            std::fs::read_link(entry.path()).is_ok_and(|link| link.to_string_lossy() == target)
        })?
        .file_name()
        .to_str()?
        .parse()
        .ok()
}

/// A duplicate, in this process, of descriptor `fd` of process `pid`.
fn duplicate(pid: u32, fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: plain system calls on integers; each returned descriptor is owned once.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0);
        if pidfd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let copy = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0);
        if copy < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(copy as i32))
    }
}

/// Whether the socket has `TCP_NODELAY` set.
fn nodelay(socket: &OwnedFd) -> std::io::Result<bool> {
    let mut value: libc::c_int = 0;
    let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `length` bytes into `value`.
    let status = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&mut value as *mut libc::c_int).cast(),
            &mut length,
        )
    };
    if status != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(value != 0)
}

#[test]
fn the_grpc_server_sets_tcp_nodelay_on_the_connections_terraform_opens() {
    if !std::path::Path::new("/proc/self/net/tcp").is_file() {
        println!("skipped: needs Linux's /proc to find the provider's end of the connection");
        return;
    }
    let (provider, address) = start();
    let pid = provider.0.id();
    let connection = TcpStream::connect(&address).expect("connect as terraform does");
    let server = connection.peer_addr().expect("server address").port();
    let client = connection.local_addr().expect("client address").port();
    // The provider accepts on its own runtime: give it a moment to.
    let started = Instant::now();
    let fd = loop {
        let found = connection_inode(pid, server, client).and_then(|i| descriptor_of(pid, &i));
        if let Some(fd) = found {
            break fd;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the provider did not accept the connection to {address}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let socket = match duplicate(pid, fd) {
        Ok(socket) => socket,
        Err(err) => {
            println!("skipped: cannot look at the provider's socket (pidfd_getfd: {err})");
            return;
        }
    };
    assert!(
        nodelay(&socket).expect("read TCP_NODELAY"),
        "the provider's gRPC connection has Nagle's algorithm on: concurrent calls would wait for terraform's delayed ACKs"
    );
}
