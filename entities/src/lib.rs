//! The sea-orm entities of zhaoshang's project graph (one file per table) and the
//! migrations that create them. Natural keys from the ledger (unit code, industry
//! name, project code, …) are the primary keys, so a ledger round-trips without ids.

pub mod api_token;
pub mod audit_entry;
pub mod carrier;
pub mod chain_link;
pub mod element_issue;
pub mod engagement;
pub mod event;
pub mod incentive;
pub mod industry;
pub mod investor;
pub mod migration;
pub mod prelude;
pub mod progress;
pub mod project;
pub mod supervision_item;
pub mod target;
pub mod unit;
