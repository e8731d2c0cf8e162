//! The one access policy: which role may read each GraphQL type's field, argument,
//! filter and order, and so what the public site may publish and what a reader of the
//! audit history sees. Nothing else decides access: the API's guard
//! (`api::auth::Policy`) looks every field up here, the filters and orders of
//! `projects` are checked against here, `project.history` is filtered through here, and
//! the site's allow-list (`publish::public`) asks here which project fields are public.
//!
//! **Adding a field, argument or filter is one line in [`TABLE`]**; a test walks the
//! schema and fails for any field, argument, input field or order without an entry.
//!
//! The rules the public is held to (the API and the site agree):
//! - the public sees projects marked public (公开推介) and **not terminated** by the day
//!   it looks ([`listed_for_public`]);
//! - the investor of such a project is shown only **from SIGNED on** (who is negotiating
//!   an unsigned project is a commercial secret): [`Access::PublicOnceSigned`];
//! - stage dates, terminations and other internal fields are not public, so filters and
//!   orders on them are refused to the public (a filter must not be an oracle);
//! - contacts are for the editors of the project's unit and for admins
//!   ([`Access::OwnUnit`]), in fields and in the audit history alike.
//!
//! This module knows nothing of GraphQL or HTTP: it sits below both `api` and `publish`.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;

/// The roles, from least to most allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// No token: public projects and public fields only.
    Public,
    /// Reads everything except contact fields.
    Analyst,
    /// Also writes its own unit's projects, progress and issues, and reads their contacts.
    Editor,
    /// Everything: targets, any unit.
    Admin,
}

impl Role {
    /// Every role, least allowed first.
    pub const ALL: [Role; 4] = [Role::Public, Role::Analyst, Role::Editor, Role::Admin];

    /// Parses `analyst`, `editor` or `admin`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "analyst" => Some(Role::Analyst),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        ["public", "analyst", "editor", "admin"][self as usize]
    }
}

/// Who may read (or, for mutations, call) an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, the public included.
    Public,
    /// The public for a project signed by today; analysts and above always.
    PublicOnceSigned,
    /// Analysts, editors and admins.
    Internal,
    /// The editors of the row's unit, and admins.
    OwnUnit,
    /// Editors (the write itself checks it is their unit) and admins.
    Editor,
    /// Admins only.
    Admin,
}

/// Who is reading.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    /// The role.
    pub role: Role,
    /// For editors: their unit's code.
    pub unit: Option<&'a str>,
}

impl Reader<'_> {
    /// The public.
    pub const PUBLIC: Reader<'static> = Reader { role: Role::Public, unit: None };
}

/// What a row-dependent rule needs to know of the row being read.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// The unit responsible for the row (a project's, or the project's of a progress
    /// month, issue, history entry).
    pub unit: &'a str,
    /// Whether the project had reached SIGNED by the day it is read for.
    pub signed: bool,
}

impl Row<'_> {
    /// The row facts of a project as of `day`.
    pub fn of_project(p: &entities::project::Model, day: NaiveDate) -> Row<'_> {
        let signed = crate::rules::stage_as_of(p, day).is_some_and(|s| s >= crate::rules::Stage::Signed);
        Row { unit: &p.unit_code, signed }
    }
}

impl Access {
    /// Whether `reader` may read an entry with this access on `row` (`None` when the
    /// entry is not about one row: row-dependent rules then fail closed).
    pub fn allows(self, reader: Reader<'_>, row: Option<Row<'_>>) -> bool {
        match self {
            Access::Public => true,
            Access::PublicOnceSigned => reader.role >= Role::Analyst || row.is_some_and(|r| r.signed),
            Access::Internal => reader.role >= Role::Analyst,
            Access::OwnUnit => {
                reader.role == Role::Admin
                    || (reader.role == Role::Editor && row.is_some_and(|r| reader.unit == Some(r.unit)))
            }
            Access::Editor => reader.role >= Role::Editor,
            Access::Admin => reader.role == Role::Admin,
        }
    }

    /// The least role that may read it (for a row of the reader's own unit, signed).
    pub fn least_role(self) -> Role {
        match self {
            Access::Public | Access::PublicOnceSigned => Role::Public,
            Access::Internal => Role::Analyst,
            Access::OwnUnit | Access::Editor => Role::Editor,
            Access::Admin => Role::Admin,
        }
    }
}

use Access::{Admin, Editor, Internal, OwnUnit, Public, PublicOnceSigned};

