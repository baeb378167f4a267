//! Account-level resources, which belong to no single REST API: DomainNames and their
//! BasePathMappings, VpcLinks, ClientCertificates, and Tags (TagResource, UntagResource, GetTags
//! on any taggable ARN).
//!
//! Each resource module holds its stored shape, validation and patch rules, pure over values;
//! `ops` loads, edits and writes them in one store transaction.

pub mod client_certificates;
pub mod domain_names;
pub mod ops;
pub mod tags;
pub mod vpc_links;
