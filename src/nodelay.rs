//! Nagle's algorithm off on the plugin's gRPC connections.
//!
//! tf-provider serves gRPC on a socket without `TCP_NODELAY`. A small HTTP/2 answer written
//! while an earlier one is unacknowledged then waits for terraform's delayed ACK (up to
//! 40 ms), so concurrent calls finish in lockstep batches (BENCHMARKS.md, "What serialised").
//! tf-provider binds its listener and prints the handshake line in one step, with no hook in
//! between, so the option is set from outside it: on Linux an accepted socket inherits
//! `TCP_NODELAY` from its listener, and terraform connects only once it has read the handshake
//! line. [`hold_handshake`] sends stdout through a pipe whose first line (the handshake,
//! `1|6|tcp|127.0.0.1:PORT|grpc|…`) is passed on only after the listener at that address has
//! the option. Drop this module once tf-provider sets the option itself.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// Routes stdout through a pipe that holds the handshake line until the listener it names
/// has `TCP_NODELAY`; everything after it is passed on as it comes. Call before serving.
pub fn hold_handshake() -> io::Result<()> {
    let (reader, writer) = io::pipe()?;
    let terraform = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    io::stdout().flush()?;
    // SAFETY: dup2 only replaces descriptor 1 with a duplicate of the pipe's write end, which
    // is open; Rust's `Stdout` keeps writing to descriptor 1 and knows nothing else.
    if unsafe { libc::dup2(writer.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return Err(io::Error::last_os_error());
    }
    drop(writer);
    std::thread::Builder::new()
        .name("handshake".into())
        .spawn(move || pass_on(BufReader::new(reader), terraform))?;
    Ok(())
}

/// Passes stdout on to terraform, setting the option before the first line goes out.
fn pass_on(mut from: BufReader<io::PipeReader>, mut to: File) {
    let mut line = String::new();
    if from.read_line(&mut line).is_ok() {
        match handshake_address(&line) {
            Some(address) => set_nodelay_on_listener(address),
            None => tracing::warn!("the first line on stdout is not a plugin handshake"),
        }
        let _ = to.write_all(line.as_bytes()).and_then(|()| to.flush());
    }
    let _ = io::copy(&mut from, &mut to);
}

/// The address of a handshake line: its fourth field when the network is `tcp`.
fn handshake_address(line: &str) -> Option<SocketAddr> {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    match fields.as_slice() {
        [_, _, "tcp", address, ..] => address.parse().ok(),
        _ => None,
    }
}

/// Sets `TCP_NODELAY` on this process's socket bound to `address`, found among its open
/// descriptors.
fn set_nodelay_on_listener(address: SocketAddr) {
    let Ok(descriptors) = std::fs::read_dir("/proc/self/fd") else {
        tracing::warn!("cannot list /proc/self/fd; the gRPC connections keep Nagle's algorithm");
        return;
    };
    for entry in descriptors.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // SAFETY: the descriptor is only queried and set for the duration of this call; one
        // closed meanwhile makes the calls below fail, which is ignored.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&borrowed);
        let bound_here =
            socket.local_addr().ok().and_then(|local| local.as_socket()) == Some(address);
        if bound_here {
            if let Err(err) = socket.set_tcp_nodelay(true) {
                tracing::warn!(%err, "cannot set TCP_NODELAY on the plugin listener");
            }
            return;
        }
    }
    tracing::warn!(%address, "no socket of this process is bound to the handshake address");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_a_tcp_handshake_line() {
        let line = "1|6|tcp|127.0.0.1:40123|grpc|MIIBkz\n";
        assert_eq!(
            handshake_address(line),
            Some("127.0.0.1:40123".parse().unwrap())
        );
    }

    #[test]
    fn lines_that_are_no_tcp_handshake_have_no_address() {
        assert_eq!(handshake_address("1|6|unix|/tmp/plugin.sock|grpc|\n"), None);
        assert_eq!(handshake_address("hello\n"), None);
    }

    #[test]
    fn a_listener_found_by_its_address_gets_nodelay_and_passes_it_to_accepted_sockets() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        set_nodelay_on_listener(listener.local_addr().unwrap());
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
