//! API keys and usage plans: ApiKeys (with ImportApiKeys' CSV), UsagePlans, UsagePlanKeys and
//! GetUsage/UpdateUsage with the calendar of quota periods.
//!
//! The rules are pure (`api_keys`, `usage_plans`); `control::usage` stores them; `ops` decodes the
//! requests and encodes `shapes`.

pub mod api_keys;
pub mod ops;
pub mod shapes;
pub mod usage_plans;
