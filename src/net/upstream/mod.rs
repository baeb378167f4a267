//! THE UPSTREAM CLIENT: everything about talking to backends, in one place — resolving and
//! connecting, the per-core keep-alive pool, writing a request and reading the response head,
//! the idempotent-retry rule, and the response body left to read (`BodyStream`). The integrate
//! phase asks it for a response; the connection's relay (`net::relay`) drains the body and
//! hands the backend connection back through `Client::release`.
//!
//! Every wait is bounded by the integration deadline. Buffers are owned and handed to the kernel
//! and back (monoio's rent model); a timed-out operation takes its buffer with it, and the
//! connection is then dropped, never pooled. Backend addresses are read at exactly one call site,
//! `Client::connect`, from the table the control plane's resolver fills (`core::addrs`); a VPC
//! link's upstream connects to one of the link's targets instead (`links`: round robin, skipping
//! unhealthy and ejected targets, and the next target on a connect failure, which sent nothing).

mod body;
mod links;
pub mod pool;
mod wire;

pub use body::BodyStream;
pub use pool::UpConn;

use crate::core::addrs::AddrBook;
use crate::deploy::snapshot::{Scheme, Upstream, UpstreamId};
use crate::deploy::Snapshot;
use crate::http::upstream::{ResponseHead, UpstreamHeadError};
use crate::net::stream::{MemoryStream, UpstreamStream};
use pool::Pool;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("connect failed: {0}")]
    Connect(io::Error),
    #[error("timed out")]
    Timeout,
    #[error("backend closed the connection (response bytes received: {received})")]
    Closed { received: bool },
    #[error("I/O error: {0}")]
    Io(io::Error),
    #[error("invalid backend response: {0}")]
    Malformed(UpstreamHeadError),
    #[error("backend response body larger than the limit")]
    TooLarge,
    #[error("invalid chunked backend response body")]
    BadChunk,
    /// The TLS handshake failed (a certificate that does not verify, a protocol error), or the
    /// TLS client could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
}

impl UpstreamError {
    /// A failure that may be the backend's idle close racing our reuse of a pooled connection:
    /// nothing of a response arrived, so the request was not processed (or can safely be sent
    /// again, for idempotent methods).
    pub fn maybe_stale_connection(&self) -> bool {
        match self {
            UpstreamError::Closed { received } => !received,
            UpstreamError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            ),
            _ => false,
        }
    }
}

/// What one backend exchange needs to know beyond the request bytes.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub up_id: UpstreamId,
    /// The method is idempotent, so a stale pooled connection may be retried.
    pub retry_ok: bool,
    /// The backend was sent HEAD: its response has no body whatever its headers say.
    pub request_was_head: bool,
    /// Until the response head has arrived.
    pub deadline: Instant,
    /// Each later read of the body is allowed this long.
    pub read_timeout: Duration,
}

/// Makes in-memory backend connections instead of network ones (unit tests of the pipeline).
pub type FakeBackend = Rc<dyn Fn(&Upstream) -> io::Result<MemoryStream>>;

/// A VPC link none of whose targets has an address yet (names not resolved).
#[cold]
fn no_target() -> UpstreamError {
    UpstreamError::Connect(io::Error::new(
        io::ErrorKind::NotFound,
        "no target of the VPC link has an address yet",
    ))
}

/// The per-core backend client.
pub struct Client {
    pool: Pool,
    /// Backend addresses, resolved off the workers by `runtime::resolver`.
    addrs: Arc<AddrBook>,
    connect_timeout: Duration,
    max_head: usize,
    fake: Option<FakeBackend>,
    /// This core's TLS clients, made on the first HTTPS connection.
    tls: std::cell::OnceCell<Result<crate::net::tls::Connectors, String>>,
    /// This core's round robin and ejections over the VPC links' targets.
    rotation: links::Rotation,
}

impl Client {
    pub fn new(
        max_idle_per_upstream: usize,
        connect_timeout: Duration,
        max_head: usize,
        addrs: Arc<AddrBook>,
    ) -> Client {
        Client {
            pool: Pool::new(max_idle_per_upstream),
            rotation: links::Rotation::new(&addrs.links().shape()),
            addrs,
            connect_timeout,
            max_head,
            fake: None,
            tls: std::cell::OnceCell::new(),
        }
    }

    /// Connects every later request to `fake` instead of the network.
    pub fn use_fake_backend(&mut self, fake: FakeBackend) {
        self.fake = Some(fake);
    }

    /// Makes room in the pool for every upstream of a newly adopted snapshot.
    pub fn adopt(&self, snap: &Snapshot) {
        self.pool.adopt(snap);
    }

    /// Idle pooled connections (tests and metrics).
    pub fn idle_count(&self) -> usize {
        self.pool.idle_count()
    }

