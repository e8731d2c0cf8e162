//! The work around the pipeline through the GraphQL API: the analytics under the
//! issue's names with the hand-worked figures of `tests/pipeline_figures.rs`, the roles
//! (confidential fields, public events), and the audited mutations with the ledger's
//! validation — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{Api, TestDb, error_codes, sample_csv, viewer};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use zhaoshang::api::auth::Role;

async fn sample_api(t: &TestDb) -> Api {
    zhaoshang::jobs::import_file(&t.db, &sample_csv(), "test").await.expect("import");
    Api::new(&t.db)
}

fn analyst() -> zhaoshang::api::auth::Viewer {
    viewer(Role::Analyst, None)
}

/// Each error's path (joined by dots) and code.
fn errors_of(r: &Value) -> Vec<(String, String)> {
    let Some(errors) = r["errors"].as_array() else { return Vec::new() };
    errors
        .iter()
        .map(|e| {
            let path = e["path"].as_array().map(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>().join("."));
            let code = e["extensions"]["code"].as_str().unwrap_or("?").to_string();
            (path.unwrap_or_default().replace('"', ""), code)
        })
        .collect()
}

async fn the_analytics_answer_under_the_issues_names(t: &TestDb) {
    let api = sample_api(t).await;
    let r = api
        .run_as(
            &analyst(),
            r#"{
              funnel: engagementFunnel(contactFrom: "2025-01-01", contactTo: "2025-12-31", asOf: "2025-12-31") {
                group contacted visited intent signed visitRate intentRate signingRate }
              byOutpost: engagementFunnel(contactFrom: "2025-01-01", contactTo: "2025-12-31", asOf: "2025-12-31",
                groupBy: OUTPOST) { group contacted }
              events(from: "2025-01-01", to: "2025-12-31") { code }
              event(code: "E2024-01") {
                name organizer { code } projects { code }
                report(asOf: "2025-12-31") { attendees signedCount signedInvestmentWan landingRate productionRate
                  fundArrivalRate notLanded { code } } }
              incentiveSummary(asOf: "2025-12-31", groupBy: UNIT) {
                group promisedWan paidWan paymentRate overdueCount }
              supervisionSummary(from: "2025-01-01", to: "2025-12-31", asOf: "2025-12-31") {
                group open overdue due onTimeRate }
              alerts(asOf: "2025-12-31") {
                kind unitCode projectCode investorName supervisionCode level amountWan ageDays }
            }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let d = &r["data"];
    assert_eq!(
        d["funnel"],
        json!([{ "group": null, "contacted": 7, "visited": 3, "intent": 2, "signed": 1,
                 "visitRate": 3.0 / 7.0, "intentRate": 2.0 / 7.0, "signingRate": 1.0 / 7.0 }])
    );
    assert_eq!(d["byOutpost"], json!([{ "group": "深圳驻点", "contacted": 3 }, { "group": null, "contacted": 4 }]));
    assert_eq!(d["events"], json!([{ "code": "E2025-01" }, { "code": "E2025-02" }]));
    let e = &d["event"];
    assert_eq!(e["organizer"]["code"], json!("D02"));
    assert_eq!(
        e["projects"],
        json!([{ "code": "ZS24001" }, { "code": "ZS24002" }, { "code": "ZS24005" }, { "code": "ZS24008" }])
    );
    assert_eq!(
        e["report"],
        json!({ "attendees": 2, "signedCount": 4, "signedInvestmentWan": 143000.5, "landingRate": 0.5,
                "productionRate": 0.25, "fundArrivalRate": 13700.0 / 143000.5,
                "notLanded": [{ "code": "ZS24005" }, { "code": "ZS24008" }] })
    );
    assert_eq!(
        d["incentiveSummary"],
        json!([
            { "group": "D02", "promisedWan": 800.0, "paidWan": 600.0, "paymentRate": 0.75, "overdueCount": 0 },
            { "group": "P01", "promisedWan": 120.0, "paidWan": 0.0, "paymentRate": 0.0, "overdueCount": 1 },
            { "group": "T01", "promisedWan": 200.0, "paidWan": 150.0, "paymentRate": 0.75, "overdueCount": 1 },
            { "group": "T02", "promisedWan": 1000.0, "paidWan": 0.0, "paymentRate": 0.0, "overdueCount": 1 }
        ])
    );
    assert_eq!(
        d["supervisionSummary"],
        json!([{ "group": null, "open": 4, "overdue": 3, "due": 5, "onTimeRate": 0.2 }])
    );
    let alerts = d["alerts"].as_array().unwrap();
    let of_kind = |kind: &str| alerts.iter().filter(|a| a["kind"] == json!(kind)).collect::<Vec<_>>();
    assert_eq!(
        of_kind("OVERDUE_SUPERVISION")[2],
        &json!({ "kind": "OVERDUE_SUPERVISION", "unitCode": "T04", "projectCode": "ZS24008", "investorName": null,
                 "supervisionCode": "S2025-04", "level": "约谈", "amountWan": null, "ageDays": 31 })
    );
    let incentive = of_kind("OVERDUE_INCENTIVE").into_iter().find(|a| a["unitCode"] == json!("T01")).unwrap();
    assert_eq!((&incentive["amountWan"], &incentive["ageDays"]), (&json!(50.0), &json!(92)));
    let follow_up = of_kind("OVERDUE_FOLLOW_UP").into_iter().find(|a| a["unitCode"] == json!("P01")).unwrap();
    assert_eq!((&follow_up["investorName"], &follow_up["ageDays"]), (&json!("佛山陶瓷商会"), &json!(169)));
}
on_both_databases!(the_analytics_answer_under_the_issues_names_on, the_analytics_answer_under_the_issues_names);

