//! The rows of the work around the pipeline — investors, events, engagements,
//! incentives, supervision items — and the facts of the projects they refer to, read
//! with the frames (one data version) for the metrics of `docs/metrics.md` (engagement
//! funnel, events, incentives, supervision, and their alerts).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use entities::{engagement, event, incentive, investor, project, supervision_item};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::keyed::Keyed;
use crate::rules::{Stage, reach_dates, recorded_dates};
use crate::store::bulk::Month;

/// What the metrics need of a project the work refers to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectFacts {
    /// 项目编号
    pub code: String,
    /// 项目名称
    pub name: String,
    /// The responsible unit's code.
    pub unit: String,
    /// The investor's name.
    pub investor: Option<String>,
    /// Whether that investor has engagements (the project is then on its list).
    pub engaged: bool,
    /// The code of the event it was signed at, if its signing event names one.
    pub event: Option<String>,
    /// Total investment, yuan.
    pub total: i64,
    /// reach(p, s) for each stage.
    pub reach: [Option<NaiveDate>; 6],
    /// 注册日期
    pub registered: Option<NaiveDate>,
    /// 终止日期
    pub terminated: Option<NaiveDate>,
    /// Funds arrived by month (first day of the month, yuan).
    pub funds: Vec<(NaiveDate, i64)>,
}

impl ProjectFacts {
    /// Its investor, when engaged: the key of its `projects_of_investor` list.
    pub fn engaged_investor(&self) -> Option<&str> {
        self.investor.as_deref().filter(|_| self.engaged)
    }

    /// Whether the project reached `stage` on or before `as_of`.
    pub fn reached(&self, stage: Stage, as_of: NaiveDate) -> bool {
        self.reach[stage.index()].is_some_and(|d| d <= as_of)
    }

    /// Whether it was terminated on or before `as_of`.
    pub fn terminated_by(&self, as_of: NaiveDate) -> bool {
        self.terminated.is_some_and(|d| d <= as_of)
    }

    /// Funds arrived up to and including the month of `as_of`, yuan.
    pub fn funds_up_to(&self, as_of: NaiveDate) -> i64 {
        self.funds.iter().filter(|(month, _)| *month <= as_of).map(|(_, f)| f).sum()
    }
}

/// The rows of the five sheets and the projects they refer to.
/// The rows of the five sheets, each shared by every frames they are in (a patch of the
/// frames keeps them), and the facts of the projects they refer to, kept by key
/// ([`Keyed`]) so that a patch copies the facts of the changed projects only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkRows {
    /// The investor directory.
    pub investors: Arc<Vec<investor::Model>>,
    /// Events, ordered by start day then code.
    pub events: Arc<Vec<event::Model>>,
    /// Engagements.
    pub engagements: Arc<Vec<engagement::Model>>,
    /// Incentives.
    pub incentives: Arc<Vec<incentive::Model>>,
    /// Supervision items, ordered by code.
    pub supervision: Arc<Vec<supervision_item::Model>>,
    /// The projects of investors with engagements, of events and of incentives, by code.
    pub projects: Keyed<ProjectFacts>,
    /// Project codes by investor name (of investors with engagements), ordered by code.
    pub projects_of_investor: Keyed<Vec<String>>,
    /// Project codes by the code of the event they were signed at, ordered by code.
    pub projects_of_event: Keyed<Vec<String>>,
    /// The investors with engagements and the projects promised an incentive: what
    /// admits a project, kept so that a patch need not scan the sheets. (Asked for each
    /// of 1,000,000 projects in a full build: a fast hash of stored names, not SipHash.)
    engaged: Arc<rustc_hash::FxHashSet<String>>,
    promised: Arc<rustc_hash::FxHashSet<String>>,
}

/// The most facts a patch carries beside the shared base before folding them into it.
const FOLD_AT: usize = 5_000;

/// The rows of the five sheets as read from the store.
#[derive(Clone, Debug, Default)]
pub struct WorkInput {
    /// `investors`
    pub investors: Vec<investor::Model>,
    /// `events`
    pub events: Vec<event::Model>,
    /// `engagements`
    pub engagements: Vec<engagement::Model>,
    /// `incentives`
    pub incentives: Vec<incentive::Model>,
    /// `supervision_items`
    pub supervision: Vec<supervision_item::Model>,
}

impl WorkInput {
    /// Reads the five tables (in the frames' read transaction).
    pub async fn load(db: &impl crate::store::bulk::Reader) -> Result<WorkInput, DbErr> {
        let small = SmallSheets::load(db).await?;
        Ok(WorkInput::of(crate::store::bulk::read_work(db).await?, small))
    }