/// The table: `Type.field`, `Type.field(argument)`, `Input.field` and `Order.VALUE`,
/// each with who may read (or call, or use) it. An argument or input field may be
/// stricter than its field: using it is then refused to the roles it excludes.
pub const TABLE: &[(&str, Access)] = &[
    // The query root.
    ("Query.project", Public),
    ("Query.project(code)", Public),
    ("Query.unit", Public),
    ("Query.unit(code)", Public),
    ("Query.units", Public),
    ("Query.industries", Public),
    ("Query.investor", Internal),
    ("Query.investor(name)", Internal),
    ("Query.projects", Public),
    ("Query.projects(first)", Public),
    ("Query.projects(after)", Public),
    ("Query.projects(filter)", Public),
    ("Query.projects(orderBy)", Public),
    ("Query.trend", Internal),
    ("Query.trend(metric)", Internal),
    ("Query.trend(from)", Internal),
    ("Query.trend(to)", Internal),
    ("Query.trend(granularity)", Internal),
    ("Query.trend(filter)", Internal),
    ("Query.trend(asOf)", Internal),
    ("Query.cohort", Internal),
    ("Query.cohort(signedFrom)", Internal),
    ("Query.cohort(signedTo)", Internal),
    ("Query.cohort(asOf)", Internal),
    ("Query.cohort(filter)", Internal),
    ("Query.funnel", Internal),
    ("Query.funnel(intakeFrom)", Internal),
    ("Query.funnel(intakeTo)", Internal),
    ("Query.funnel(asOf)", Internal),
    ("Query.funnel(filter)", Internal),
    ("Query.pipeline", Internal),
    ("Query.pipeline(asOf)", Internal),
    ("Query.pipeline(filter)", Internal),
    ("Query.alerts", Internal),
    ("Query.alerts(asOf)", Internal),
    ("Query.alerts(year)", Internal),
    ("Query.scorecards", Internal),
    ("Query.scorecards(year)", Internal),
    ("Query.scorecards(quarter)", Internal),
    ("Query.scorecards(bottom)", Internal),
    // Promotion (`api::promotion`): the chain map and public carriers are what the
    // district promotes; figures that count unpublished projects or carriers are internal.
    ("Query.chains", Public),
    ("Query.chains(asOf)", Public),
    ("Query.carrier", Public),
    ("Query.carrier(code)", Public),
    ("Query.carriers", Public),
    ("Query.carriers(filter)", Public),
    ("Query.carrierSupply", Internal),
    ("Query.carrierSupply(asOf)", Internal),
    ("Query.carrierSupply(groupBy)", Internal),
    ("Query.matchedLandIssues", Internal),
    ("Query.matchedLandIssues(asOf)", Internal),
    ("Chain.name", Public),
    ("Chain.cluster", Public),
    ("Chain.links", Public),
    ("Chain.coverage", Public),
    ("Chain.strength", Public),
    ("ChainLinkStatus.link", Public),
    ("ChainLinkStatus.position", Public),
    ("ChainLinkStatus.order", Public),
    ("ChainLinkStatus.status", Public),
    ("ChainLinkStatus.statusZh", Public),
    ("ChainLinkStatus.sought", Public),
    // Projects listed for the public only (see `listed_for_public`).
    ("ChainLinkStatus.projects", Public),
    // A link with one unpublished project would give its investment away.
    ("ChainLinkStatus.projectCount", Internal),
    ("ChainLinkStatus.investmentWan", Internal),
    // Carriers: the public sees those marked public (`api::promotion::visible_carriers`).
    ("Carrier.code", Public),
    ("Carrier.name", Public),
    ("Carrier.kind", Public),
    ("Carrier.unit", Public),
    ("Carrier.unitCode", Public),
    ("Carrier.areaMu", Public),
    ("Carrier.floorArea", Public),
    ("Carrier.price", Public),
    ("Carrier.status", Public),
    ("Carrier.availableFrom", Public),
    ("Carrier.available", Public),
    ("Carrier.available(asOf)", Public),
    ("Carrier.public", Public),
    ("Carrier.summary", Public),
    ("Carrier.contactName", OwnUnit),
    ("Carrier.contactPhone", OwnUnit),
    ("Carrier.projects", Public),
    ("CarriersFilter.units", Public),
    ("CarriersFilter.kinds", Public),
    ("CarriersFilter.statuses", Public),
    ("CarriersFilter.available", Public),
    ("CarriersFilter.asOf", Public),
    ("CarriersFilter.text", Public),
    ("CarrierSupply.unit", Internal),
    ("CarrierSupply.unitCode", Internal),
    ("CarrierSupply.kind", Internal),
    ("CarrierSupply.count", Internal),
    ("CarrierSupply.areaMu", Internal),
    ("MatchedLandIssue.issue", Internal),
    ("MatchedLandIssue.unitCode", Internal),
    ("MatchedLandIssue.carriers", Internal),
    // `projects`: its filter and orders. Public filters touch public fields only.
    ("ProjectsFilter.units", Public),
    ("ProjectsFilter.industries", Public),
    ("ProjectsFilter.stages", Public),
    ("ProjectsFilter.stagesAsOf", Internal),
    ("ProjectsFilter.signedFrom", Internal),
    ("ProjectsFilter.signedTo", Internal),
    ("ProjectsFilter.keyOnly", Public),
    ("ProjectsFilter.public", Public),
    ("ProjectsFilter.terminated", Internal),
    // For the public it matches the project's name only, never the investor's.
    ("ProjectsFilter.text", Public),
    ("ProjectOrder.CODE", Public),
    ("ProjectOrder.NAME", Public),
    ("ProjectOrder.TOTAL_INVESTMENT_DESC", Public),
    ("ProjectOrder.TOTAL_INVESTMENT_ASC", Public),
    ("ProjectOrder.SIGNED_DATE_DESC", Internal),
    ("ProjectOrder.SIGNED_DATE_ASC", Internal),
    ("ProjectConnection.pageInfo", Public),
    ("ProjectConnection.edges", Public),
    ("ProjectConnection.nodes", Public),
    ("ProjectConnection.totalCount", Public),
    ("ProjectEdge.node", Public),
    ("ProjectEdge.cursor", Public),
    ("PageInfo.hasPreviousPage", Public),
    ("PageInfo.hasNextPage", Public),
    ("PageInfo.startCursor", Public),
    ("PageInfo.endCursor", Public),
    // A project: what the site publishes is public; the rest is internal.
    ("Project.code", Public),
    ("Project.name", Public),
    ("Project.version", Internal),
    ("Project.nationalCode", Internal),
    ("Project.unit", Public),
    ("Project.unitCode", Public),
    ("Project.industry", Public),
    ("Project.industryName", Public),
    ("Project.investor", PublicOnceSigned),
    ("Project.investorName", PublicOnceSigned),
    ("Project.channel", Internal),
    ("Project.contractType", Internal),
    ("Project.signingEvent", Internal),
    ("Project.totalInvestmentWan", Public),
    ("Project.intentDate", Internal),
    ("Project.negotiationDate", Internal),
    ("Project.signedDate", Internal),
    ("Project.registeredDate", Internal),
    ("Project.plannedStartDate", Internal),
    ("Project.startedDate", Internal),
    ("Project.plannedProductionDate", Internal),
    ("Project.producingDate", Internal),
    ("Project.capacityDate", Internal),
    ("Project.statsDate", Internal),
    ("Project.stage", Public),
    // A stage on any day would give the stage dates away by bisection.
    ("Project.stageAsOf", Internal),
    ("Project.stageAsOf(date)", Internal),
    ("Project.terminated", Internal),
    ("Project.terminated(asOf)", Internal),
    ("Project.terminatedDate", Internal),
    ("Project.terminatedReason", Internal),
    ("Project.landAreaMu", Public),
    ("Project.expectedOutputWan", Internal),
    ("Project.expectedTaxWan", Internal),
    ("Project.expectedJobs", Public),
    ("Project.keyProject", Public),
    ("Project.public", Public),
    ("Project.summary", Public),
    ("Project.chainLink", Public),
    // Null for the public when the carrier is not public (`api::promotion::visible_carriers`).
    ("Project.carrier", Public),
    ("Project.contactName", OwnUnit),
    ("Project.contactPhone", OwnUnit),
    ("Project.progress", Internal),
    ("Project.progress(last)", Internal),
    ("Project.issues", Internal),
    ("Project.history", Internal),
    ("Project.history(first)", Internal),
    // Units, industries, investors.
    ("Unit.code", Public),
    ("Unit.name", Public),
    ("Unit.kind", Public),
    ("Unit.projects", Public),
    ("Unit.projects(first)", Public),
    ("Unit.targets", Internal),
    ("Unit.targets(year)", Internal),
    ("Unit.scorecard", Internal),
    ("Unit.scorecard(year)", Internal),
    ("Unit.scorecard(quarter)", Internal),
    ("Unit.scorecard(bottom)", Internal),
    ("Unit.alerts", Internal),
    ("Unit.alerts(asOf)", Internal),
    ("Unit.alerts(year)", Internal),
    ("Industry.name", Public),
    ("Industry.cluster", Public),
    ("Industry.projects", Public),
    ("Industry.projects(first)", Public),
    // The public reaches an investor only through a signed project.
    ("Investor.name", Public),
    ("Investor.origin", Internal),
    ("Investor.projects", Internal),
    ("Investor.projects(first)", Internal),
    // Progress, issues, targets, history: internal.
    ("ProgressMonth.projectCode", Internal),
    ("ProgressMonth.month", Internal),
    ("ProgressMonth.period", Internal),
    ("ProgressMonth.faiWan", Internal),
    ("ProgressMonth.fundsArrivedWan", Internal),
    ("ProgressMonth.outOfRegionFundsWan", Internal),
    ("ElementIssue.id", Internal),
    ("ElementIssue.projectCode", Internal),
    ("ElementIssue.category", Internal),
    ("ElementIssue.description", Internal),
    ("ElementIssue.ownerUnitCode", Internal),
    ("ElementIssue.openedDate", Internal),
    ("ElementIssue.resolvedDate", Internal),
    ("ElementIssue.open", Internal),
    ("Target.unitCode", Internal),
    ("Target.year", Internal),
    ("Target.metric", Internal),
    ("Target.metricName", Internal),
    ("Target.isMoney", Internal),
    ("Target.value", Internal),
    ("AuditEntry.id", Internal),
    ("AuditEntry.at", Internal),
    ("AuditEntry.actor", Internal),
    ("AuditEntry.action", Internal),
    ("AuditEntry.entity", Internal),
    ("AuditEntry.key", Internal),
    // Filtered field by field through this table (see `filter_row`).
    ("AuditEntry.before", Internal),
    ("AuditEntry.after", Internal),
    // Analytics: internal.
    ("ProjectFilter.units", Internal),
    ("ProjectFilter.industries", Internal),
    ("ProjectFilter.channels", Internal),
    ("ProjectFilter.keyOnly", Internal),
    ("TrendPoint.period", Internal),
    ("TrendPoint.value", Internal),
    ("TrendPoint.cumulative", Internal),
    ("TrendPoint.yoy", Internal),
    ("Cohort.size", Internal),
    ("Cohort.landingRate", Internal),
    ("Cohort.productionRate", Internal),
    ("Cohort.fulfillmentRate", Internal),
    ("Cohort.registrationRate", Internal),
    ("Cohort.fundArrivalRate", Internal),
    ("Cohort.totalInvestmentWan", Internal),
    ("Cohort.fundsArrivedWan", Internal),
    ("Cohort.landed", Internal),
    ("Cohort.notLanded", Internal),
    ("Cohort.memberCodes", Internal),
    ("Cohort.producingCodes", Internal),
    ("Cohort.fulfilledCodes", Internal),
    ("Cohort.registeredCodes", Internal),
    ("Funnel.stages", Internal),
    ("Funnel.intentToProduction", Internal),
    ("Funnel.memberCodes", Internal),
    ("FunnelStage.stage", Internal),
    ("FunnelStage.reached", Internal),
    ("FunnelStage.conversionToNext", Internal),
    ("FunnelStage.daysToNextMedian", Internal),
    ("FunnelStage.daysToNextP90", Internal),
    ("FunnelStage.daysToNextCount", Internal),
    ("PipelineStage.stage", Internal),
    ("PipelineStage.count", Internal),
    ("PipelineStage.investmentWan", Internal),
    ("Alert.kind", Internal),
    ("Alert.label", Internal),
    ("Alert.unit", Internal),
    ("Alert.unitCode", Internal),
    ("Alert.project", Internal),
    ("Alert.projectCode", Internal),
    ("Alert.ageDays", Internal),
    ("Alert.issueId", Internal),
    ("Alert.investorName", Internal),
    ("Alert.supervisionCode", Internal),
    ("Alert.level", Internal),
    ("Alert.amountWan", Internal),
    ("ScoreMetric.metric", Internal),
    ("ScoreMetric.target", Internal),
    ("ScoreMetric.actual", Internal),
    ("ScoreMetric.attainment", Internal),
    ("ScoreMetric.weight", Internal),
    ("Scorecard.unit", Internal),
    ("Scorecard.unitCode", Internal),
    ("Scorecard.score", Internal),
    ("Scorecard.rank", Internal),
    ("Scorecard.bottom", Internal),
    ("Scorecard.accountability", Internal),
    ("Scorecard.metrics", Internal),
    // Writes: editors of the unit concerned (each mutation checks the unit), admins.
    ("GraphMutation.createProject", Editor),
    ("GraphMutation.createProject(input)", Editor),
    ("GraphMutation.updateProject", Editor),
    ("GraphMutation.updateProject(code)", Editor),
    ("GraphMutation.updateProject(input)", Editor),
    ("GraphMutation.updateProject(expectedVersion)", Editor),
    ("GraphMutation.advanceStage", Editor),
    ("GraphMutation.advanceStage(code)", Editor),
    ("GraphMutation.advanceStage(stage)", Editor),
    ("GraphMutation.advanceStage(date)", Editor),
    ("GraphMutation.advanceStage(expectedVersion)", Editor),
    ("GraphMutation.terminateProject", Editor),
    ("GraphMutation.terminateProject(code)", Editor),
    ("GraphMutation.terminateProject(date)", Editor),
    ("GraphMutation.terminateProject(reason)", Editor),
    ("GraphMutation.terminateProject(expectedVersion)", Editor),
    ("GraphMutation.recordProgress", Editor),
    ("GraphMutation.recordProgress(code)", Editor),
    ("GraphMutation.recordProgress(month)", Editor),
    ("GraphMutation.recordProgress(faiWan)", Editor),
    ("GraphMutation.recordProgress(fundsArrivedWan)", Editor),
    ("GraphMutation.recordProgress(outOfRegionFundsWan)", Editor),
    ("GraphMutation.openIssue", Editor),
    ("GraphMutation.openIssue(code)", Editor),
    ("GraphMutation.openIssue(category)", Editor),
    ("GraphMutation.openIssue(description)", Editor),
    ("GraphMutation.openIssue(ownerUnitCode)", Editor),
    ("GraphMutation.openIssue(openedDate)", Editor),
    ("GraphMutation.resolveIssue", Editor),
    ("GraphMutation.resolveIssue(id)", Editor),
    ("GraphMutation.resolveIssue(date)", Editor),
    ("GraphMutation.setTarget", Admin),
    ("GraphMutation.setTarget(unitCode)", Admin),
    ("GraphMutation.setTarget(year)", Admin),
    ("GraphMutation.setTarget(metric)", Admin),
    ("GraphMutation.setTarget(value)", Admin),
    ("ProjectFields.code", Editor),
    ("ProjectFields.name", Editor),
    ("ProjectFields.nationalCode", Editor),
    ("ProjectFields.unitCode", Editor),
    ("ProjectFields.industryName", Editor),
    ("ProjectFields.investorName", Editor),
    // The investor is shared by units: changing its origin is checked against every
    // project that uses it (see `api::mutation`).
    ("ProjectFields.investorOrigin", Editor),
    ("ProjectFields.channel", Editor),
    ("ProjectFields.contractType", Editor),
    ("ProjectFields.signingEvent", Editor),
    ("ProjectFields.totalInvestmentWan", Editor),
    ("ProjectFields.intentDate", Editor),
    ("ProjectFields.negotiationDate", Editor),
    ("ProjectFields.signedDate", Editor),
    ("ProjectFields.registeredDate", Editor),
    ("ProjectFields.plannedStartDate", Editor),
    ("ProjectFields.startedDate", Editor),
    ("ProjectFields.plannedProductionDate", Editor),
    ("ProjectFields.producingDate", Editor),
    ("ProjectFields.capacityDate", Editor),
    ("ProjectFields.statsDate", Editor),
    ("ProjectFields.landAreaMu", Editor),
    ("ProjectFields.expectedOutputWan", Editor),
    ("ProjectFields.expectedTaxWan", Editor),
    ("ProjectFields.expectedJobs", Editor),
    ("ProjectFields.keyProject", Editor),
    ("ProjectFields.public", Editor),
    ("ProjectFields.summary", Editor),
    ("ProjectFields.chainLink", Editor),
    ("ProjectFields.carrierCode", Editor),
    ("ProjectFields.contactName", Editor),
    ("ProjectFields.contactPhone", Editor),
    // The work around the pipeline (investor directory, events, engagements,
    // incentives, supervision). The public sees public events; contacts, engagement
    // summaries, supervision descriptions and investor notes are for the row's unit's
    // editors (an investor's following unit) and admins; supervisors (admins) raise items.
    ("Query.engagementFunnel", Internal),
    ("Query.engagementFunnel(asOf)", Internal),
    ("Query.engagementFunnel(contactFrom)", Internal),
    ("Query.engagementFunnel(contactTo)", Internal),
    ("Query.engagementFunnel(groupBy)", Internal),
    ("Query.engagements", Internal),
    ("Query.engagements(after)", Internal),
    ("Query.engagements(filter)", Internal),
    ("Query.engagements(first)", Internal),
    ("Query.event", Public),
    ("Query.event(code)", Public),
    ("Query.events", Public),
    ("Query.events(from)", Public),
    ("Query.events(to)", Public),
    ("Query.incentiveSummary", Internal),
    ("Query.incentiveSummary(asOf)", Internal),
    ("Query.incentiveSummary(groupBy)", Internal),
    ("Query.incentives", Internal),
    ("Query.incentives(after)", Internal),
    ("Query.incentives(filter)", Internal),
    ("Query.incentives(first)", Internal),
    ("Query.investors", Internal),
    ("Query.investors(after)", Internal),
    ("Query.investors(filter)", Internal),
    ("Query.investors(first)", Internal),
    ("Query.supervisionItems", Internal),
    ("Query.supervisionItems(after)", Internal),
    ("Query.supervisionItems(filter)", Internal),
    ("Query.supervisionItems(first)", Internal),
    ("Query.supervisionSummary", Internal),
    ("Query.supervisionSummary(asOf)", Internal),
    ("Query.supervisionSummary(from)", Internal),
    ("Query.supervisionSummary(groupBy)", Internal),
    ("Query.supervisionSummary(to)", Internal),
    ("Event.code", Public),
    ("Event.date", Public),
    ("Event.endDate", Public),
    ("Event.kind", Public),
    ("Event.name", Public),
    ("Event.organizer", Public),
    ("Event.place", Public),
    ("Event.projects", Public),
    ("Event.public", Public),
    ("Event.report", Internal),
    ("Event.report(asOf)", Internal),
    ("Event.summary", Public),
    ("EventReport.attendees", Internal),
    ("EventReport.fundArrivalRate", Internal),
    ("EventReport.landingRate", Internal),
    ("EventReport.notLanded", Internal),
    ("EventReport.productionRate", Internal),
    ("EventReport.signedCount", Internal),
    ("EventReport.signedInvestmentWan", Internal),
    ("EngagementFunnelRow.contacted", Internal),
    ("EngagementFunnelRow.group", Internal),
    ("EngagementFunnelRow.intent", Internal),
    ("EngagementFunnelRow.intentRate", Internal),
    ("EngagementFunnelRow.signed", Internal),
    ("EngagementFunnelRow.signingRate", Internal),
    ("EngagementFunnelRow.visitRate", Internal),
    ("EngagementFunnelRow.visited", Internal),
    ("IncentiveSummaryRow.group", Internal),
    ("IncentiveSummaryRow.overdueCount", Internal),
    ("IncentiveSummaryRow.paidWan", Internal),
    ("IncentiveSummaryRow.paymentRate", Internal),
    ("IncentiveSummaryRow.promisedWan", Internal),
    ("SupervisionSummaryRow.due", Internal),
    ("SupervisionSummaryRow.group", Internal),
    ("SupervisionSummaryRow.onTimeRate", Internal),
    ("SupervisionSummaryRow.open", Internal),
    ("SupervisionSummaryRow.overdue", Internal),
    ("Investor.contactName", OwnUnit),
    ("Investor.contactPhone", OwnUnit),
    ("Investor.engagements", Internal),
    ("Investor.engagements(first)", Internal),
    ("Investor.industryName", Internal),
    ("Investor.introduced", Internal),
    ("Investor.introducedBy", Internal),
    ("Investor.introducedByName", Internal),
    ("Investor.kind", Internal),
    ("Investor.notes", OwnUnit),
    ("Investor.ownerUnit", Internal),
    ("Investor.ownerUnitCode", Internal),
    ("Investor.status", Internal),
    ("InvestorConnection.edges", Internal),
    ("InvestorConnection.nodes", Internal),
    ("InvestorConnection.pageInfo", Internal),
    ("InvestorEdge.cursor", Internal),
    ("InvestorEdge.node", Internal),
    ("InvestorsFilter.introducedBy", Internal),
    ("InvestorsFilter.kinds", Internal),
    ("InvestorsFilter.ownerUnits", Internal),
    ("InvestorsFilter.statuses", Internal),
    ("InvestorsFilter.text", Internal),
    ("Engagement.date", Internal),
    ("Engagement.event", Internal),
    ("Engagement.eventCode", Internal),
    ("Engagement.investor", Internal),
    ("Engagement.investorName", Internal),
    ("Engagement.kind", Internal),
    ("Engagement.nextDate", Internal),
    ("Engagement.outpost", Internal),
    ("Engagement.project", Internal),
    ("Engagement.projectCode", Internal),
    ("Engagement.summary", OwnUnit),
    ("Engagement.unit", Internal),
    ("Engagement.unitCode", Internal),
    ("EngagementConnection.edges", Internal),
    ("EngagementConnection.nodes", Internal),
    ("EngagementConnection.pageInfo", Internal),
    ("EngagementEdge.cursor", Internal),
    ("EngagementEdge.node", Internal),
    ("EngagementsFilter.event", Internal),
    ("EngagementsFilter.from", Internal),
    ("EngagementsFilter.investor", Internal),
    ("EngagementsFilter.kinds", Internal),
    ("EngagementsFilter.outpost", Internal),
    ("EngagementsFilter.to", Internal),
    ("EngagementsFilter.units", Internal),
    ("Incentive.dueDate", Internal),
    ("Incentive.kind", Internal),
    ("Incentive.overdue", Internal),
    ("Incentive.overdue(asOf)", Internal),
    ("Incentive.paidDate", Internal),
    ("Incentive.paidWan", Internal),
    ("Incentive.policy", Internal),
    ("Incentive.project", Internal),
    ("Incentive.projectCode", Internal),
    ("Incentive.promisedDate", Internal),
    ("Incentive.promisedWan", Internal),
    ("IncentiveConnection.edges", Internal),
    ("IncentiveConnection.nodes", Internal),
    ("IncentiveConnection.pageInfo", Internal),
    ("IncentiveEdge.cursor", Internal),
    ("IncentiveEdge.node", Internal),
    ("IncentivesFilter.dueFrom", Internal),
    ("IncentivesFilter.dueTo", Internal),
    ("IncentivesFilter.kinds", Internal),
    ("IncentivesFilter.projects", Internal),
    ("IncentivesFilter.units", Internal),
    ("SupervisionItem.closedDate", Internal),
    ("SupervisionItem.code", Internal),
    ("SupervisionItem.daysOverdue", Internal),
    ("SupervisionItem.daysOverdue(asOf)", Internal),
    ("SupervisionItem.deadline", Internal),
    ("SupervisionItem.description", OwnUnit),
    ("SupervisionItem.level", Internal),
    ("SupervisionItem.level(asOf)", Internal),
    ("SupervisionItem.project", Internal),
    ("SupervisionItem.projectCode", Internal),
    ("SupervisionItem.raisedDate", Internal),
    ("SupervisionItem.source", Internal),
    ("SupervisionItem.unit", Internal),
    ("SupervisionItem.unitCode", Internal),
    ("SupervisionItemConnection.edges", Internal),
    ("SupervisionItemConnection.nodes", Internal),
    ("SupervisionItemConnection.pageInfo", Internal),
    ("SupervisionItemEdge.cursor", Internal),
    ("SupervisionItemEdge.node", Internal),
    ("SupervisionFilter.deadlineFrom", Internal),
    ("SupervisionFilter.deadlineTo", Internal),
    ("SupervisionFilter.open", Internal),
    ("SupervisionFilter.units", Internal),
    ("GraphMutation.closeSupervision", Editor),
    ("GraphMutation.closeSupervision(closedDate)", Editor),
    ("GraphMutation.closeSupervision(code)", Editor),
    ("GraphMutation.createEvent", Editor),
    ("GraphMutation.createEvent(input)", Editor),
    ("GraphMutation.promiseIncentive", Editor),
    ("GraphMutation.promiseIncentive(input)", Editor),
    ("GraphMutation.raiseSupervision", Admin),
    ("GraphMutation.raiseSupervision(input)", Admin),
    ("GraphMutation.recordEngagement", Editor),
    ("GraphMutation.recordEngagement(input)", Editor),
    ("GraphMutation.recordIncentivePayment", Editor),
    ("GraphMutation.recordIncentivePayment(paidDate)", Editor),
    ("GraphMutation.recordIncentivePayment(paidWan)", Editor),
    ("GraphMutation.recordIncentivePayment(policy)", Editor),
    ("GraphMutation.recordIncentivePayment(projectCode)", Editor),
    ("GraphMutation.updateEvent", Editor),
    ("GraphMutation.updateEvent(code)", Editor),
    ("GraphMutation.updateEvent(input)", Editor),
    ("EngagementInput.date", Editor),
    ("EngagementInput.eventCode", Editor),
    ("EngagementInput.investorName", Editor),
    ("EngagementInput.kind", Editor),
    ("EngagementInput.nextDate", Editor),
    ("EngagementInput.outpost", Editor),
    ("EngagementInput.projectCode", Editor),
    ("EngagementInput.summary", Editor),
    ("EngagementInput.unitCode", Editor),
    ("EventInput.code", Editor),
    ("EventInput.date", Editor),
    ("EventInput.endDate", Editor),
    ("EventInput.kind", Editor),
    ("EventInput.name", Editor),
    ("EventInput.organizerUnitCode", Editor),
    ("EventInput.place", Editor),
    ("EventInput.public", Editor),
    ("EventInput.summary", Editor),
    ("IncentiveInput.dueDate", Editor),
    ("IncentiveInput.kind", Editor),
    ("IncentiveInput.policy", Editor),
    ("IncentiveInput.projectCode", Editor),
    ("IncentiveInput.promisedDate", Editor),
    ("IncentiveInput.promisedWan", Editor),
    ("SupervisionInput.code", Admin),
    ("SupervisionInput.deadline", Admin),
    ("SupervisionInput.description", Admin),
    ("SupervisionInput.projectCode", Admin),
    ("SupervisionInput.raisedDate", Admin),
    ("SupervisionInput.source", Admin),
    ("SupervisionInput.unitCode", Admin),
];

