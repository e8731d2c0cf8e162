//! DataLoaders: the relations of a page of projects are read in one statement per
//! relation, not one per project. Made per request, so nothing stale is served.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::prelude::*;
use entities::{element_issue, industry, investor, progress, unit};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// Loads rows of one table by key: from the read snapshot when the request has one,
/// else from the database.
pub struct ByKey {
    db: DatabaseConnection,
    snapshot: Option<Arc<super::snapshot::Snapshot>>,
}

/// The loaders of one request.
pub struct Loaders {
    /// Units, industries, investors by key; progress and issues by project code.
    pub rows: DataLoader<ByKey, HashMapCache>,
    /// The read snapshot this request may use.
    pub snapshot: Option<Arc<super::snapshot::Snapshot>>,
    /// Scorecards of this request, by (year, quarter, bottom): `units { scorecard }`
    /// asks the same ranking once per unit.
    pub scorecards: Memo<(i32, u32, usize), crate::analytics::scorecard::Scorecard>,
    /// Alerts of this request, by (as-of day, period start).
    pub alerts: Memo<(chrono::NaiveDate, chrono::NaiveDate), crate::analytics::alerts::Alert>,
}

/// Figures of one request by their arguments, shared with the engine's kept answers.
pub type Memo<K, V> = tokio::sync::Mutex<HashMap<K, Arc<Vec<V>>>>;

impl Loaders {
    /// Fresh loaders on `db`, reading from `snapshot` where it has the rows.
    pub fn new(db: DatabaseConnection, snapshot: Option<Arc<super::snapshot::Snapshot>>) -> Loaders {
        Loaders {
            rows: DataLoader::with_cache(
                ByKey { db, snapshot: snapshot.clone() },
                tokio::spawn,
                HashMapCache::default(),
            ),
            snapshot,
            scorecards: Default::default(),
            alerts: Default::default(),
        }
    }

    /// Loads, in one statement per relation, the relations that the current selection
    /// asks of these projects (under `nodes`, `edges.node` or the list itself), so that
    /// each project's resolver then finds them in the cache. DataLoader batching alone
    /// depends on timing; this does not.
    pub async fn prefetch(&self, ctx: &Context<'_>, projects: &[entities::project::Model]) -> Result<(), Arc<DbErr>> {
        let here = ctx.look_ahead();
        let selections = [ctx.look_ahead(), here.field("nodes"), here.field("edges").field("node")];
        let asks = |name: &str| selections.iter().any(|s| s.field(name).exists());
        let asks_below = |name: &str, below: &str| selections.iter().any(|s| s.field(name).field(below).exists());
        let public_only = !super::auth::viewer(ctx).is_internal();
        // The relations of the parents too (`unit { targets projects }`, `industry {
        // projects }`, `investor { projects }`): one statement for all parents.
        let related = |relation: Relation, keys: Vec<String>| {
            keys.into_iter().map(move |key| RelatedTo { relation, key, public_only })
        };
        if asks("unit") {
            self.rows.load_many(projects.iter().map(|p| UnitKey(p.unit_code.clone()))).await?;
            let units = || projects.iter().map(|p| p.unit_code.clone()).collect::<Vec<_>>();
            if asks_below("unit", "targets") {
                self.rows.load_many(units().into_iter().map(TargetsOf)).await?;
            }
            if asks_below("unit", "projects") {
                self.rows.load_many(related(Relation::Unit, units())).await?;
            }
        }
        if asks("industry") {
            self.rows.load_many(projects.iter().map(|p| IndustryKey(p.industry_name.clone()))).await?;
            if asks_below("industry", "projects") {
                let industries = projects.iter().map(|p| p.industry_name.clone()).collect();
                self.rows.load_many(related(Relation::Industry, industries)).await?;
            }
        }
        if asks("investor") {
            self.rows.load_many(projects.iter().filter_map(|p| p.investor_name.clone()).map(InvestorKey)).await?;
            if asks_below("investor", "projects") {
                let investors = projects.iter().filter_map(|p| p.investor_name.clone()).collect();
                self.rows.load_many(related(Relation::Investor, investors)).await?;
            }
        }
        if asks("progress") {
            self.rows.load_many(projects.iter().map(|p| ProgressOf(p.code.clone()))).await?;
        }
        if asks("issues") {
            self.rows.load_many(projects.iter().map(|p| IssuesOf(p.code.clone()))).await?;
        }
        if asks("history") {
            let keys = projects.iter().map(|p| HistoryOf { code: p.code.clone(), investor: p.investor_name.clone() });
            self.rows.load_many(keys).await?;
        }
        Ok(())
    }
}

