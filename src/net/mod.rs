//! Sockets: the per-worker `SO_REUSEPORT` listeners, the client connection loop and the backend
//! client (connect, DNS cache).

pub mod conn;
pub mod listener;
pub mod upstream;
