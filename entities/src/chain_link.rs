//! A link (环节) of one of the district's industry chains (产业链图谱), for chain-based
//! promotion (强链补链延链). Projects name their link as `产业链/环节`.

use sea_orm::entity::prelude::*;

/// One link of a chain; `(chain, link)` is the key.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "chain_links")]
pub struct Model {
    /// The chain (产业链), e.g. `陶瓷产业链`; never holds `/`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub chain: String,
    /// The link (环节), e.g. `泥料制备`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub link: String,
    /// The cluster the chain serves (产业集群).
    pub cluster: Option<String>,
    /// `上游`, `中游` or `下游` (位置).
    pub position: String,
    /// The order of the link within its position (序号).
    pub link_order: Option<i64>,
    /// Public text: what kind of enterprise the district seeks for this link (招引方向).
    pub sought: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The reference a project gives to this link: `产业链/环节`.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.chain, self.link)
    }
}