async fn confidential_fields_are_for_the_units_editors_and_admins(t: &TestDb) {
    let api = sample_api(t).await;
    let query = r#"{
      investor(name: "某铝业有限公司") { name ownerUnitCode status introducedBy { name } contactPhone notes }
      engagements(filter: { investor: "某铝业有限公司" }) { edges { node { date unitCode summary } } }
      supervisionItems(filter: { units: ["T02"] }) { nodes { code description } }
    }"#;
    // An analyst reads everything but the confidential fields.
    let r = api.run_as(&analyst(), query).await;
    let refused: Vec<String> = errors_of(&r).into_iter().filter(|(_, c)| c == "FORBIDDEN").map(|(p, _)| p).collect();
    assert!(refused.contains(&"investor.contactPhone".to_string()), "{r}");
    assert!(refused.contains(&"investor.notes".to_string()), "{r}");
    assert!(refused.iter().any(|p| p.starts_with("engagements.edges.") && p.ends_with(".summary")), "{r}");
    assert!(refused.iter().any(|p| p.ends_with("description")), "{r}");
    assert_eq!(r["data"]["investor"]["introducedBy"]["name"], json!("安泰再生资源有限公司"), "{r}");
    assert_eq!(r["data"]["investor"]["status"], json!("跟进中"), "{r}");
    // The editor of D02 (某铝业's following unit) reads its contact and its contacts' summaries…
    let r = api.run_as(&viewer(Role::Editor, Some("D02")), query).await;
    assert!(!errors_of(&r).iter().any(|(p, _)| p.starts_with("investor") || p.starts_with("engagements")), "{r}");
    assert_eq!(r["data"]["investor"]["contactPhone"], json!("13800000002"));
    assert_eq!(r["data"]["engagements"]["edges"][0]["node"]["summary"], json!("考察再生资源园区"));
    // …but not another unit's supervision item.
    assert!(errors_of(&r).iter().any(|(p, c)| p.ends_with("description") && c == "FORBIDDEN"), "{r}");
    // An admin reads all.
    let r = api.run_as(&viewer(Role::Admin, None), query).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(r["data"]["supervisionItems"]["nodes"][0]["description"], json!("中药材项目天然气接入"));
}
on_both_databases!(
    confidential_fields_are_for_the_units_editors_and_admins_on,
    confidential_fields_are_for_the_units_editors_and_admins
);