/// A unit's code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitKey(pub String);
/// A project's code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProjectKey(pub String);
/// An industry's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndustryKey(pub String);
/// An investor's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InvestorKey(pub String);
/// A project's code, for its progress months.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProgressOf(pub String);
/// A project's code, for its element issues.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IssuesOf(pub String);

/// Rows grouped under the key of their project, every asked key present (maybe empty).
fn per_project<K: Clone + Eq + std::hash::Hash, R>(
    asked: &[K],
    rows: Vec<R>,
    key: impl Fn(&R) -> K,
) -> HashMap<K, Vec<R>> {
    let mut out: HashMap<K, Vec<R>> = asked.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        out.entry(key(&row)).or_default().push(row);
    }
    out
}

fn keys<K: Clone>(keys: &[K], inner: impl Fn(&K) -> String) -> Vec<String> {
    keys.iter().map(inner).collect()
}

impl Loader<UnitKey> for ByKey {
    type Value = unit::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[UnitKey]) -> Result<HashMap<UnitKey, unit::Model>, Self::Error> {
        if let Some(s) = &self.snapshot {
            return Ok(k.iter().filter_map(|key| s.units.get(&key.0).map(|u| (key.clone(), u.clone()))).collect());
        }
        let rows = Unit::find().filter(unit::Column::Code.is_in(keys(k, |k| k.0.clone()))).all(&self.db).await?;
        Ok(rows.into_iter().map(|r| (UnitKey(r.code.clone()), r)).collect())
    }
}

impl Loader<ProjectKey> for ByKey {
    type Value = entities::project::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[ProjectKey]) -> Result<HashMap<ProjectKey, entities::project::Model>, Self::Error> {
        if let Some(s) = &self.snapshot {
            return Ok(k.iter().filter_map(|key| s.projects.get(&key.0).map(|p| (key.clone(), p.clone()))).collect());
        }
        let codes = keys(k, |k| k.0.clone());
        let rows = Project::find().filter(entities::project::Column::Code.is_in(codes)).all(&self.db).await?;
        Ok(rows.into_iter().map(|r| (ProjectKey(r.code.clone()), r)).collect())
    }
}

impl Loader<IndustryKey> for ByKey {
    type Value = industry::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[IndustryKey]) -> Result<HashMap<IndustryKey, industry::Model>, Self::Error> {
        if let Some(s) = &self.snapshot {
            return Ok(k.iter().filter_map(|key| s.industries.get(&key.0).map(|i| (key.clone(), i.clone()))).collect());
        }
        let rows =
            Industry::find().filter(industry::Column::Name.is_in(keys(k, |k| k.0.clone()))).all(&self.db).await?;
        Ok(rows.into_iter().map(|r| (IndustryKey(r.name.clone()), r)).collect())
    }
}

impl Loader<InvestorKey> for ByKey {
    type Value = investor::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[InvestorKey]) -> Result<HashMap<InvestorKey, investor::Model>, Self::Error> {
        if let Some(s) = &self.snapshot {
            return Ok(k.iter().filter_map(|key| s.investors.get(&key.0).map(|i| (key.clone(), i.clone()))).collect());
        }
        let rows =
            Investor::find().filter(investor::Column::Name.is_in(keys(k, |k| k.0.clone()))).all(&self.db).await?;
        Ok(rows.into_iter().map(|r| (InvestorKey(r.name.clone()), r)).collect())
    }
}

impl Loader<ProgressOf> for ByKey {
    type Value = Vec<progress::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[ProgressOf]) -> Result<HashMap<ProgressOf, Vec<progress::Model>>, Self::Error> {
        if let Some(s) = &self.snapshot {
            return Ok(k
                .iter()
                .map(|key| (key.clone(), s.progress.get(&key.0).cloned().unwrap_or_default()))
                .collect());
        }
        let rows = Progress::find()
            .filter(progress::Column::ProjectCode.is_in(keys(k, |k| k.0.clone())))
            .order_by_asc(progress::Column::Month)
            .all(&self.db)
            .await?;
        Ok(per_project(k, rows, |r| ProgressOf(r.project_code.clone())))
    }
}