    /// Sends `request` (handed back through the same `&mut`) and reads the response head into
    /// `head`, on a pooled connection when one is idle. Retries once on a fresh connection only
    /// when an idempotent request failed on a reused connection before any response byte
    /// arrived (the backend's idle close racing our reuse).
    pub async fn send(
        &self,
        up: &Upstream,
        attempt: &Attempt,
        request: &mut Vec<u8>,
        head: &mut ResponseHead,
    ) -> Result<BodyStream, UpstreamError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut conn = match up.link {
                Some(link) if self.fake.is_none() => {
                    self.link_conn(link.0 as usize, attempt.up_id, up, attempt.deadline)
                        .await?
                }
                _ => match self.pool.take(attempt.up_id, Instant::now()) {
                    Some(c) => c,
                    None => self.connect(attempt.up_id, up, attempt.deadline).await?,
                },
            };
            // A fresh timer per exchange, made on this runtime (a pooled connection may outlive
            // the runtime that made its last one, in tests); the waits below re-arm it.
            conn.timer
                .as_mut()
                .set(monoio::time::sleep_until(attempt.deadline.into()));
            let result = match wire::write_all(&mut conn, request, attempt.deadline).await {
                Ok(()) => {
                    wire::read_head(
                        &mut conn,
                        self.max_head,
                        attempt.request_was_head,
                        attempt.deadline,
                        head,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(head_len) => return Ok(BodyStream::new(conn, attempt, head, head_len)),
                Err(e)
                    if tries == 1
                        && attempt.retry_ok
                        && conn.reused
                        && e.maybe_stale_connection() =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A new connection to `up`: the one place a backend address is resolved.
    async fn connect(
        &self,
        up_id: UpstreamId,
        up: &Upstream,
        deadline: Instant,
    ) -> Result<Box<UpConn>, UpstreamError> {
        if let Some(fake) = &self.fake {
            let stream = fake(up).map_err(UpstreamError::Connect)?;
            return Ok(UpConn::new(UpstreamStream::Memory(stream), Instant::now()));
        }
        // A name not answered yet is awaited (never looked up here), within the connect timeout.
        let limit = wire::remaining(deadline)?.min(self.connect_timeout);
        let addr = (self.addrs.address(up_id, up, limit).await)
            .map_err(|_| UpstreamError::Resolve(up.host.to_string()))?;
        self.connect_addr(up, addr, deadline).await
    }

    /// A connection for a request to VPC link `link`'s upstream: an idle one to the target the
    /// rotation picks, or a new one. A target that refuses or does not answer in time is counted
    /// against (and maybe ejected on this core) and the next target is tried, within the same
    /// deadline: no request byte was sent, so this is safe for any method.
    async fn link_conn(
        &self,
        link: usize,
        up_id: UpstreamId,
        up: &Upstream,
        deadline: Instant,
    ) -> Result<Box<UpConn>, UpstreamError> {
        let policy = self.addrs.links().policy(link);
        let mut tried = 0u64;
        let mut last = None;
        loop {
            let now = Instant::now();
            let views = self.addrs.links().load();
            let picked = (views.get(link)).and_then(|v| self.rotation.pick(link, v, now, tried));
            drop(views);
            let Some((target, addr)) = picked else {
                return Err(last.unwrap_or_else(no_target));
            };
            tried |= 1 << target;
            if let Some(conn) = self.pool.take_target(up_id, target, now) {
                return Ok(conn);
            }
            match self.connect_addr(up, addr, deadline).await {
                Ok(mut conn) => {
                    self.rotation.connected(link, target);
                    conn.target = target;
                    return Ok(conn);
                }
                Err(e @ (UpstreamError::Connect(_) | UpstreamError::Timeout)) => {
                    if let Some(policy) = policy {
                        self.rotation.failed(link, target, Instant::now(), policy);
                    }
                    if wire::remaining(deadline).is_err() {
                        return Err(e);
                    }
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A new connection to `addr` for `up` (TLS when `up` is HTTPS, named as `up.host`).
    async fn connect_addr(
        &self,
        up: &Upstream,
        addr: std::net::SocketAddr,
        deadline: Instant,
    ) -> Result<Box<UpConn>, UpstreamError> {
        let limit = wire::remaining(deadline)?.min(self.connect_timeout);
        if up.scheme == Scheme::Https {
            let tcp = monoio::time::timeout(limit, monoio::net::TcpStream::connect_addr(addr))
                .await
                .map_err(|_| UpstreamError::Timeout)?
                .map_err(UpstreamError::Connect)?;
            let _ = tcp.set_nodelay(true);
            let stream = self.handshake(up, tcp, deadline).await?;
            return Ok(UpConn::new(stream, Instant::now()));
        }
        let stream = monoio::time::timeout(limit, UpstreamStream::connect_tcp(addr))
            .await
            .map_err(|_| UpstreamError::Timeout)?
            .map_err(UpstreamError::Connect)?;
        Ok(UpConn::new(stream, Instant::now()))
    }

    /// TLS over a fresh connection to `up`, within the connect timeout (and the deadline).
    async fn handshake(
        &self,
        up: &Upstream,
        tcp: monoio::net::TcpStream,
        deadline: Instant,
    ) -> Result<UpstreamStream, UpstreamError> {
        use std::os::fd::AsRawFd;
        let connectors = self
            .tls
            .get_or_init(|| crate::net::tls::Connectors::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| UpstreamError::Tls(e.clone()))?;
        let name = crate::net::tls::server_name(&up.host)
            .map_err(|_| UpstreamError::Tls(format!("'{}' is not a valid server name", up.host)))?;
        let fd = tcp.as_raw_fd();
        let limit = wire::remaining(deadline)?.min(self.connect_timeout);
        let connector = connectors
            .get(up)
            .map_err(|e| UpstreamError::Tls(format!("client certificate: {e}")))?;
        let connecting = connector.connect(name, tcp);
        let stream = monoio::time::timeout(limit, connecting)
            .await
            .map_err(|_| UpstreamError::Timeout)?
            .map_err(|e| UpstreamError::Tls(std::io::Error::from(e).to_string()))?;
        Ok(UpstreamStream::Tls(Box::new(crate::net::stream::TlsConn {
            fd,
            stream,
        })))
    }

    /// Takes back a backend connection whose response was read: pooled when the body ended
    /// exactly where its framing said and the backend allows reuse, else closed.
    pub fn release(&self, body: BodyStream) {
        if let Some((up_id, conn)) = body.into_reusable() {
            self.pool.put(up_id, conn, Instant::now());
        }
    }
}