/// The table by type, then by field (or `field(argument)`): built once.
fn index() -> &'static HashMap<&'static str, HashMap<&'static str, Access>> {
    static INDEX: OnceLock<HashMap<&'static str, HashMap<&'static str, Access>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_type: HashMap<&'static str, HashMap<&'static str, Access>> = HashMap::new();
        for (path, access) in TABLE {
            let (type_name, field) = path.split_once('.').unwrap_or((path, ""));
            by_type.entry(type_name).or_default().insert(field, *access);
        }
        by_type
    })
}

/// The entry of `type_name.field` (a field, `field(argument)`, input field or order
/// value); `None` when the table has none (which a test forbids).
pub fn lookup(type_name: &str, field: &str) -> Option<Access> {
    index().get(type_name)?.get(field).copied()
}

/// The entry of a dotted path, e.g. `Project.contactName`.
pub fn access(path: &str) -> Option<Access> {
    let (type_name, field) = path.split_once('.')?;
    lookup(type_name, field)
}

/// Whether `reader` may read `path` on `row`; a path without an entry is never readable.
pub fn may_read(path: &str, reader: Reader<'_>, row: Option<Row<'_>>) -> bool {
    access(path).is_some_and(|a| a.allows(reader, row))
}

/// Whether the public may see a project at all on `day`: marked public and not
/// terminated by then. The API's project lists and the site both follow this.
pub fn listed_for_public(p: &entities::project::Model, day: NaiveDate) -> bool {
    p.public && p.terminated_date.is_none_or(|t| t > day)
}

