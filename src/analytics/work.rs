//! The rows of the work around the pipeline — investors, events, engagements,
//! incentives, supervision items — and the facts of the projects they refer to, read
//! with the frames (one data version) for the metrics of `docs/metrics.md` (engagement
//! funnel, events, incentives, supervision, and their alerts).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entities::{engagement, event, incentive, investor, progress, project, supervision_item};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::rules::{Stage, reach_dates, recorded_dates};

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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkRows {
    /// The investor directory.
    pub investors: Vec<investor::Model>,
    /// Events, ordered by start day then code.
    pub events: Vec<event::Model>,
    /// Engagements.
    pub engagements: Vec<engagement::Model>,
    /// Incentives.
    pub incentives: Vec<incentive::Model>,
    /// Supervision items, ordered by code.
    pub supervision: Vec<supervision_item::Model>,
    /// The projects of investors with engagements, of events and of incentives, by code.
    pub projects: HashMap<String, ProjectFacts>,
    /// Project codes by investor name (of investors with engagements).
    pub projects_of_investor: HashMap<String, Vec<String>>,
    /// Project codes by the code of the event they were signed at, ordered by code.
    pub projects_of_event: HashMap<String, Vec<String>>,
}

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
    pub async fn load(db: &impl ConnectionTrait) -> Result<WorkInput, DbErr> {
        use entities::prelude::*;
        Ok(WorkInput {
            investors: Investor::find().all(db).await?,
            events: Event::find().all(db).await?,
            engagements: Engagement::find().all(db).await?,
            incentives: Incentive::find().all(db).await?,
            supervision: SupervisionItem::find().all(db).await?,
        })
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
    pub fn build(input: WorkInput, projects: &[project::Model], progress: &[progress::Model]) -> WorkRows {
        let WorkInput { investors, mut events, engagements, incentives, mut supervision } = input;
        events.sort_by(|a, b| (a.date, &a.code).cmp(&(b.date, &b.code)));
        supervision.sort_by(|a, b| a.code.cmp(&b.code));
        let mut rows = WorkRows { investors, events, engagements, incentives, supervision, ..Default::default() };
        rows.admit(projects, progress);
        rows
    }

    /// These rows with the facts of `projects` (and their `progress`, every month of
    /// each) taken anew: what a write to those projects changed, and nothing else.
    pub fn patched(self, projects: &[project::Model], progress: &[progress::Model]) -> WorkRows {
        let changed: HashSet<&str> = projects.iter().map(|p| p.code.as_str()).collect();
        let mut rows = self;
        rows.projects.retain(|code, _| !changed.contains(code.as_str()));
        for lists in [&mut rows.projects_of_event, &mut rows.projects_of_investor] {
            for codes in lists.values_mut() {
                codes.retain(|code| !changed.contains(code.as_str()));
            }
            lists.retain(|_, codes| !codes.is_empty());
        }
        rows.admit(projects, progress);
        rows
    }

    /// Whether a patch of `projects` would change these rows: they hold facts of one of
    /// them, or would now ([`refers_to`]). Most writes concern none, and then the frames
    /// keep these rows as they are.
    pub fn concerns(&self, projects: &[project::Model]) -> bool {
        let engaged = |i: &str| self.engagements.iter().any(|e| e.investor_name == i);
        let promised = |code: &str| self.incentives.iter().any(|x| x.project_code == code);
        projects
            .iter()
            .any(|p| self.projects.contains_key(&p.code) || refers_to(p, &self.events, engaged, promised).is_some())
    }

    /// Adds the facts of those `projects` the rows refer to (by event, engaged investor or
    /// incentive), with their funds from `progress`.
    fn admit(&mut self, projects: &[project::Model], progress: &[progress::Model]) {
        let engaged: HashSet<&str> = self.engagements.iter().map(|e| e.investor_name.as_str()).collect();
        let promised: HashSet<&str> = self.incentives.iter().map(|x| x.project_code.as_str()).collect();
        let mut admitted = HashMap::new();
        let (mut touched_events, mut touched_investors) = (HashSet::new(), HashSet::new());
        for p in projects {
            let Some((event, investor)) =
                refers_to(p, &self.events, |i| engaged.contains(i), |code| promised.contains(code))
            else {
                continue;
            };
            if let Some(e) = event {
                self.projects_of_event.entry(e.code.clone()).or_default().push(p.code.clone());
                touched_events.insert(e.code.clone());
            }
            if let Some(i) = investor {
                self.projects_of_investor.entry(i.to_string()).or_default().push(p.code.clone());
                touched_investors.insert(i.to_string());
            }
            let facts = ProjectFacts {
                code: p.code.clone(),
                name: p.name.clone(),
                unit: p.unit_code.clone(),
                investor: p.investor_name.clone(),
                total: p.total_investment,
                reach: reach_dates(&recorded_dates(p)),
                registered: p.registered_date,
                terminated: p.terminated_date,
                funds: Vec::new(),
            };
            admitted.insert(p.code.clone(), facts);
        }
        // Each list in code order, however the projects came.
        for (lists, touched) in
            [(&mut self.projects_of_event, touched_events), (&mut self.projects_of_investor, touched_investors)]
        {
            for key in touched {
                if let Some(codes) = lists.get_mut(&key) {
                    codes.sort();
                }
            }
        }
        for month in progress {
            if let Some(facts) = admitted.get_mut(&month.project_code) {
                facts.funds.push((month.month, month.funds_arrived.unwrap_or(0)));
            }
        }
        for facts in admitted.values_mut() {
            // In month order, whatever order the rows were read in.
            facts.funds.sort();
        }
        self.projects.extend(admitted);
    }
}