impl Loader<IssuesOf> for ByKey {
    type Value = Vec<element_issue::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[IssuesOf]) -> Result<HashMap<IssuesOf, Vec<element_issue::Model>>, Self::Error> {
        let rows = ElementIssue::find()
            .filter(element_issue::Column::ProjectCode.is_in(keys(k, |k| k.0.clone())))
            .order_by_asc(element_issue::Column::OpenedDate)
            .all(&self.db)
            .await?;
        Ok(per_project(k, rows, |r| IssuesOf(r.project_code.clone())))
    }
}

/// A project's audit history: its own entries (project, progress, issues) and those of
/// its investor (shared records show in every user's history).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HistoryOf {
    /// The project's code.
    pub code: String,
    /// Its investor's name, if any.
    pub investor: Option<String>,
}

impl Loader<HistoryOf> for ByKey {
    type Value = Vec<entities::audit_entry::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[HistoryOf]) -> Result<HashMap<HistoryOf, Self::Value>, Self::Error> {
        use entities::audit_entry::Column;
        use sea_orm::Condition;
        let codes = keys(k, |k| k.code.clone());
        let investors: Vec<String> = k.iter().filter_map(|k| k.investor.clone()).collect();
        let rows = AuditEntry::find()
            .filter(
                Condition::any()
                    .add(Condition::all().add(Column::Key.is_in(codes)).add(Column::Entity.is_in([
                        "projects",
                        "progress",
                        "element_issues",
                    ])))
                    .add(Condition::all().add(Column::Key.is_in(investors)).add(Column::Entity.eq("investors"))),
            )
            .order_by_desc(Column::Id)
            .all(&self.db)
            .await?;
        Ok(k.iter()
            .map(|key| {
                let mine = rows
                    .iter()
                    .filter(|r| {
                        if r.entity == "investors" {
                            key.investor.as_deref() == Some(&r.key)
                        } else {
                            r.key == key.code
                        }
                    })
                    .cloned()
                    .collect();
                (key.clone(), mine)
            })
            .collect())
    }
}

/// A unit's code, for its targets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetsOf(pub String);

impl Loader<TargetsOf> for ByKey {
    type Value = Vec<entities::target::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[TargetsOf]) -> Result<HashMap<TargetsOf, Self::Value>, Self::Error> {
        use entities::target::Column;
        let rows = Target::find()
            .filter(Column::UnitCode.is_in(keys(k, |k| k.0.clone())))
            .order_by_asc(Column::Year)
            .order_by_asc(Column::Metric)
            .all(&self.db)
            .await?;
        Ok(per_project(k, rows, |r| TargetsOf(r.unit_code.clone())))
    }
}

/// Which relation a list of related projects follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// A unit's projects.
    Unit,
    /// An industry's projects.
    Industry,
    /// An investor's projects.
    Investor,
}

/// The projects related to one unit, industry or investor that a caller may see, by
/// code: all of them (the resolver cuts its page), for every parent in one statement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RelatedTo {
    /// Which relation.
    pub relation: Relation,
    /// The parent's key.
    pub key: String,
    /// Only what the public sees ([`crate::policy::listed_for_public`] today).
    pub public_only: bool,
}

impl Loader<RelatedTo> for ByKey {
    type Value = Vec<entities::project::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, k: &[RelatedTo]) -> Result<HashMap<RelatedTo, Self::Value>, Self::Error> {
        use entities::project::{Column, Model};
        let column = |r: Relation| match r {
            Relation::Unit => Column::UnitCode,
            Relation::Industry => Column::IndustryName,
            Relation::Investor => Column::InvestorName,
        };
        let of = |r: Relation, p: &Model| -> Option<String> {
            match r {
                Relation::Unit => Some(p.unit_code.clone()),
                Relation::Industry => Some(p.industry_name.clone()),
                Relation::Investor => p.investor_name.clone(),
            }
        };
        let today = crate::analytics::today();
        let mut out = HashMap::new();
        for relation in [Relation::Unit, Relation::Industry, Relation::Investor] {
            let asked: Vec<&RelatedTo> = k.iter().filter(|key| key.relation == relation).collect();
            if asked.is_empty() {
                continue;
            }
            let values: Vec<String> = asked.iter().map(|key| key.key.clone()).collect();
            let rows =
                Project::find().filter(column(relation).is_in(values)).order_by_asc(Column::Code).all(&self.db).await?;
            for key in asked {
                let mine = rows
                    .iter()
                    .filter(|p| of(relation, p).as_deref() == Some(key.key.as_str()))
                    .filter(|p| !key.public_only || crate::policy::listed_for_public(p, today))
                    .cloned()
                    .collect();
                out.insert(key.clone(), mine);
            }
        }
        Ok(out)
    }
}