    /// The five sheets from the big three ([`crate::store::bulk::WorkTables`]) and the
    /// small two, read apart.
    pub fn of(big: crate::store::bulk::WorkTables, small: SmallSheets) -> WorkInput {
        let crate::store::bulk::WorkTables { investors, engagements, incentives } = big;
        WorkInput { investors, events: small.events, engagements, incentives, supervision: small.supervision }
    }
}

/// The two small sheets of the work: events and supervision items (tens of rows).
#[derive(Clone, Debug, Default)]
pub struct SmallSheets {
    /// `events`
    pub events: Vec<event::Model>,
    /// `supervision_items`
    pub supervision: Vec<supervision_item::Model>,
}

impl SmallSheets {
    /// Reads them through sea-orm.
    pub async fn load(db: &impl ConnectionTrait) -> Result<SmallSheets, DbErr> {
        use entities::prelude::*;
        Ok(SmallSheets { events: Event::find().all(db).await?, supervision: SupervisionItem::find().all(db).await? })
    }
}

/// The event a project's `signing_event` names: an event whose code, else whose name,
/// it equals (`docs/ledger.md`); none when it names no event (it is then plain text).
pub fn event_of<'a>(signing_event: Option<&str>, events: &'a [event::Model]) -> Option<&'a event::Model> {
    let value = signing_event?;
    events.iter().find(|e| e.code == value).or_else(|| events.iter().find(|e| e.name == value))
}

/// Whether the work rows refer to project `p` — signed at one of `events`, its investor
/// engaged, or promised an incentive — with the event and the engaged investor.
fn refers_to<'a>(
    p: &'a project::Model,
    events: &'a [event::Model],
    engaged: impl Fn(&str) -> bool,
    promised: impl Fn(&str) -> bool,
) -> Option<(Option<&'a event::Model>, Option<&'a str>)> {
    let event = event_of(p.signing_event.as_deref(), events);
    let investor = p.investor_name.as_deref().filter(|i| engaged(i));
    (event.is_some() || investor.is_some() || promised(&p.code)).then_some((event, investor))
}

impl WorkRows {
    /// Keeps the rows and the facts of the projects they refer to.
    pub fn build(input: WorkInput, projects: &[project::Model], progress: &[Month]) -> WorkRows {
        let WorkInput { investors, mut events, engagements, incentives, mut supervision } = input;
        events.sort_by(|a, b| (a.date, &a.code).cmp(&(b.date, &b.code)));
        supervision.sort_by(|a, b| a.code.cmp(&b.code));
        let mut rows = WorkRows {
            investors: Arc::new(investors),
            events: Arc::new(events),
            engagements: Arc::new(engagements),
            incentives: Arc::new(incentives),
            supervision: Arc::new(supervision),
            ..Default::default()
        };
        rows.engaged = Arc::new(rows.engagements.iter().map(|e| e.investor_name.clone()).collect());
        rows.promised = Arc::new(rows.incentives.iter().map(|x| x.project_code.clone()).collect());
        let admitted = rows.admitted(projects, progress);
        let (mut of_event, mut of_investor) =
            (HashMap::<String, Vec<String>>::new(), HashMap::<String, Vec<String>>::new());
        for facts in &admitted {
            if let Some(event) = &facts.event {
                of_event.entry(event.clone()).or_default().push(facts.code.clone());
            }
            if let Some(investor) = facts.engaged_investor() {
                of_investor.entry(investor.to_string()).or_default().push(facts.code.clone());
            }
        }
        for codes in of_event.values_mut().chain(of_investor.values_mut()) {
            codes.sort();
        }
        rows.projects = Keyed::from(admitted.into_iter().map(|f| (f.code.clone(), f)).collect::<HashMap<_, _>>());
        rows.projects_of_event = Keyed::from(of_event);
        rows.projects_of_investor = Keyed::from(of_investor);
        rows
    }

    /// Whether a patch of `projects` would change these rows: they hold facts of one of
    /// them, or would now ([`refers_to`]). Most writes concern none, and then the frames
    /// keep these rows as they are.
    pub fn concerns(&self, projects: &[project::Model]) -> bool {
        projects.iter().any(|p| self.projects.get(&p.code).is_some() || self.refers_to(p).is_some())
    }

