//! Promotion by industry chain and carrier: the ledger sheets `chain_links` and
//! `carriers` with their row errors, the chain and carrier figures worked by hand on
//! `tests/fixtures/chains-ledger`, the GraphQL fields with their roles, and the demo
//! district's chains — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{Api, TestDb, chains_csv, edited_copy, error_codes, viewer};
use serde_json::{Value, json};
use zhaoshang::api::auth::Role;
use zhaoshang::jobs::{self, ImportError};

async fn chains_api(t: &TestDb) -> Api {
    jobs::import_file(&t.db, &chains_csv(), "test").await.expect("import the chains fixture");
    Api::new(&t.db)
}

/// The `(link, status, projectCount, investmentWan)` of each link of `chain`.
fn links(chain: &Value) -> Vec<(String, String, u64, f64)> {
    chain["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["link"].as_str().unwrap().to_string(),
                l["status"].as_str().unwrap().to_string(),
                l["projectCount"].as_u64().unwrap(),
                l["investmentWan"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, u64, f64)]) -> Vec<(String, String, u64, f64)> {
    rows.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, *d)).collect()
}

const CHAINS: &str = r#"query($asOf: Date) { chains(asOf: $asOf) {
    name cluster coverage strength
    links { link position status statusZh projectCount investmentWan sought projects { code } }
} }"#;

async fn run(api: &Api, role: Role, unit: Option<&str>, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables));
    let response = zhaoshang::api::execute(&api.schema, request, viewer(role, unit)).await;
    serde_json::to_value(&response).unwrap()
}

async fn chain_links_take_the_status_of_their_furthest_live_project(t: &TestDb) {
    let api = chains_api(t).await;
    let r = run(&api, Role::Analyst, None, CHAINS, json!({ "asOf": "2025-06-30" })).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let chains = r["data"]["chains"].as_array().unwrap();
    let names: Vec<_> = chains.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["装备制造产业链", "陶瓷产业链"], "by name");
    let ceramics = &chains[1];
    // 泥料制备: Z004 produced, but was terminated on 2025-01-15. 日用陶瓷: Z001 produces
    // since 2025-03-01 (5000) and Z002 is in talks (2000). 陶瓷文创: Z003 started. 品牌电商:
    // none. Downstream links by their order (陶瓷文创 1, 品牌电商 2).
    assert_eq!(
        links(ceramics),
        owned(&[
            ("泥料制备", "MISSING", 0, 0.0),
            ("日用陶瓷", "PRESENT", 2, 7000.0),
            ("陶瓷文创", "BUILDING", 1, 3000.0),
            ("品牌电商", "MISSING", 0, 0.0),
        ])
    );
    assert_eq!((ceramics["coverage"].as_f64(), ceramics["strength"].as_f64()), (Some(0.5), Some(0.25)));
    assert_eq!(ceramics["cluster"], json!("建材陶瓷"));
    assert_eq!(ceramics["links"][1]["statusZh"], json!("已有"));
    assert_eq!(ceramics["links"][0]["sought"], json!("高岭土精制企业"));
    // Z006 is taken in only on 2025-08-01: 精密铸造 is still a gap.
    let equipment = &chains[0];
    assert_eq!(links(equipment), owned(&[("精密铸造", "MISSING", 0, 0.0), ("矿山机械", "NEGOTIATING", 1, 12000.0)]));
    assert_eq!((equipment["coverage"].as_f64(), equipment["strength"].as_f64()), (Some(0.5), Some(0.0)));

    // Half a year earlier Z004 still produced and Z001 was being built.
    let r = run(&api, Role::Analyst, None, CHAINS, json!({ "asOf": "2024-12-31" })).await;
    let ceramics = &r["data"]["chains"][1];
    assert_eq!(
        links(ceramics),
        owned(&[
            ("泥料制备", "PRESENT", 1, 800.0),
            ("日用陶瓷", "BUILDING", 1, 5000.0),
            ("陶瓷文创", "BUILDING", 1, 3000.0),
            ("品牌电商", "MISSING", 0, 0.0),
        ])
    );
    assert_eq!((ceramics["coverage"].as_f64(), ceramics["strength"].as_f64()), (Some(0.75), Some(0.25)));
}
on_both_databases!(
    chain_links_take_the_status_of_their_furthest_live_project_on,
    chain_links_take_the_status_of_their_furthest_live_project
);

