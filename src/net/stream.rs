//! The byte streams the connections own: `ClientStream` (a client's connection to us) and
//! `UpstreamStream` (ours to a backend). Plain TCP is their only network variant today; TLS
//! (rustls) becomes one more variant of each, and nothing outside `net/` names a socket type.
//!
//! Both implement `Stream`: owned-buffer reads and writes in monoio's rent model (the buffer is
//! handed to the kernel and handed back), so a timed-out operation takes its buffer with it. The
//! traits are used generically (enums and `impl Stream`), never as `dyn`, so the request path
//! boxes no future.
//!
//! `MemoryStream` is the in-memory peer: a scripted backend for the pipeline's unit tests, and
//! the client side of TestInvokeMethod (which collects what the relay writes).

use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::cell::RefCell;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;

/// An owned-buffer byte stream.
// The runtime is thread-per-core: these futures are `!Send` by design, so the `Send`-bound
// concern of `async fn` in public traits does not apply.
#[allow(async_fn_in_trait)]
pub trait Stream {
    /// Reads into the spare capacity of `buf` past its length (the caller makes room), returning
    /// the count; `Ok(0)` is end of stream.
    async fn read(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>);
    /// Writes all of `buf`, handing it back.
    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>);
}

async fn tcp_read(s: &mut TcpStream, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
    let len = buf.len();
    let (res, slice) = s.read(buf.slice_mut(len..)).await;
    (res, slice.into_inner())
}

async fn tcp_write_all(s: &mut TcpStream, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
    let (res, buf) = AsyncWriteRentExt::write_all(s, buf).await;
    (res.map(|_| ()), buf)
}

/// Shuts both directions of a socket that is about to be dropped. Under io_uring, a read that a
/// timeout abandoned stays queued in the kernel (monoio does not cancel dropped operations) and
/// keeps the descriptor open, so the peer would never see the close; shutdown(2) completes that
/// read and sends the FIN now.
fn shutdown(stream: &TcpStream) {
    let fd = stream.as_raw_fd();
    // SAFETY: `fd` is owned by `stream`, which is borrowed (so open) for this call; shutdown(2)
    // neither closes nor invalidates a descriptor, and its errors (ENOTCONN) need no handling.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
    }
}

/// A client's connection to the gateway.
pub enum ClientStream {
    Tcp(TcpStream),
}

impl ClientStream {
    pub fn tcp(stream: TcpStream) -> ClientStream {
        let _ = stream.set_nodelay(true);
        ClientStream::Tcp(stream)
    }
}

impl Stream for ClientStream {
    async fn read(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        match self {
            ClientStream::Tcp(s) => tcp_read(s, buf).await,
        }
    }
    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        match self {
            ClientStream::Tcp(s) => tcp_write_all(s, buf).await,
        }
    }
}

impl Drop for ClientStream {
    fn drop(&mut self) {
        match self {
            ClientStream::Tcp(s) => shutdown(s),
        }
    }
}

/// The gateway's connection to a backend.
pub enum UpstreamStream {
    Tcp(TcpStream),
    /// A scripted in-memory backend (tests).
    Memory(MemoryStream),
}

impl UpstreamStream {
    pub async fn connect_tcp(addr: std::net::SocketAddr) -> io::Result<UpstreamStream> {
        let stream = TcpStream::connect_addr(addr).await?;
        let _ = stream.set_nodelay(true);
        Ok(UpstreamStream::Tcp(stream))
    }
}

impl Stream for UpstreamStream {
    async fn read(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        match self {
            UpstreamStream::Tcp(s) => tcp_read(s, buf).await,
            UpstreamStream::Memory(m) => m.read(buf).await,
        }
    }
    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        match self {
            UpstreamStream::Tcp(s) => tcp_write_all(s, buf).await,
            UpstreamStream::Memory(m) => m.write_all(buf).await,
        }
    }
}

impl Drop for UpstreamStream {
    fn drop(&mut self) {
        if let UpstreamStream::Tcp(s) = self {
            shutdown(s);
        }
    }
}

/// What a `MemoryStream` does once its scripted input is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtEnd {
    /// Reads return end of stream.
    Eof,
    /// Reads never complete (a silent peer; only a timeout ends the wait).
    Stall,
}

/// An in-memory peer: reads return the scripted `input` (at most `read_size` bytes at a time),
/// writes are appended to a shared `written` buffer the owner can inspect.
pub struct MemoryStream {
    input: Vec<u8>,
    pos: usize,
    read_size: usize,
    at_end: AtEnd,
    written: Rc<RefCell<Vec<u8>>>,
}

impl MemoryStream {
    pub fn new(input: impl Into<Vec<u8>>, at_end: AtEnd) -> MemoryStream {
        MemoryStream {
            input: input.into(),
            pos: 0,
            read_size: usize::MAX,
            at_end,
            written: Rc::default(),
        }
    }

    /// Delivers the input in pieces of at most `n` bytes (to exercise partial reads).
    pub fn read_size(mut self, n: usize) -> MemoryStream {
        self.read_size = n.max(1);
        self
    }

    /// Everything written to this stream, shared with the caller.
    pub fn written(&self) -> Rc<RefCell<Vec<u8>>> {
        self.written.clone()
    }
}

impl Stream for MemoryStream {
    async fn read(&mut self, mut buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        let left = self.input.len() - self.pos;
        if left == 0 {
            if self.at_end == AtEnd::Stall {
                std::future::pending::<()>().await;
            }
            return (Ok(0), buf);
        }
        let n = left.min(self.read_size);
        if buf.capacity() - buf.len() < n {
            // A socket read fills at most the spare room; a scripted peer just makes some.
            buf.reserve(n);
        }
        buf.extend_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        (Ok(n), buf)
    }
    async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.written.borrow_mut().extend_from_slice(&buf);
        (Ok(()), buf)
    }
}
