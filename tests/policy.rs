//! The one access policy (`src/policy.rs`): every field, argument, filter and order of
//! the schema has an entry; the history, the filters and the counts show a reader only
//! what the table lets them read — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// Every `Type.field`, `Type.field(argument)`, `Input.field` and `Order.VALUE` of the
/// schema, as the policy table spells them.
fn schema_paths() -> BTreeSet<String> {
    let document = parse_schema(zhaoshang::api::sdl()).expect("the SDL parses");
    let mut paths = BTreeSet::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(t) = definition else { continue };
        let name = t.node.name.node.to_string();
        match &t.node.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field_name = &field.node.name.node;
                    paths.insert(format!("{name}.{field_name}"));
                    for argument in &field.node.arguments {
                        paths.insert(format!("{name}.{field_name}({})", argument.node.name.node));
                    }
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    paths.insert(format!("{name}.{}", field.node.name.node));
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    paths.insert(format!("{name}.{}", field.node.name.node));
                }
            }
            // Orders sort by a field: each value is judged like a filter.
            TypeKind::Enum(e) if name.ends_with("Order") => {
                for value in &e.values {
                    paths.insert(format!("{name}.{}", value.node.value.node));
                }
            }
            _ => {}
        }
    }
    paths
}

#[test]
fn every_field_argument_filter_and_order_of_the_schema_has_a_policy_entry() {
    let paths = schema_paths();
    assert!(paths.len() > 250, "the walk found the schema: {}", paths.len());
    let missing: Vec<_> = paths.iter().filter(|p| zhaoshang::policy::access(p).is_none()).collect();
    assert!(missing.is_empty(), "add these to policy::TABLE: {missing:#?}");
}

#[test]
fn the_policy_table_names_nothing_the_schema_lacks() {
    let paths = schema_paths();
    let stale: Vec<_> = zhaoshang::policy::TABLE.iter().map(|(p, _)| *p).filter(|p| !paths.contains(*p)).collect();
    assert!(stale.is_empty(), "entries for nothing in the schema: {stale:#?}");
}

use common::{Api, TestDb, error_codes, sample_xlsx, viewer};
use serde_json::{Value, json};
use zhaoshang::api::auth::{Role, Viewer};

async fn sample_api(t: &TestDb) -> Api {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.expect("import");
    Api::new(&t.db)
}

fn admin() -> Viewer {
    viewer(Role::Admin, None)
}

fn public() -> Viewer {
    viewer(Role::Public, None)
}

/// A public project of T02 still in negotiation, whose investor is a secret.
const SECRET_INVESTOR: &str = "秘密投资集团";
const UNSIGNED: &str = r#"mutation { createProject(input: {
    code: "ZS27101", name: "未签约推介项目", unitCode: "T02", industryName: "智能制造",
    totalInvestmentWan: 5000, intentDate: "2026-01-05", negotiationDate: "2026-02-01",
    investorName: "秘密投资集团", public: true, contactName: "王经理", contactPhone: "13800000000" }) { code } }"#;

async fn ok(api: &Api, who: &Viewer, query: &str) -> Value {
    let r = api.run_as(who, query).await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{query}: {r}");
    r["data"].clone()
}

async fn history_shows_only_what_the_reader_may_read(t: &TestDb) {
    let api = sample_api(t).await;
    let editor = viewer(Role::Editor, Some("T02"));
    ok(
        &api,
        &editor,
        r#"mutation { updateProject(code: "ZS24006", input: { contactPhone: "13911112222" }) { code } }"#,
    )
    .await;
    let history = r#"{ project(code: "ZS24006") { history { action before after } } }"#;
    let contacts = |data: &Value| {
        let text = data.to_string();
        ["13911112222", "13909190005", "联系人6", "contact_phone", "contact_name"].iter().any(|c| text.contains(c))
    };
    // Analysts and other units' editors: the change is there, its contacts are not.
    for reader in [viewer(Role::Analyst, None), viewer(Role::Editor, Some("T01"))] {
        let data = ok(&api, &reader, history).await;
        let entries = data["project"]["history"].as_array().unwrap();
        assert!(entries.iter().any(|e| e["action"] == json!("updateProject")), "{data}");
        assert!(!contacts(&data), "{} reads contacts through history: {data}", reader.role.name());
        assert_eq!(entries[0]["after"]["name"], json!("陈炉古镇文旅康养项目"), "readable columns stay: {data}");
    }
    // The unit's editor and admins see the contacts changed.
    for reader in [editor, admin()] {
        let data = ok(&api, &reader, history).await;
        assert_eq!(data["project"]["history"][0]["after"]["contact_phone"], json!("13911112222"), "{data}");
    }
}
on_both_databases!(history_shows_only_what_the_reader_may_read_on, history_shows_only_what_the_reader_may_read);