async fn the_public_sees_the_chain_map_but_not_what_unpublished_projects_add_up_to(t: &TestDb) {
    let api = chains_api(t).await;
    let query = r#"{ chains(asOf: "2025-06-30") { name coverage links { link status sought projects { code } } } }"#;
    let r = run(&api, Role::Public, None, query, json!({})).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let daily = &r["data"]["chains"][1]["links"][1];
    assert_eq!(daily["status"], json!("PRESENT"));
    assert_eq!(daily["projects"], json!([{ "code": "Z001" }]), "Z002 is not public");
    for field in ["projectCount", "investmentWan"] {
        let query = format!(r#"{{ chains {{ links {{ {field} }} }} }}"#);
        let r = run(&api, Role::Public, None, &query, json!({})).await;
        let codes = error_codes(&r);
        assert!(!codes.is_empty() && codes.iter().all(|c| c == "FORBIDDEN"), "{field}: {r}");
    }
}
on_both_databases!(
    the_public_sees_the_chain_map_but_not_what_unpublished_projects_add_up_to_on,
    the_public_sees_the_chain_map_but_not_what_unpublished_projects_add_up_to
);

const CARRIERS: &str = r#"query($filter: CarriersFilter) { carriers(filter: $filter) {
    code name kind unitCode areaMu floorArea price status availableFrom public summary
} }"#;

fn codes(r: &Value, field: &str) -> Vec<String> {
    r["data"][field].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
}

