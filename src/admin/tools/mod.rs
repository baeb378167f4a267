//! Tollgate's operations beyond storing definitions: TestInvokeMethod (run a method of the current,
//! undeployed definition through the data path), TestInvokeAuthorizer (run a Lambda authorizer) and the backup client that `tollgate backup` uses
//! to ask a running gateway for a consistent copy of its store.

pub mod backup;
pub mod test_invoke;
pub mod test_invoke_authorizer;
