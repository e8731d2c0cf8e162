//! The role matrix, generated from the policy table: for every readable object field,
//! every argument, every `projects` filter and order, and each role (the public, an
//! analyst, the editor of the project's unit, another unit's editor, an admin), one
//! request proves that the role gets it exactly when `policy::TABLE` says so — on
//! SQLite and PostgreSQL. Mutations are left to `tests/api.rs` (they write).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::HashMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use common::{Api, TestDb, error_codes, sample_xlsx, viewer};
use zhaoshang::api::auth::{Role, Viewer};
use zhaoshang::policy::{self, Reader, Row};

/// An object field of the schema: its arguments (name, required) and whether it returns
/// an object (which then needs a selection).
struct Field {
    arguments: Vec<(String, bool)>,
    object: bool,
}

struct Schema {
    fields: HashMap<(String, String), Field>,
    inputs: HashMap<String, Vec<String>>,
    orders: Vec<String>,
}

fn schema() -> Schema {
    let document = parse_schema(zhaoshang::api::sdl()).unwrap();
    let mut objects = std::collections::HashSet::new();
    for d in &document.definitions {
        if let TypeSystemDefinition::Type(t) = d
            && matches!(t.node.kind, TypeKind::Object(_))
        {
            objects.insert(t.node.name.node.to_string());
        }
    }
    let base = |mut ty: &async_graphql::parser::types::Type| loop {
        match &ty.base {
            BaseType::Named(name) => return name.to_string(),
            BaseType::List(inner) => ty = inner,
        }
    };
    let (mut fields, mut inputs, mut orders) = (HashMap::new(), HashMap::new(), Vec::new());
    for d in &document.definitions {
        let TypeSystemDefinition::Type(t) = d else { continue };
        let name = t.node.name.node.to_string();
        match &t.node.kind {
            TypeKind::Object(o) => {
                for f in &o.fields {
                    let arguments = f
                        .node
                        .arguments
                        .iter()
                        .map(|a| {
                            let required = !a.node.ty.node.nullable && a.node.default_value.is_none();
                            (a.node.name.node.to_string(), required)
                        })
                        .collect();
                    let object = objects.contains(&base(&f.node.ty.node));
                    fields.insert((name.clone(), f.node.name.node.to_string()), Field { arguments, object });
                }
            }
            TypeKind::InputObject(i) => {
                inputs.insert(name, i.fields.iter().map(|f| f.node.name.node.to_string()).collect());
            }
            TypeKind::Enum(e) if name == "ProjectOrder" => {
                orders = e.values.iter().map(|v| v.node.value.node.to_string()).collect();
            }
            _ => {}
        }
    }
    Schema { fields, inputs, orders }
}

/// A value for an argument or input field, by name.
fn sample(name: &str) -> &'static str {
    match name {
        "code" => r#""ZS24006""#,
        "name" => r#""秦岭文旅发展有限公司""#,
        "first" => "3",
        "after" => r#""p0""#,
        "filter" => "{}",
        "orderBy" => "CODE",
        "date" | "asOf" | "stagesAsOf" | "signedFrom" | "intakeFrom" => r#""2024-01-01""#,
        "signedTo" | "intakeTo" => r#""2025-12-31""#,
        "from" => r#""2024-01""#,
        "to" => r#""2024-12""#,
        "metric" => "SIGNED_COUNT",
        "granularity" => "QUARTER",
        "year" => "2025",
        "quarter" => "4",
        "bottom" => "2",
        "last" => "2",
        "units" => r#"["T02"]"#,
        "industries" => r#"["智能制造"]"#,
        "channels" => r#"["驻点招商"]"#,
        "stages" => "[SIGNED]",
        "keyOnly" | "public" | "terminated" => "true",
        "text" => r#""项目""#,
        other => panic!("no sample value for {other}: add one"),
    }
}