/// Whether the public may see a carrier at all: it is marked public (公开推介). The API
/// asks the same of its queries (`api::promotion::visible_carriers`, as a condition);
/// the site and the brochure list those of them available on the day.
pub fn carrier_listed_for_public(c: &entities::carrier::Model) -> bool {
    c.public
}

/// The GraphQL type whose fields describe the rows of a stored table, for the audit
/// history (`projects` → `Project`, …).
pub fn type_of_table(table: &str) -> Option<&'static str> {
    match table {
        "projects" => Some("Project"),
        "progress" => Some("ProgressMonth"),
        "element_issues" => Some("ElementIssue"),
        "targets" => Some("Target"),
        "investors" => Some("Investor"),
        "industries" => Some("Industry"),
        "units" => Some("Unit"),
        "carriers" => Some("Carrier"),
        _ => None,
    }
}

/// The field of `type_name` that shows a stored column (`contact_name` → `contactName`,
/// `total_investment` → `totalInvestmentWan`), if any.
pub fn field_of_column(type_name: &str, column: &str) -> Option<&'static str> {
    let camel = camel_case(column);
    let fields = index().get(type_name)?;
    [camel.clone(), format!("{camel}Wan")].iter().find_map(|name| fields.get_key_value(name.as_str()).map(|(k, _)| *k))
}

