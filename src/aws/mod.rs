//! The gateway as an AWS client: SigV4 (`sigv4`: the admin port's verifier and the outbound
//! signer, one set of canonical rules), credentials (`credentials`: the SDKs' chain), endpoints
//! (`endpoint`: per service and region, overridable the SDKs' way) and integration ARNs
//! (`arn`: what an `AWS` / `AWS_PROXY` integration URI names).

pub mod arn;
pub mod credentials;
pub mod endpoint;
pub mod sigv4;