async fn the_text_filter_never_finds_an_unsigned_projects_investor_for_the_public(t: &TestDb) {
    let api = sample_api(t).await;
    ok(&api, &admin(), UNSIGNED).await;
    let query = format!(r#"{{ projects(filter: {{ text: "{SECRET_INVESTOR}" }}) {{ totalCount nodes {{ code }} }} }}"#);
    let data = ok(&api, &public(), &query).await;
    assert_eq!(data["projects"], json!({ "totalCount": 0, "nodes": [] }));
    // Its name is searchable; its investor is not readable.
    let data =
        ok(&api, &public(), r#"{ projects(filter: { text: "未签约推介" }) { totalCount nodes { code } } }"#).await;
    assert_eq!(data["projects"]["totalCount"], json!(1));
    let r = api.run_as(&public(), r#"{ project(code: "ZS27101") { investorName } }"#).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "{r}");
    // Analysts search investors.
    let data = ok(&api, &viewer(Role::Analyst, None), &query).await;
    assert_eq!(data["projects"]["nodes"], json!([{ "code": "ZS27101" }]));
}
on_both_databases!(
    the_text_filter_never_finds_an_unsigned_projects_investor_for_the_public_on,
    the_text_filter_never_finds_an_unsigned_projects_investor_for_the_public
);

async fn filters_and_orders_on_hidden_fields_are_refused_to_the_public(t: &TestDb) {
    let api = sample_api(t).await;
    for arguments in [
        r#"filter: { stagesAsOf: "2024-06-01" }"#,
        r#"filter: { signedFrom: "2024-06-01" }"#,
        r#"filter: { signedTo: "2024-06-01" }"#,
        r#"filter: { terminated: true }"#,
        r#"filter: { terminated: false }"#,
        r#"orderBy: SIGNED_DATE_DESC"#,
        r#"orderBy: SIGNED_DATE_ASC"#,
    ] {
        let query = format!("{{ projects({arguments}) {{ totalCount nodes {{ code }} }} }}");
        let r = api.run_as(&public(), &query).await;
        assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "{arguments}: {r}");
        assert_eq!(r["data"], Value::Null, "{arguments}: nothing but the refusal");
        ok(&api, &viewer(Role::Analyst, None), &query).await;
    }
    // Also through variables.
    let request = async_graphql::Request::new("query($f: ProjectsFilter) { projects(filter: $f) { totalCount } }")
        .variables(async_graphql::Variables::from_json(json!({ "f": { "signedFrom": "2024-01-01" } })));
    let response = zhaoshang::api::execute(&api.schema, request, public()).await;
    let r = serde_json::to_value(&response).unwrap();
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "{r}");
    // A stage on any other day would date the stages by bisection.
    let r = api.run_as(&public(), r#"{ project(code: "ZS24006") { stageAsOf(date: "2024-09-01") } }"#).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "{r}");
}
on_both_databases!(
    filters_and_orders_on_hidden_fields_are_refused_to_the_public_on,
    filters_and_orders_on_hidden_fields_are_refused_to_the_public
);

async fn terminated_projects_are_not_public_and_counts_do_not_tell(t: &TestDb) {
    let api = sample_api(t).await;
    let count = r#"{ all: projects { totalCount nodes { code } } filtered: projects(filter: { public: true }) { totalCount }
        unit(code: "T04") { projects { code } } }"#;
    let before = ok(&api, &public(), count).await;
    assert!(before["unit"]["projects"].as_array().unwrap().contains(&json!({ "code": "ZS24008" })));
    ok(
        &api,
        &admin(),
        r#"mutation { terminateProject(code: "ZS24008", date: "2025-10-01", reason: "撤资") { code } }"#,
    )
    .await;
    let after = ok(&api, &public(), count).await;
    let total = before["all"]["totalCount"].as_u64().unwrap();
    // The unfiltered count (from the snapshot) and the filtered one (in SQL) agree, and
    // both leave the terminated project out, as the site does.
    assert_eq!(after["all"]["totalCount"], json!(total - 1), "{after}");
    assert_eq!(after["filtered"]["totalCount"], json!(total - 1), "{after}");
    assert_eq!(after["all"]["nodes"].as_array().unwrap().len() as u64, total - 1);
    assert!(!after["unit"]["projects"].as_array().unwrap().contains(&json!({ "code": "ZS24008" })), "{after}");
    assert_eq!(ok(&api, &public(), r#"{ project(code: "ZS24008") { code } }"#).await["project"], Value::Null);
    // Analysts still see it.
    let data = ok(&api, &viewer(Role::Analyst, None), r#"{ project(code: "ZS24008") { terminated } }"#).await;
    assert_eq!(data["project"]["terminated"], json!(true));
}
on_both_databases!(
    terminated_projects_are_not_public_and_counts_do_not_tell_on,
    terminated_projects_are_not_public_and_counts_do_not_tell
);

async fn a_shared_investor_is_changed_only_by_admins_and_shows_in_every_projects_history(t: &TestDb) {
    let api = sample_api(t).await;
    // T01 gets a project of T02's investor.
    ok(
        &api,
        &admin(),
        r#"mutation { createProject(input: { code: "ZS27201", name: "共享投资方项目", unitCode: "T01",
            industryName: "智能制造", totalInvestmentWan: 100, intentDate: "2026-01-05",
            investorName: "秦岭文旅发展有限公司" }) { code } }"#,
    )
    .await;
    let change = |origin: &str| {
        format!(
            r#"mutation {{ updateProject(code: "ZS24006", input: {{ investorOrigin: "{origin}", investorName: "秦岭文旅发展有限公司" }}) {{ code }} }}"#
        )
    };
    let editor = viewer(Role::Editor, Some("T02"));
    let r = api.run_as(&editor, &change("开曼群岛")).await;
    assert_eq!(error_codes(&r), vec!["FORBIDDEN"], "{r}");
    let origin = r#"{ investor(name: "秦岭文旅发展有限公司") { origin } }"#;
    let unchanged = ok(&api, &admin(), origin).await;
    assert_ne!(unchanged["investor"]["origin"], json!("开曼群岛"));
    // An admin may; the change shows in the history of both units' projects.
    ok(&api, &admin(), &change("陕西省铜川市")).await;
    assert_eq!(ok(&api, &admin(), origin).await["investor"]["origin"], json!("陕西省铜川市"));
    for code in ["ZS24006", "ZS27201"] {
        let query = format!(r#"{{ project(code: "{code}") {{ history {{ entity key after }} }} }}"#);
        let data = ok(&api, &viewer(Role::Analyst, None), &query).await;
        let entries = data["project"]["history"].as_array().unwrap();
        assert!(
            entries.iter().any(|e| e["entity"] == json!("investors") && e["after"]["origin"] == json!("陕西省铜川市")),
            "{code}: {data}"
        );
    }
    // An investor only T02 uses is T02's editor's to change.
    ok(
        &api,
        &editor,
        r#"mutation { updateProject(code: "ZS25002", input: { investorName: "某药业股份有限公司", investorOrigin: "陕西省咸阳市" }) { code } }"#,
    )
    .await;
}
on_both_databases!(
    a_shared_investor_is_changed_only_by_admins_and_shows_in_every_projects_history_on,
    a_shared_investor_is_changed_only_by_admins_and_shows_in_every_projects_history
);