async fn the_public_sees_public_events_only(t: &TestDb) {
    let api = sample_api(t).await;
    let public = zhaoshang::api::auth::Viewer::public();
    let r =
        api.run_as(&public, r#"{ events { code name date summary } hidden: event(code: "E2025-02") { code } }"#).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let codes: Vec<&str> =
        r["data"]["events"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E2024-01", "E2025-01", "E2026-01"], "深圳招商推介会 is not public");
    assert_eq!(r["data"]["hidden"], Value::Null);
    // Reports, contacts and the work's figures are internal.
    for query in [
        r#"{ event(code: "E2024-01") { report { attendees } } }"#,
        r#"{ engagements { nodes { date } } }"#,
        r#"{ engagementFunnel(contactFrom: "2025-01-01", contactTo: "2025-12-31") { contacted } }"#,
        r#"{ incentiveSummary { paidWan } }"#,
    ] {
        let r = api.run_as(&public, query).await;
        assert_eq!(error_codes(&r), ["FORBIDDEN"], "{query}: {r}");
    }
    // What was signed at an event: public projects only (ZS24004 and ZS24007 are not
    // public, and none of them was signed at 第八届丝博会 anyway; all three of 第九届 are).
    let r = api.run_as(&public, r#"{ event(code: "E2025-01") { projects { code } } }"#).await;
    assert_eq!(
        r["data"]["event"]["projects"],
        json!([{ "code": "ZS25001" }, { "code": "ZS25002" }, { "code": "ZS25003" }])
    );
}
on_both_databases!(the_public_sees_public_events_only_on, the_public_sees_public_events_only);

/// Runs `query` as a viewer and expects one error with `code` (and `field`).
async fn refused(api: &Api, who: (Role, Option<&str>), query: &str, code: &str, field: Option<&str>) {
    let r = api.run_as(&viewer(who.0, who.1), query).await;
    assert_eq!(error_codes(&r), [code], "{query}: {r}");
    if let Some(field) = field {
        assert_eq!(r["errors"][0]["extensions"]["field"], json!(field), "{r}");
    }
}

async fn the_mutations_are_audited_and_validated_like_the_ledger(t: &TestDb) {
    let api = sample_api(t).await;
    let d03 = (Role::Editor, Some("D03"));
    let t01 = (Role::Editor, Some("T01"));
    let editor = viewer(Role::Editor, Some("D03"));
    let version = zhaoshang::store::data_version(&t.db).await.unwrap();
    let r = api
        .run_as(
            &editor,
            r#"mutation { recordEngagement(input: { investorName: "新客商科技有限公司", unitCode: "D03",
                 date: "2025-12-01", kind: "活动参会", eventCode: "深圳招商推介会", summary: "初次接触",
                 nextDate: "2025-12-15" }) { investorName eventCode summary investor { name status } } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(r["data"]["recordEngagement"]["eventCode"], json!("E2025-02"), "the event named by its name");
    assert_eq!(r["data"]["recordEngagement"]["investor"], json!({ "name": "新客商科技有限公司", "status": "跟进中" }));
    assert!(zhaoshang::store::data_version(&t.db).await.unwrap() > version, "an audit entry was written");
    let audited = entities::prelude::AuditEntry::find().all(&t.db).await.unwrap();
    assert!(
        audited.iter().any(|a| a.action == "recordEngagement" && a.entity == "engagements" && a.actor == "test-editor")
    );

    // Another unit's contact; attendance without its event; a follow-up before the contact.
    let contact = |unit: &str, extra: &str| {
        format!(
            r#"mutation {{ recordEngagement(input: {{ investorName: "甲", unitCode: "{unit}", date: "2025-12-01", {extra} }}) {{ date }} }}"#
        )
    };
    refused(&api, d03, &contact("D02", r#"kind: "电话""#), "FORBIDDEN", None).await;
    refused(&api, d03, &contact("D03", r#"kind: "活动参会""#), "BAD_INPUT", Some("eventCode")).await;
    refused(&api, d03, &contact("D03", r#"kind: "电话", nextDate: "2025-11-01""#), "BAD_INPUT", Some("nextDate")).await;

    // Events: by an editor of the organizer; the end before the start; a name taken.
    let r = api
        .run_as(
            &editor,
            r#"mutation { createEvent(input: { code: "E2026-02", name: "上海推介会", date: "2026-03-10",
                 organizerUnitCode: "D03", public: true }) { code public } }"#,
        )
        .await;
    assert_eq!(r["data"]["createEvent"], json!({ "code": "E2026-02", "public": true }), "{r}");
    let update = |code: &str, input: &str| {
        format!(r#"mutation {{ updateEvent(code: "{code}", input: {{ {input} }}) {{ code }} }}"#)
    };
    refused(&api, d03, &update("E2026-02", r#"endDate: "2026-03-09""#), "BAD_INPUT", Some("endDate")).await;
    refused(&api, d03, &update("E2026-02", r#"name: "第九届丝博会""#), "CONFLICT", None).await;
    refused(&api, d03, &update("E2024-01", r#"place: "北京""#), "FORBIDDEN", None).await;
    // Optional fields: given, they are set; empty (a null day), they are cleared; absent, kept.
    let edit = |input: &str| {
        format!(
            r#"mutation {{ updateEvent(code: "E2026-02", input: {{ {input} }}) {{ code endDate place summary }} }}"#
        )
    };
    let r = api.run_as(&editor, &edit(r#"endDate: "2026-03-12", place: "上海", summary: "招商推介""#)).await;
    assert_eq!(
        r["data"]["updateEvent"],
        json!({ "code": "E2026-02", "endDate": "2026-03-12", "place": "上海", "summary": "招商推介" }),
        "{r}"
    );
    let r = api.run_as(&editor, &edit(r#"endDate: null, place: "" "#)).await;
    assert_eq!(
        r["data"]["updateEvent"],
        json!({ "code": "E2026-02", "endDate": null, "place": null, "summary": "招商推介" }),
        "{r}"
    );

    // Incentives: promised by the project's unit; paid at most what was promised.
    let r = api
        .run_as(
            &viewer(Role::Editor, Some("T01")),
            r#"mutation { promiseIncentive(input: { projectCode: "ZS25001", policy: "仓储用地奖励", kind: "土地",
                 promisedWan: 300, promisedDate: "2025-04-01", dueDate: "2026-04-01" }) { promisedWan paidWan } }"#,
        )
        .await;
    assert_eq!(r["data"]["promiseIncentive"], json!({ "promisedWan": 300.0, "paidWan": 0.0 }), "{r}");
    let pay = |wan: u32| {
        format!(
            r#"mutation {{ recordIncentivePayment(projectCode: "ZS25001", policy: "仓储用地奖励", paidWan: {wan}, paidDate: "2026-01-05") {{ paidWan paidDate }} }}"#
        )
    };
    refused(&api, t01, &pay(301), "BAD_INPUT", Some("paidWan")).await;
    refused(&api, d03, &pay(100), "FORBIDDEN", None).await;
    let r = api.run_as(&viewer(Role::Editor, Some("T01")), &pay(100)).await;
    assert_eq!(r["data"]["recordIncentivePayment"], json!({ "paidWan": 100.0, "paidDate": "2026-01-05" }), "{r}");

    // Supervision: raised by admins, closed by the unit, never before it was raised.
    let raise = r#"mutation { raiseSupervision(input: { code: "S2026-01", unitCode: "D03",
        description: "智联电子项目落地推进", raisedDate: "2026-01-05", deadline: "2026-02-05" }) { code } }"#;
    refused(&api, d03, raise, "FORBIDDEN", None).await;
    let r = api.run_as(&viewer(Role::Admin, None), raise).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let close = |day: &str| {
        format!(
            r#"mutation {{ closeSupervision(code: "S2026-01", closedDate: "{day}") {{ closedDate daysOverdue(asOf: "2026-03-01") }} }}"#
        )
    };
    refused(&api, d03, &close("2026-01-01"), "BAD_INPUT", Some("closedDate")).await;
    let r = api.run_as(&editor, &close("2026-01-20")).await;
    assert_eq!(r["data"]["closeSupervision"], json!({ "closedDate": "2026-01-20", "daysOverdue": null }), "{r}");
}
on_both_databases!(
    the_mutations_are_audited_and_validated_like_the_ledger_on,
    the_mutations_are_audited_and_validated_like_the_ledger
);