/// `snake_case` → `camelCase`: a stored column's name as GraphQL spells its field.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A stored row (as JSON, as the audit trail keeps it) with only the columns `reader`
/// may read: each column is judged by the entry of the field that shows it, and a
/// column no field shows is left out, and so is the whole row of a table no type shows
/// (closed by default).
pub fn filter_row(
    table: &str,
    row: &serde_json::Value,
    reader: Reader<'_>,
    facts: Option<Row<'_>>,
) -> serde_json::Value {
    let Some(type_name) = type_of_table(table) else { return serde_json::Value::Null };
    let serde_json::Value::Object(columns) = row else { return serde_json::Value::Null };
    let kept = columns
        .iter()
        .filter(|(column, _)| {
            field_of_column(type_name, column)
                .and_then(|field| lookup(type_name, field))
                .is_some_and(|a| a.allows(reader, facts))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (path, _) in TABLE {
            assert!(seen.insert(*path), "{path} is listed twice");
        }
    }

    #[test]
    fn contacts_are_for_the_units_editors_and_admins() {
        let row = Row { unit: "T01", signed: true };
        let editor = |unit| Reader { role: Role::Editor, unit: Some(unit) };
        assert!(may_read("Project.contactName", editor("T01"), Some(row)));
        assert!(!may_read("Project.contactName", editor("T02"), Some(row)));
        assert!(!may_read("Project.contactName", Reader { role: Role::Analyst, unit: None }, Some(row)));
        assert!(may_read("Project.contactName", Reader { role: Role::Admin, unit: None }, None));
        assert!(!may_read("Project.contactName", editor("T01"), None), "without the row it fails closed");
    }

    #[test]
    fn the_public_sees_an_investor_only_once_signed() {
        let unsigned = Row { unit: "T01", signed: false };
        assert!(!may_read("Project.investorName", Reader::PUBLIC, Some(unsigned)));
        assert!(may_read("Project.investorName", Reader::PUBLIC, Some(Row { signed: true, ..unsigned })));
        assert!(may_read("Project.investorName", Reader { role: Role::Analyst, unit: None }, Some(unsigned)));
    }

    #[test]
    fn columns_map_to_their_fields() {
        assert_eq!(field_of_column("Project", "contact_phone"), Some("contactPhone"));
        assert_eq!(field_of_column("Project", "total_investment"), Some("totalInvestmentWan"));
        assert_eq!(field_of_column("ProgressMonth", "fai"), Some("faiWan"));
        assert_eq!(field_of_column("Project", "no_such_column"), None);
    }
}