async fn the_public_sees_public_carriers_only_and_never_a_contact(t: &TestDb) {
    let api = chains_api(t).await;
    let r = run(&api, Role::Public, None, CARRIERS, json!({})).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(codes(&r, "carriers"), ["C01", "C03", "C04", "C05"], "C02 is not public");
    assert!(!r.to_string().contains("主任"), "no contact in a public answer: {r}");
    let r = run(&api, Role::Public, None, r#"{ carrier(code: "C02") { code } }"#, json!({})).await;
    assert_eq!(r["data"]["carrier"], Value::Null);
    // Filters and relations do not reveal it either.
    let filter = json!({ "filter": { "text": "老窑场" } });
    assert_eq!(codes(&run(&api, Role::Public, None, CARRIERS, filter).await, "carriers"), Vec::<String>::new());
    let r = run(&api, Role::Public, None, r#"{ project(code: "Z001") { carrier { code name } } }"#, json!({})).await;
    assert_eq!(r["data"]["project"]["carrier"], json!({ "code": "C03", "name": "陈炉镇标准化厂房" }));

    // Contacts: the unit's editors and admins; not analysts, not another unit's editors.
    let contact = r#"{ carrier(code: "C01") { contactName contactPhone } }"#;
    for (role, unit, allowed) in [
        (Role::Public, None, false),
        (Role::Analyst, None, false),
        (Role::Editor, Some("T02"), false),
        (Role::Editor, Some("T01"), true),
        (Role::Admin, None, true),
    ] {
        let r = run(&api, role, unit, contact, json!({})).await;
        if allowed {
            assert_eq!(r["data"]["carrier"], json!({ "contactName": "赵主任", "contactPhone": "0919-3100001" }));
        } else if role == Role::Public {
            assert!(error_codes(&r).contains(&"FORBIDDEN".to_string()), "{r}");
        } else {
            assert_eq!(error_codes(&r), ["FORBIDDEN", "FORBIDDEN"], "{role:?} {unit:?}: {r}");
            assert!(!r.to_string().contains("赵主任"));
        }
    }
}
on_both_databases!(
    the_public_sees_public_carriers_only_and_never_a_contact_on,
    the_public_sees_public_carriers_only_and_never_a_contact
);

async fn carriers_are_filtered_and_their_supply_counted_by_unit_and_kind(t: &TestDb) {
    let api = chains_api(t).await;
    let r = run(&api, Role::Analyst, None, CARRIERS, json!({})).await;
    assert_eq!(codes(&r, "carriers"), ["C01", "C02", "C03", "C04", "C05"]);
    let c02 = &r["data"]["carriers"][1];
    assert_eq!(c02["unitCode"], json!("T01"), "the unit named 陈炉镇 is resolved to its code");
    assert_eq!((c02["areaMu"].as_f64(), c02["floorArea"].as_f64()), (Some(25.5), Some(5200.0)));
    assert_eq!(c02["availableFrom"], json!("2025-06-30"));
    let available = json!({ "filter": { "available": true, "asOf": "2025-06-30" } });
    assert_eq!(codes(&run(&api, Role::Analyst, None, CARRIERS, available).await, "carriers"), ["C01", "C02"]);
    let filter = json!({ "filter": { "units": ["T01"], "kinds": ["工业用地", "标准化厂房"] } });
    assert_eq!(codes(&run(&api, Role::Analyst, None, CARRIERS, filter).await, "carriers"), ["C01", "C03"]);
    let filter = json!({ "filter": { "statuses": ["已意向"] } });
    assert_eq!(codes(&run(&api, Role::Analyst, None, CARRIERS, filter).await, "carriers"), ["C05"]);

    let supply = r#"query($by: CarrierGroup) { carrierSupply(asOf: "2025-06-30", groupBy: $by) { unitCode kind count areaMu } }"#;
    // Available on 2025-06-30: C01 (80 亩) and C02 (25.5 亩, from that very day); C03 is in
    // use, C04 available only from 2025-07-01, C05 reserved.
    let r = run(&api, Role::Analyst, None, supply, json!({ "by": "NONE" })).await;
    assert_eq!(r["data"]["carrierSupply"], json!([{ "unitCode": null, "kind": null, "count": 2, "areaMu": 105.5 }]));
    let r = run(&api, Role::Analyst, None, supply, json!({ "by": "KIND" })).await;
    assert_eq!(
        r["data"]["carrierSupply"],
        json!([
            { "unitCode": null, "kind": "工业用地", "count": 1, "areaMu": 80.0 },
            { "unitCode": null, "kind": "闲置厂房", "count": 1, "areaMu": 25.5 }
        ])
    );
    let r =
        run(&api, Role::Analyst, None, supply.replace("2025-06-30", "2025-07-01").as_str(), json!({ "by": "UNIT" }))
            .await;
    assert_eq!(
        r["data"]["carrierSupply"],
        json!([
            { "unitCode": "T01", "kind": null, "count": 2, "areaMu": 105.5 },
            { "unitCode": "T02", "kind": null, "count": 1, "areaMu": 60.0 }
        ])
    );
    let r = run(&api, Role::Public, None, supply, json!({ "by": "UNIT" })).await;
    assert_eq!(error_codes(&r), ["FORBIDDEN"], "supply counts unpublished carriers");
}
on_both_databases!(
    carriers_are_filtered_and_their_supply_counted_by_unit_and_kind_on,
    carriers_are_filtered_and_their_supply_counted_by_unit_and_kind
);

async fn open_land_issues_are_matched_with_the_units_land_on_offer(t: &TestDb) {
    let api = chains_api(t).await;
    let query =
        r#"{ matchedLandIssues(asOf: "2025-06-30") { unitCode issue { projectCode description } carriers { code } } }"#;
    let r = run(&api, Role::Analyst, None, query, json!({})).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    // Z002 (T01) needs land and T01 offers C01 (C02 is an idle plant, not land); Z005's
    // unit P01 has only a reserved factory; Z003's issue is about power.
    assert_eq!(
        r["data"]["matchedLandIssues"],
        json!([{ "unitCode": "T01", "issue": { "projectCode": "Z002", "description": "二期用地指标不足" }, "carriers": [{ "code": "C01" }] }])
    );
    let r = run(&api, Role::Public, None, query, json!({})).await;
    assert_eq!(error_codes(&r), ["FORBIDDEN"]);
}
on_both_databases!(
    open_land_issues_are_matched_with_the_units_land_on_offer_on,
    open_land_issues_are_matched_with_the_units_land_on_offer
);

/// Imports the chains fixture with `edit` applied to `file` and returns the errors.
async fn errors_of(file: &str, edit: impl Fn(String) -> String) -> Vec<String> {
    let t = TestDb::sqlite().await;
    let dir = edited_copy(&chains_csv(), file, edit);
    match jobs::import_file(&t.db, dir.path(), "test").await {
        Err(ImportError::Invalid(errors)) => errors.0.iter().map(ToString::to_string).collect(),
        other => panic!("expected the ledger to be refused, got {other:?}"),
    }
}

fn replace(from: &'static str, to: &'static str) -> impl Fn(String) -> String {
    move |text| {
        assert!(text.contains(from), "the fixture no longer holds {from:?}");
        text.replacen(from, to, 1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_link_or_carrier_that_does_not_exist_is_an_error_of_its_row() {
    let errors = errors_of("projects.csv", replace("陶瓷产业链/陶瓷文创", "陶瓷产业链/陶瓷设计")).await;
    assert_eq!(
        errors,
        [
            r#"projects row 4, 产业链环节: "陶瓷产业链/陶瓷设计" names no chain link; write it as 产业链/环节 of the chain_links sheet"#
        ]
    );
    let errors = errors_of("projects.csv", replace("陶瓷产业链/泥料制备", "泥料制备")).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("projects row 5, 产业链环节: \"泥料制备\" names no chain link"), "{errors:?}");
    let errors = errors_of("projects.csv", replace(",C03,", ",C09,")).await;
    assert_eq!(errors, [r#"projects row 2, 落地载体: unknown carrier "C09""#]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_chain_link_and_carrier_rows_are_reported_with_row_and_column() {
    let errors = errors_of("chain_links.csv", replace("矿山机械,中游", "矿山机械,中段")).await;
    assert_eq!(errors, [r#"chain_links row 6, 位置: "中段" is not one of 上游 中游 下游"#], "and Z005 is not blamed");
    let errors = errors_of("chain_links.csv", replace("品牌电商", "日用陶瓷")).await;
    assert!(errors.contains(&"chain_links row 4, 环节: duplicate key: row 3 has the same".to_string()), "{errors:?}");
    let errors = errors_of("carriers.csv", replace(",闲置厂房,陈炉镇,", ",闲置厂房,金锁镇,")).await;
    assert_eq!(errors, [r#"carriers row 3, 所在单位: unknown unit "金锁镇""#]);
    let errors = errors_of("carriers.csv", replace(",已意向,", ",出租中,")).await;
    assert_eq!(errors, [r#"carriers row 6, 状态: "出租中" is not one of 可供 已意向 已使用"#]);
    let errors = errors_of("carriers.csv", replace(",工业用地,T02,", ",,T02,")).await;
    assert_eq!(errors, ["carriers row 5, 载体类型: is required but empty"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_district_promotes_seven_chains_with_gaps_and_carriers_in_several_units() {
    let t = TestDb::sqlite().await;
    jobs::import_ledger(&t.db, zhaoshang::demo::generate(300, 7), "test", "demo").await.expect("demo");
    let api = Api::new(&t.db);
    let query = r#"{ chains(asOf: "2026-11-20") { name links { status projectCount } }
                     carriers { code unitCode public } }"#;
    let r = run(&api, Role::Analyst, None, query, json!({})).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let names: Vec<&str> =
        r["data"]["chains"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for chain in ["陶瓷", "装备制造", "军民融合", "再生资源", "农副产品精深加工", "商贸物流", "文化旅游"]
    {
        assert!(names.contains(&format!("{chain}产业链").as_str()), "{chain} in {names:?}");
    }
    let statuses: Vec<&str> = r["data"]["chains"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["links"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap()))
        .collect();
    assert!(statuses.contains(&"MISSING") && statuses.contains(&"PRESENT"), "gaps and strong links: {statuses:?}");
    let carriers = r["data"]["carriers"].as_array().unwrap();
    let units: std::collections::BTreeSet<&str> = carriers.iter().map(|c| c["unitCode"].as_str().unwrap()).collect();
    assert!(units.len() >= 5, "carriers in several units: {units:?}");
    assert!(carriers.iter().any(|c| c["public"] == json!(false)), "some carriers are not public");
}

async fn an_editor_links_a_project_to_a_chain_link_and_a_carrier_checked_like_a_ledger(t: &TestDb) {
    let api = chains_api(t).await;
    let set = |input: &str| {
        format!(
            r#"mutation {{ updateProject(code: "Z007", input: {{ {input} }}) {{ chainLink carrier {{ code }} }} }}"#
        )
    };
    let r = run(
        &api,
        Role::Editor,
        Some("T02"),
        &set(r#"chainLink: "陶瓷产业链/品牌电商", carrierCode: "C04""#),
        json!({}),
    )
    .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    assert_eq!(r["data"]["updateProject"], json!({ "chainLink": "陶瓷产业链/品牌电商", "carrier": { "code": "C04" } }));
    // Z007 was taken in on 2024-01-01: 品牌电商 is no longer a gap.
    let r = run(&api, Role::Analyst, None, CHAINS, json!({ "asOf": "2025-06-30" })).await;
    assert_eq!(r["data"]["chains"][1]["links"][3]["status"], json!("NEGOTIATING"), "{r}");

    let r = run(&api, Role::Editor, Some("T02"), &set(r#"chainLink: "陶瓷产业链/不存在""#), json!({})).await;
    assert_eq!(error_codes(&r), ["BAD_INPUT"]);
    assert_eq!(r["errors"][0]["extensions"]["field"], json!("chainLink"));
    let r = run(&api, Role::Editor, Some("T02"), &set(r#"carrierCode: "C99""#), json!({})).await;
    assert_eq!(r["errors"][0]["extensions"]["field"], json!("carrierCode"), "{r}");
    let r = run(&api, Role::Editor, Some("T02"), &set(r#"chainLink: "", carrierCode: """#), json!({})).await;
    assert_eq!(r["data"]["updateProject"], json!({ "chainLink": null, "carrier": null }), "empty clears");
}
on_both_databases!(
    an_editor_links_a_project_to_a_chain_link_and_a_carrier_checked_like_a_ledger_on,
    an_editor_links_a_project_to_a_chain_link_and_a_carrier_checked_like_a_ledger
);

async fn a_projects_sheet_without_the_link_columns_keeps_the_links(t: &TestDb) {
    jobs::import_file(&t.db, &chains_csv(), "test").await.expect("import");
    // The same projects, without the 产业链环节 and 落地载体 columns.
    let dir = edited_copy(&chains_csv(), "projects.csv", |text| {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let keep: Vec<usize> =
            (0..headers.len()).filter(|i| !["产业链环节", "落地载体"].contains(&&headers[*i])).collect();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(keep.iter().map(|i| &headers[*i])).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            writer.write_record(keep.iter().map(|i| &record[*i])).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    });
    jobs::import_file(&t.db, dir.path(), "test").await.expect("import without the columns");
    let ledger = zhaoshang::store::load_ledger(&t.db).await.unwrap();
    let z001 = &ledger.projects.iter().find(|(_, p)| p.code == "Z001").unwrap().1;
    assert_eq!((z001.chain_link.as_deref(), z001.carrier_code.as_deref()), (Some("陶瓷产业链/日用陶瓷"), Some("C03")));
}
on_both_databases!(
    a_projects_sheet_without_the_link_columns_keeps_the_links_on,
    a_projects_sheet_without_the_link_columns_keeps_the_links
);
