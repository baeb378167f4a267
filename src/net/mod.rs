//! Sockets and the streams the connections own: the per-worker `SO_REUSEPORT` listeners, the
//! client connection loop (`conn`) with its body relay (`relay`), the stream types (`stream`:
//! the only place a socket type is named), and the upstream client (`upstream`: connect, pool,
//! exchange, retry, name resolution).

pub mod conn;
pub mod listener;
pub mod relay;
pub mod stream;
pub mod tls;
pub mod upstream;
