//! The entities under short names.

pub use crate::api_token::Entity as ApiToken;
pub use crate::audit_entry::Entity as AuditEntry;
pub use crate::carrier::Entity as Carrier;
pub use crate::chain_link::Entity as ChainLink;
pub use crate::element_issue::Entity as ElementIssue;
pub use crate::engagement::Entity as Engagement;
pub use crate::event::Entity as Event;
pub use crate::incentive::Entity as Incentive;
pub use crate::industry::Entity as Industry;
pub use crate::investor::Entity as Investor;
pub use crate::progress::Entity as Progress;
pub use crate::project::Entity as Project;
pub use crate::supervision_item::Entity as SupervisionItem;
pub use crate::target::Entity as Target;
pub use crate::unit::Entity as Unit;