    /// [`refers_to`] with these rows' sheets.
    fn refers_to<'a>(&'a self, p: &'a project::Model) -> Option<(Option<&'a event::Model>, Option<&'a str>)> {
        refers_to(p, &self.events, |i| self.engaged.contains(i), |code| self.promised.contains(code))
    }

    /// These rows with the facts of `projects` (and their `progress`, every month of
    /// each) taken anew: what a write to those projects changed, and nothing else. The
    /// sheets' rows are shared; the facts and the lists copy only what changed. `None`
    /// when the facts come out the same (the lists follow from them): these rows hold.
    pub fn patched(&self, projects: &[project::Model], progress: &[Month]) -> Option<WorkRows> {
        let changed: HashSet<&str> = projects.iter().map(|p| p.code.as_str()).collect();
        let admitted = self.admitted(projects, progress);
        let now: HashMap<&str, &ProjectFacts> = admitted.iter().map(|f| (f.code.as_str(), f)).collect();
        if changed.iter().all(|code| self.projects.get(code) == now.get(code).copied()) {
            return None;
        }
        // The lists a changed project leaves or joins.
        let (mut events, mut investors) = (BTreeSet::new(), BTreeSet::new());
        let before = projects.iter().filter_map(|p| self.projects.get(&p.code));
        for facts in before.chain(&admitted) {
            events.extend(facts.event.clone());
            investors.extend(facts.engaged_investor().map(str::to_string));
        }
        let lists =
            |lists: &Keyed<Vec<String>>, keys: BTreeSet<String>, key_of: &dyn Fn(&ProjectFacts) -> Option<&str>| {
                let mut updates = HashMap::new();
                for key in keys {
                    let mut codes: Vec<String> = lists.get(&key).cloned().unwrap_or_default();
                    codes.retain(|code| !changed.contains(code.as_str()));
                    codes.extend(admitted.iter().filter(|f| key_of(f) == Some(key.as_str())).map(|f| f.code.clone()));
                    codes.sort();
                    updates.insert(key, (!codes.is_empty()).then_some(codes));
                }
                let fold = lists.changed_len() + updates.len() > FOLD_AT;
                lists.with(updates, fold)
            };
        let projects_of_event = lists(&self.projects_of_event, events, &|f| f.event.as_deref());
        let projects_of_investor = lists(&self.projects_of_investor, investors, &|f| f.engaged_investor());
        let mut facts: HashMap<String, Option<ProjectFacts>> = changed.iter().map(|c| (c.to_string(), None)).collect();
        facts.extend(admitted.into_iter().map(|f| (f.code.clone(), Some(f))));
        let fold = self.projects.changed_len() + facts.len() > FOLD_AT;
        Some(WorkRows {
            projects: self.projects.with(facts, fold),
            projects_of_event,
            projects_of_investor,
            ..self.clone_sheets()
        })
    }

    /// The sheets' rows (shared), without the facts.
    fn clone_sheets(&self) -> WorkRows {
        WorkRows {
            investors: self.investors.clone(),
            events: self.events.clone(),
            engagements: self.engagements.clone(),
            incentives: self.incentives.clone(),
            supervision: self.supervision.clone(),
            engaged: self.engaged.clone(),
            promised: self.promised.clone(),
            ..Default::default()
        }
    }

    /// The facts of those `projects` the rows refer to (by event, engaged investor or
    /// incentive), with their funds from `progress` (months of those projects by
    /// position).
    fn admitted(&self, projects: &[project::Model], progress: &[Month]) -> Vec<ProjectFacts> {
        // Each project's place in `admitted`, if admitted: looked up for every month.
        let mut place = vec![usize::MAX; projects.len()];
        let mut admitted = Vec::new();
        for (at, p) in projects.iter().enumerate() {
            let Some((event, investor)) = self.refers_to(p) else { continue };
            place[at] = admitted.len();
            admitted.push(ProjectFacts {
                code: p.code.clone(),
                name: p.name.clone(),
                unit: p.unit_code.clone(),
                investor: p.investor_name.clone(),
                engaged: investor.is_some(),
                event: event.map(|e| e.code.clone()),
                total: p.total_investment,
                reach: reach_dates(&recorded_dates(p)),
                registered: p.registered_date,
                terminated: p.terminated_date,
                funds: Vec::new(),
            });
        }
        for month in progress {
            if let Some(facts) = place.get(month.project as usize).and_then(|at| admitted.get_mut(*at)) {
                facts.funds.push((month.month, month.funds));
            }
        }
        for facts in &mut admitted {
            // In month order, whatever order the rows were read in.
            facts.funds.sort();
        }
        admitted
    }
}
