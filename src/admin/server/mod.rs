//! The admin listener: blocking std sockets on threads of their own, off the worker cores.
//!
//! One acceptor thread; one thread per connection, at most `MAX_CONNECTIONS` at once (beyond that
//! the acceptor answers 503 and closes). Connections are HTTP/1.1 keep-alive (botocore and urllib3
//! reuse them) with a 30 s read timeout. Each request goes: read -> route -> authenticate (all but
//! `/ping` and `/metrics`) -> throttle per access key -> run -> write; errors become responses only through `ApiError`.
//!
//! Below the listener, in this folder: `http` (framing), `routes` ((method, path) -> operation),
//! `auth` and `sigv4` (every management request's signature), `limits` (quotas and per-key
//! throttling) and `error` (the one table from failure to AWS error response).

pub mod auth;
pub mod error;
pub mod http;
pub mod limits;
pub mod routes;
// SigV4 lives with the other AWS protocol code (`crate::aws`): one signer for the admin verifier
// and every outbound call.
pub use crate::aws::sigv4;

use crate::admin::auth::authenticate;
use crate::admin::error::ApiError;
use crate::admin::http::{Conn, ReadError, Request, Response};
use crate::admin::routes::{route, Route};
use crate::admin::{dispatch, AdminState};
use crate::deploy::ids::new_id;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub const MAX_CONNECTIONS: usize = 64;
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What a listener serves: the whole admin API, or only the unauthenticated `/ping` and
/// `/metrics` (for a health/metrics address separate from the management API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    HealthOnly,
}

/// Starts serving `listener` on a new thread; the handle's thread runs until the listener fails.
pub fn serve(listener: TcpListener, state: AdminState) -> io::Result<JoinHandle<()>> {
    serve_scoped(listener, Arc::new(state), Scope::All)
}

/// Serves `listener` with `state` (shared with another listener), limited to `scope`.
pub fn serve_scoped(
    listener: TcpListener,
    state: Arc<AdminState>,
    scope: Scope,
) -> io::Result<JoinHandle<()>> {
    listener.set_nonblocking(false)?;
    thread::Builder::new()
        .name("tollgate-admin".into())
        .spawn(move || accept_loop(listener, state, scope))
}

fn accept_loop(listener: TcpListener, state: Arc<AdminState>, scope: Scope) {
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept() {
            Ok((s, _)) => s,
            // Out of descriptors or a connection reset before accept: back off briefly, go on.
            Err(e) if e.kind() != io::ErrorKind::InvalidInput => {
                thread::sleep(Duration::from_millis(10));
                continue;
            }
            Err(_) => return,
        };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            refuse(stream);
            continue;
        }
        let guard = ActiveGuard(active.clone());
        let state = state.clone();
        let spawned = thread::Builder::new()
            .name("tollgate-admin-conn".into())
            .spawn(move || {
                let _guard = guard;
                connection(stream, &state, scope);
            });
        // If the thread could not start, its closure (and the guard) was dropped with the error.
        drop(spawned);
    }
}

/// Decrements the active-connection count when a connection thread ends, even by panic.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn refuse(stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let resp = ApiError::Unavailable("Too many admin connections".into()).to_response();
    let _ = Conn::new(stream).write_response(&resp, &new_id(20), true);
}

fn connection(stream: TcpStream, state: &AdminState, scope: Scope) {
    if stream.set_read_timeout(Some(READ_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(READ_TIMEOUT)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(stream);
    loop {
        let request_id = new_id(20);
        match conn.read_request(state.max_body) {
            Ok(req) => {
                let resp = handle_scoped(state, &req, scope);
                if conn
                    .write_response(&resp, &request_id, !req.keep_alive)
                    .is_err()
                    || !req.keep_alive
                {
                    return;
                }
            }
            Err(ReadError::Reject(e)) => {
                let _ = conn.write_response(&e.to_response(), &request_id, true);
                return;
            }
            Err(ReadError::Closed | ReadError::Io(_)) => return,
        }
    }
}

/// One request to one response: route, authenticate, run.
pub fn handle(state: &AdminState, req: &Request) -> Response {
    handle_scoped(state, req, Scope::All)
}

fn handle_scoped(state: &AdminState, req: &Request, scope: Scope) -> Response {
    dispatch(state, req, scope).unwrap_or_else(|e| e.to_response())
}

fn dispatch(state: &AdminState, req: &Request, scope: Scope) -> Result<Response, ApiError> {
    let unknown = || ApiError::UnknownOperation {
        method: req.method.clone(),
        path: req.path.clone(),
    };
    let found = req
        .segments()
        .and_then(|segments| route(&req.method, &segments, req.query("mode")));
    match found {
        Some(Route::Ping) => Ok(ping(state)),
        Some(Route::Metrics) => Ok(Response::bytes(
            200,
            "text/plain; version=0.0.4",
            (state.metrics)().into_bytes(),
        )),
        _ if scope == Scope::HealthOnly => Err(unknown()),
        // wafv2 (AWS JSON 1.1): `POST /` named by `X-Amz-Target`, signed for service `wafv2`.
        _ if crate::admin::wafv2::target(req).is_some() => {
            let admitted = authenticate(&state.keys, req).and_then(|principal| {
                match &principal.access_key_id {
                    Some(key) => state.rate.check(key, Instant::now()),
                    None => Ok(()),
                }
            });
            Ok(match admitted {
                Ok(()) => dispatch::run_wafv2(state, req),
                // JSON 1.1 clients read the error code from the body's `__type`.
                Err(e) => crate::admin::wafv2::refusal(&e),
            })
        }
        // Everything else is authenticated first, unknown paths included (as on AWS, an unsigned
        // caller cannot probe which operations exist).
        other => {
            let principal = authenticate(&state.keys, req)?;
            if let Some(key) = &principal.access_key_id {
                state.rate.check(key, Instant::now())?;
            }
            match other {
                Some(Route::Op(op)) => dispatch::run(state, op, req),
                _ => Err(unknown()),
            }
        }
    }
}

fn ping(state: &AdminState) -> Response {
    if state.ready.load(Ordering::Acquire) {
        Response::json(200, &serde_json::json!({"status": "ok"}))
    } else {
        Response::json(503, &serde_json::json!({"status": "starting"}))
    }
}