/// How to reach a type: the query with `@` where its fields go, and the entries on the
/// way (with the row they are judged on).
fn reach(type_name: &str) -> Option<(&'static str, Vec<(&'static str, bool)>)> {
    // (template, [(entry on the way, judged on ZS24006's row?)])
    let project = r#"{ project(code: "ZS24006") { @ } }"#;
    Some(match type_name {
        "Query" => ("{ @ }", vec![]),
        "Project" => (project, vec![("Query.project", false)]),
        "Unit" => (r#"{ unit(code: "T02") { @ } }"#, vec![("Query.unit", false)]),
        "Industry" => ("{ industries { @ } }", vec![("Query.industries", false)]),
        "Investor" => (
            r#"{ project(code: "ZS24006") { investor { @ } } }"#,
            vec![("Query.project", false), ("Project.investor", true)],
        ),
        "ProgressMonth" => (
            r#"{ project(code: "ZS24006") { progress { @ } } }"#,
            vec![("Query.project", false), ("Project.progress", true)],
        ),
        "ElementIssue" => (
            r#"{ project(code: "ZS24006") { issues { @ } } }"#,
            vec![("Query.project", false), ("Project.issues", true)],
        ),
        "AuditEntry" => (
            r#"{ project(code: "ZS24006") { history { @ } } }"#,
            vec![("Query.project", false), ("Project.history", true)],
        ),
        "Target" => {
            (r#"{ unit(code: "T02") { targets { @ } } }"#, vec![("Query.unit", false), ("Unit.targets", false)])
        }
        "ProjectConnection" => ("{ projects { @ } }", vec![("Query.projects", false)]),
        "ProjectEdge" => {
            ("{ projects { edges { @ } } }", vec![("Query.projects", false), ("ProjectConnection.edges", false)])
        }
        "PageInfo" => {
            ("{ projects { pageInfo { @ } } }", vec![("Query.projects", false), ("ProjectConnection.pageInfo", false)])
        }
        "Cohort" => {
            (r#"{ cohort(signedFrom: "2024-01-01", signedTo: "2024-12-31") { @ } }"#, vec![("Query.cohort", false)])
        }
        "Funnel" => {
            (r#"{ funnel(intakeFrom: "2024-01-01", intakeTo: "2025-12-31") { @ } }"#, vec![("Query.funnel", false)])
        }
        "FunnelStage" => (
            r#"{ funnel(intakeFrom: "2024-01-01", intakeTo: "2025-12-31") { stages { @ } } }"#,
            vec![("Query.funnel", false), ("Funnel.stages", false)],
        ),
        "PipelineStage" => ("{ pipeline { @ } }", vec![("Query.pipeline", false)]),
        "TrendPoint" => {
            (r#"{ trend(metric: SIGNED_COUNT, from: "2024-01", to: "2024-12") { @ } }"#, vec![("Query.trend", false)])
        }
        "Alert" => (r#"{ alerts(asOf: "2025-12-31") { @ } }"#, vec![("Query.alerts", false)]),
        "Scorecard" => ("{ scorecards(year: 2025, quarter: 4) { @ } }", vec![("Query.scorecards", false)]),
        "ScoreMetric" => (
            "{ scorecards(year: 2025, quarter: 4) { metrics { @ } } }",
            vec![("Query.scorecards", false), ("Scorecard.metrics", false)],
        ),
        _ => return None,
    })
}

/// The roles of the matrix: (label, viewer).
fn roles() -> Vec<(&'static str, Viewer)> {
    vec![
        ("public", viewer(Role::Public, None)),
        ("analyst", viewer(Role::Analyst, None)),
        ("editor of T02", viewer(Role::Editor, Some("T02"))),
        ("editor of T01", viewer(Role::Editor, Some("T01"))),
        ("admin", viewer(Role::Admin, None)),
    ]
}

/// Whether the table lets `who` read every entry on the way (ZS24006: T02's, signed).
fn allowed(who: &Viewer, entries: &[(String, bool)]) -> bool {
    let row = Row { unit: "T02", signed: true };
    let reader = Reader { role: who.role, unit: who.unit.as_deref() };
    entries.iter().all(|(path, on_row)| {
        let access = policy::access(path).unwrap_or_else(|| panic!("{path} has no entry"));
        access.allows(reader, on_row.then_some(row))
    })
}

/// Policy entries a request needs, each with whether it is judged on ZS24006's row.
type Entries = Vec<(String, bool)>;

/// The requests of the matrix: (what is proven, query, entries it needs).
fn cases(schema: &Schema) -> Vec<(String, String, Entries)> {
    let mut out = Vec::new();
    let mut keys: Vec<_> = schema.fields.keys().collect();
    keys.sort();
    for (type_name, field_name) in keys {
        if type_name == "GraphMutation" {
            continue;
        }
        let Some((template, way)) = reach(type_name) else { panic!("no way to reach {type_name}: add one") };
        let field = &schema.fields[&(type_name.clone(), field_name.clone())];
        let on_row =
            matches!(type_name.as_str(), "Project" | "Investor" | "ProgressMonth" | "ElementIssue" | "AuditEntry");
        let required: Vec<_> = field.arguments.iter().filter(|(_, r)| *r).map(|(a, _)| a.clone()).collect();
        // The field with its required arguments, then with each optional one as well.
        let mut variants = vec![(format!("{type_name}.{field_name}"), required.clone())];
        for (argument, _) in &field.arguments {
            let mut given = required.clone();
            if !given.contains(argument) {
                given.push(argument.clone());
            }
            variants.push((format!("{type_name}.{field_name}({argument})"), given));
        }
        for (proven, given) in variants {
            let arguments: Vec<String> = given.iter().map(|a| format!("{a}: {}", sample(a))).collect();
            let arguments = if arguments.is_empty() { String::new() } else { format!("({})", arguments.join(", ")) };
            let selection = if field.object { " { __typename }" } else { "" };
            let query = template.replace('@', &format!("{field_name}{arguments}{selection}"));
            let mut entries: Entries = way.iter().map(|(p, r)| (p.to_string(), *r)).collect();
            entries.push((format!("{type_name}.{field_name}"), on_row));
            for a in &given {
                entries.push((format!("{type_name}.{field_name}({a})"), on_row));
            }
            out.push((proven, query, entries));
        }
    }
    for (input, (template, way)) in [
        ("ProjectsFilter", ("{ projects(filter: { @ }) { totalCount } }", "Query.projects(filter)")),
        ("ProjectFilter", ("{ pipeline(filter: { @ }) { count } }", "Query.pipeline(filter)")),
    ] {
        for field in &schema.inputs[input] {
            let query = template.replace('@', &format!("{field}: {}", sample(field)));
            let root = way.split('(').next().unwrap();
            let entries =
                vec![(root.to_string(), false), (way.to_string(), false), (format!("{input}.{field}"), false)];
            out.push((format!("{input}.{field}"), query, entries));
        }
    }
    for order in &schema.orders {
        let query = format!("{{ projects(orderBy: {order}) {{ totalCount }} }}");
        let entries = vec![
            ("Query.projects".into(), false),
            ("Query.projects(orderBy)".into(), false),
            (format!("ProjectOrder.{order}"), false),
        ];
        out.push((format!("ProjectOrder.{order}"), query, entries));
    }
    out
}

async fn every_role_reads_exactly_what_the_table_says(t: &TestDb) {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let api = Api::new(&t.db);
    // Some history for ZS24006, so that its entries' fields are resolved.
    let editor = viewer(Role::Editor, Some("T02"));
    let r = api
        .run_as(&editor, r#"mutation { updateProject(code: "ZS24006", input: { contactPhone: "1" }) { code } }"#)
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let schema = schema();
    let cases = cases(&schema);
    assert!(cases.len() > 200, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for (proven, query, entries) in &cases {
        for (label, who) in roles() {
            let expected = allowed(&who, entries);
            let r = api.run_as(&who, query).await;
            let codes = error_codes(&r);
            let refused = codes.iter().any(|c| c == "FORBIDDEN");
            if expected == refused || (expected && !codes.is_empty()) {
                wrong.push(format!(
                    "{proven} for {label}: expected {}, got {r} from {query}",
                    if expected { "data" } else { "FORBIDDEN" }
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} requests disagree with the table:\n{}",
        wrong.len(),
        cases.len() * 5,
        wrong.join("\n")
    );
}
on_both_databases!(every_role_reads_exactly_what_the_table_says_on, every_role_reads_exactly_what_the_table_says);

async fn the_public_reads_no_investor_of_an_unsigned_project(t: &TestDb) {
    zhaoshang::jobs::import_file(&t.db, &sample_xlsx(), "test").await.unwrap();
    let api = Api::new(&t.db);
    let r = api
        .run_as(
            &viewer(Role::Admin, None),
            r#"mutation { createProject(input: { code: "ZS27301", name: "洽谈中项目", unitCode: "T02",
                industryName: "智能制造", totalInvestmentWan: 100, intentDate: "2026-01-05",
                investorName: "洽谈投资方", public: true }) { code } }"#,
        )
        .await;
    assert_eq!(error_codes(&r), Vec::<String>::new(), "{r}");
    let unsigned = Row { unit: "T02", signed: false };
    for field in ["investorName", "investor { name }"] {
        let path = format!("Project.{}", field.split(' ').next().unwrap());
        let query = format!(r#"{{ project(code: "ZS27301") {{ {field} }} }}"#);
        for (label, who) in roles() {
            let reader = Reader { role: who.role, unit: who.unit.as_deref() };
            let expected = policy::may_read(&path, reader, Some(unsigned));
            let r = api.run_as(&who, &query).await;
            assert_eq!(error_codes(&r).is_empty(), expected, "{path} for {label}: {r}");
        }
    }
}
on_both_databases!(
    the_public_reads_no_investor_of_an_unsigned_project_on,
    the_public_reads_no_investor_of_an_unsigned_project
);
