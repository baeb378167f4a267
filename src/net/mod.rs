//! Sockets: the per-worker `SO_REUSEPORT` listeners, the client connection loop and the backend
//! client (connect, exchange).

pub mod conn;
pub mod listener;
pub mod upstream;

use std::os::fd::AsRawFd;

/// Shuts both directions of a socket that is about to be dropped. Under io_uring, a read that a
/// timeout abandoned stays queued in the kernel (monoio does not cancel dropped operations) and
/// keeps the descriptor open, so the peer would never see the close; shutdown(2) completes that
/// read and sends the FIN now.
pub fn shutdown(stream: &monoio::net::TcpStream) {
    let fd = stream.as_raw_fd();
    // SAFETY: `fd` is owned by `stream`, which is borrowed (so open) for this call; shutdown(2)
    // neither closes nor invalidates a descriptor, and its errors (ENOTCONN) need no handling.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
    }
}
