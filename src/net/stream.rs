//! The byte streams the connections own: `ClientStream` (a client's connection to us) and
//! `UpstreamStream` (ours to a backend). Plain TCP is their only network variant today; TLS
//! (rustls) becomes one more variant of each, and nothing outside `net/` names a socket type.
//!
//! Both implement `Stream`: owned-buffer reads and writes in monoio's rent model (the buffer is
//! handed to the kernel and handed back), so a timed-out operation takes its buffer with it. The
//! traits are used generically (enums and `impl Stream`), never as `dyn`, so the request path
//! boxes no future; and each method returns the transport's own future (in `Io`, one variant per
//! transport), not an `async fn` layer around it, so no per-call future is built and then moved.
//!
//! `MemoryStream` is the in-memory peer: a scripted backend for the pipeline's unit tests, and
//! the client side of TestInvokeMethod (which collects what the relay writes).

use monoio::buf::{IoBufMut, SliceMut};
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use monoio::time::Sleep;
use monoio::BufResult;
use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

/// An owned-buffer byte stream. The methods return the transport's own future wrapped only in
/// `Io` (no `async fn` layer per variant): a future holding a timeout is 128-byte aligned and
/// large, and every async layer between the socket and the caller would copy it once more per
/// call.
pub trait Stream {
    /// Reads into the spare capacity of `buf` past its length (the caller makes room), returning
    /// the count; `Ok(0)` is end of stream.
    fn read(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>>;
    /// Writes all of `buf` (the count is its length), handing it back.
    fn write_all(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>>;
}

/// The buffer a transport hands back: the `Vec` itself, or the slice of it that was read into.
pub trait Rented {
    fn into_vec(self) -> Vec<u8>;
}

impl Rented for Vec<u8> {
    fn into_vec(self) -> Vec<u8> {
        self
    }
}

impl Rented for SliceMut<Vec<u8>> {
    fn into_vec(self) -> Vec<u8> {
        self.into_inner()
    }
}

/// A stream operation in flight: the variant's own future, its buffer handed back as a `Vec`.
pub enum Io<T, M, S = NoTls> {
    Tcp(T),
    Memory(M),
    Tls(S),
}

/// The memory variant of a stream that has none (`ClientStream`); never constructed.
type NoMemory = std::future::Pending<BufResult<usize, Vec<u8>>>;
/// The TLS variant of a stream that has none; never constructed.
pub type NoTls = std::future::Pending<BufResult<usize, Vec<u8>>>;

impl<T, B, M, S, C> Future for Io<T, M, S>
where
    T: Future<Output = BufResult<usize, B>>,
    B: Rented,
    M: Future<Output = BufResult<usize, Vec<u8>>>,
    S: Future<Output = BufResult<usize, C>>,
    C: Rented,
{
    type Output = BufResult<usize, Vec<u8>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the one live variant. `Io` never moves a variant's
        // future out (no method takes it by value, no `Drop` impl), and it is `Unpin` only when
        // both futures are (auto trait), so the future stays where it was pinned until dropped.
        unsafe {
            match self.get_unchecked_mut() {
                Io::Tcp(f) => Pin::new_unchecked(f)
                    .poll(cx)
                    .map(|(res, buf)| (res, buf.into_vec())),
                Io::Memory(f) => Pin::new_unchecked(f).poll(cx),
                Io::Tls(f) => Pin::new_unchecked(f)
                    .poll(cx)
                    .map(|(res, buf)| (res, buf.into_vec())),
            }
        }
    }
}

/// A wait bounded by a connection's reusable timer: `None` once the deadline passed first. A
/// connection keeps one boxed timer and re-arms it per wait, so the wait's future holds a pointer,
/// not the 640-byte, 128-byte-aligned `Sleep` that `monoio::time::timeout` would embed (and every
/// async layer above would copy again).
pub struct Timed<'t, F> {
    op: F,
    timer: Pin<&'t mut Sleep>,
}

