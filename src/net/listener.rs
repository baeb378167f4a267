//! Listening sockets. Every worker gets its own socket on the same address with `SO_REUSEPORT`,
//! so the kernel spreads connections across cores and no accept lock is shared.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{SocketAddr, TcpListener};

const BACKLOG: i32 = 4096;

/// Binds `addr` with `SO_REUSEADDR` + `SO_REUSEPORT`, non-blocking, ready for a monoio runtime.
pub fn bind_reuseport(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// One listener per worker on one address. The first bind resolves port 0; the others bind the
/// port it got.
pub fn bind_workers(addr: SocketAddr, workers: usize) -> io::Result<Vec<TcpListener>> {
    let first = bind_reuseport(addr)?;
    let bound = first.local_addr()?;
    let mut all = vec![first];
    for _ in 1..workers {
        all.push(bind_reuseport(bound)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_share_one_resolved_port() {
        let ls = bind_workers("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        let port = ls[0].local_addr().unwrap().port();
        assert_ne!(port, 0);
        assert!(ls.iter().all(|l| l.local_addr().unwrap().port() == port));
    }
}