impl<F: Future> Future for Timed<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of `op`: `Timed` never moves it out (no method takes it by
        // value, no `Drop` impl), and `Timed` is `Unpin` only when `F` is, so `op` stays where it
        // was pinned until dropped. `timer` is a `Pin<&mut>`, itself `Unpin`.
        let this = unsafe { self.get_unchecked_mut() };
        let op = unsafe { Pin::new_unchecked(&mut this.op) };
        if let Poll::Ready(v) = op.poll(cx) {
            return Poll::Ready(Some(v));
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Bounds `op` by `deadline` on `timer` (re-armed: extending a registered timer is a store).
pub fn timed<F: Future>(op: F, timer: &mut Pin<Box<Sleep>>, deadline: Instant) -> Timed<'_, F> {
    timer.as_mut().reset(deadline.into());
    Timed {
        op,
        timer: timer.as_mut(),
    }
}

fn tcp_read(
    s: &mut TcpStream,
    buf: Vec<u8>,
) -> impl Future<Output = BufResult<usize, SliceMut<Vec<u8>>>> + '_ {
    let len = buf.len();
    s.read(buf.slice_mut(len..))
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
    fn read(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        match self {
            ClientStream::Tcp(s) => Io::<_, NoMemory>::Tcp(tcp_read(s, buf)),
        }
    }
    fn write_all(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        match self {
            ClientStream::Tcp(s) => AsyncWriteRentExt::write_all(s, buf),
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
    /// HTTPS (boxed: the TLS session's state is large and only HTTPS connections carry it).
    Tls(Box<TlsConn>),
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
    fn read(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        match self {
            UpstreamStream::Tcp(s) => Io::Tcp(tcp_read(s, buf)),
            UpstreamStream::Tls(s) => {
                let len = buf.len();
                Io::Tls(s.stream.read(buf.slice_mut(len..)))
            }
            UpstreamStream::Memory(m) => Io::Memory(m.read_scripted(buf)),
        }
    }
    fn write_all(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        match self {
            UpstreamStream::Tcp(s) => Io::Tcp(AsyncWriteRentExt::write_all(s, buf)),
            UpstreamStream::Tls(s) => Io::Tls(AsyncWriteRentExt::write_all(&mut s.stream, buf)),
            UpstreamStream::Memory(m) => Io::Memory(m.write_collected(buf)),
        }
    }
}

impl Drop for UpstreamStream {
    fn drop(&mut self) {
        match self {
            UpstreamStream::Tcp(s) => shutdown(s),
            UpstreamStream::Tls(t) => {
                // SAFETY: `t.fd` is the descriptor of the TcpStream inside `t.stream`, which is
                // still alive (fields drop after this); shutdown(2) neither closes nor
                // invalidates it (see `shutdown`).
                unsafe {
                    libc::shutdown(t.fd, libc::SHUT_RDWR);
                }
            }
            UpstreamStream::Memory(_) => {}
        }
    }
}

/// An HTTPS backend connection, with its socket's descriptor kept for the close-time shutdown
/// (`shutdown`'s reason applies: the TLS stream does not expose its socket).
pub struct TlsConn {
    pub fd: std::os::fd::RawFd,
    pub stream: monoio_rustls::ClientTlsStream<TcpStream>,
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
    fn read(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        self.read_scripted(buf)
    }
    fn write_all(&mut self, buf: Vec<u8>) -> impl Future<Output = BufResult<usize, Vec<u8>>> {
        self.write_collected(buf)
    }
}

impl MemoryStream {
    async fn read_scripted(&mut self, mut buf: Vec<u8>) -> BufResult<usize, Vec<u8>> {
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
    async fn write_collected(&mut self, buf: Vec<u8>) -> BufResult<usize, Vec<u8>> {
        self.written.borrow_mut().extend_from_slice(&buf);
        (Ok(buf.len()), buf)
    }
}
