//! A deterministic demo district (示范区): a dozen units, the built-in industries and
//! several hundred projects over 2023–2026 moving through the stages with realistic lags
//! and drop-outs, monthly progress after starts, element issues, annual targets. It is
//! generated as a [`Ledger`] and imported through the same checks as a unit's ledger.
//! Its industry chains and carriers are in `demo/promotion.rs`.

use chrono::{Datelike, Days, Months, NaiveDate};
use entities::{element_issue, industry, investor, progress, project, target, unit};

use crate::ledger::Ledger;
use crate::money::YUAN_PER_WAN;
use crate::rules::vocab;

mod promotion;
mod work;

/// The demo's data end on this day, whatever day it is generated on, so the same seed
/// always gives the same district.
pub fn data_horizon() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()
}

/// SplitMix64: a small, well-known generator; enough for demo data and stable forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform integer in `[low, high]`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

const UNITS: [(&str, &str, &str); 12] = [
    ("S01", "城关街道", "街道"),
    ("S02", "王家河街道", "街道"),
    ("S03", "桃园街道", "街道"),
    ("T01", "陈炉镇", "镇"),
    ("T02", "红土镇", "镇"),
    ("T03", "广阳镇", "镇"),
    ("T04", "黄堡镇", "镇"),
    ("T05", "董家河镇", "镇"),
    ("D01", "区经贸局", "部门"),
    ("D02", "区招商局", "部门"),
    ("D03", "区文旅局", "部门"),
    ("P01", "产业园区管委会", "园区"),
];

const CLUSTERS: [&str; 11] = [
    "先进制造",
    "先进制造",
    "先进制造",
    "建材陶瓷",
    "节能环保",
    "现代农业",
    "现代服务",
    "生物医药",
    "文化旅游",
    "现代服务",
    "其他",
];

/// Project name stems by industry, in the order of the built-in taxonomy.
const STEMS: [&[&str]; 11] = [
    &["工业机器人集成应用", "智能装备制造", "数控机床", "智能传感器", "电子元器件"],
    &["汽车零部件加工", "矿山机械制造", "光伏支架制造", "风电装备", "精密铸造"],
    &["军民融合精密加工", "特种材料", "北斗导航应用"],
    &["陶瓷壳模", "紫砂文创", "日用陶瓷", "建筑陶瓷", "耀州瓷传承"],
    &["废钢加工", "再生铝循环利用", "废旧轮胎再利用", "建筑垃圾资源化"],
    &["苹果精深加工", "冷链食品加工", "中药材种植加工", "杂粮深加工"],
    &["智能仓储物流", "农产品集散", "电商物流园", "冷链物流"],
    &["中药饮片加工", "医疗器械", "生物制药"],
    &["古镇文旅康养", "红色研学基地", "乡村旅游综合体", "民宿集群"],
    &["城市综合体", "星级酒店", "商业步行街", "社区商业中心"],
    &["洗煤厂技改", "标准化厂房", "新能源充电站"],
];

const SUFFIXES: [&str; 4] = ["项目", "产业园", "基地", "项目（一期）"];
const CITIES: [&str; 16] = [
    "陕西省西安市",
    "陕西省铜川市",
    "陕西省咸阳市",
    "广东省深圳市",
    "广东省佛山市",
    "浙江省宁波市",
    "浙江省杭州市",
    "江苏省南京市",
    "江苏省常州市",
    "上海市",
    "北京市",
    "四川省成都市",
    "河南省郑州市",
    "甘肃省兰州市",
    "山东省青岛市",
    "福建省厦门市",
];
const FIRM_WORDS: [&str; 12] =
    ["华瑞", "安泰", "顺达", "恒远", "新宇", "秦川", "中科", "鼎盛", "博源", "嘉禾", "金石", "瑞丰"];
const FIRM_KINDS: [&str; 6] =
    ["科技有限公司", "集团有限公司", "股份有限公司", "实业有限公司", "新材料有限公司", "投资有限公司"];
const EVENTS: [&str; 4] = ["第八届丝博会", "第九届丝博会", "第十届丝博会", "秦商大会"];

/// Generates the demo district: `projects` projects from `seed`.
pub fn generate(projects: usize, seed: u64) -> Ledger {
    let mut rng = Rng(seed);
    let horizon = data_horizon();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    let units = UNITS
        .iter()
        .enumerate()
        .map(|(i, (code, name, kind))| {
            (i + 2, unit::Model { code: (*code).into(), name: (*name).into(), kind: Some((*kind).into()) })
        })
        .collect();
    let industries = vocab::INDUSTRIES
        .iter()
        .zip(CLUSTERS)
        .enumerate()
        .map(|(i, (name, cluster))| (i + 2, industry::Model { name: (*name).into(), cluster: Some(cluster.into()) }))
        .collect();
    let mut ledger = Ledger { units, industries: Some(industries), ..Ledger::default() };
    let investors: Vec<investor::Model> = (0..(projects / 4).max(8))
        .map(|i| {
            let word = FIRM_WORDS[i % FIRM_WORDS.len()];
            let kind = FIRM_KINDS[(i / FIRM_WORDS.len()) % FIRM_KINDS.len()];
            let city = CITIES[(i * 7) % CITIES.len()];
            let short_city = city.trim_end_matches('市').rsplit('省').next().unwrap_or(city);
            let name = format!("{short_city}{word}{kind}");
            investor::Model {
                name: if i < 72 { name } else { format!("{name}（{i}）") },
                origin: Some(city.into()),
                ..Default::default()
            }
        })
        .collect();
    let mut used_investors = std::collections::BTreeSet::new();
    let span_days = (horizon - start).num_days() as u64;
    for n in 0..projects {
        let industry = rng.between(0, 10) as usize;
        let unit = &UNITS[rng.between(0, UNITS.len() as u64 - 1) as usize];
        let intent = start + Days::new(rng.between(0, span_days - 20));
        let code = format!("ZS{:02}{:04}", intent.year() % 100, n + 1);
        // Log-uniform total investment between 500 万元 and 20 亿元, rounded to 10 万元.
        let wan = (500.0 * (400f64).powf(rng.unit())).round() as i64 / 10 * 10;
        let total = wan * YUAN_PER_WAN;
        let mut dates = [None; 6];
        dates[0] = Some(intent);
        let lags: [(u64, u64, f64); 5] =
            [(15, 120, 0.85), (30, 200, 0.72), (30, 240, 0.78), (180, 540, 0.7), (120, 420, 0.6)];
        let mut last = intent;
        for (stage, (low, high, p)) in lags.iter().enumerate() {
            let next = last + Days::new(rng.between(*low, *high));
            if next > horizon || !rng.chance(*p) {
                break;
            }
            dates[stage + 1] = Some(next);
            last = next;
        }
        // Some ledgers record only the later stages.
        if dates[3].is_some() && rng.chance(0.08) {
            dates[0] = None;
            dates[1] = None;
        }
        let signed = dates[2];
        let terminated =
            (rng.chance(0.06) && last + Days::new(90) < horizon).then(|| last + Days::new(rng.between(30, 90)));
        let planned_start = signed.map(|s| s + Days::new(rng.between(45, 150)));
        let planned_production = planned_start.map(|s| s + Days::new(rng.between(300, 720)));
        let seeking = signed.is_none() && terminated.is_none();
        let investor = if seeking && rng.chance(0.5) {
            None
        } else {
            let i = rng.pick(&investors);
            used_investors.insert(i.name.clone());
            Some(i.name.clone())
        };
        let stem = rng.pick(STEMS[industry]);
        let suffix = rng.pick(&SUFFIXES);
        let p = project::Model {
            code: code.clone(),
            version: 1,
            national_code: signed.map(|s| format!("{}-610203-{:02}-03-{:06}", s.year(), 10 + industry, n + 1)),
            name: format!("{}{stem}{suffix}", unit.1.trim_end_matches(['镇', '区'])),
            unit_code: unit.0.into(),
            industry_name: vocab::INDUSTRIES[industry].into(),
            investor_name: investor,
            channel: Some(rng.pick(vocab::CHANNELS).to_string()),
            contract_type: signed.map(|_| rng.pick(vocab::CONTRACT_TYPES).to_string()),
            signing_event: signed.filter(|_| rng.chance(0.4)).map(|_| rng.pick(&EVENTS).to_string()),
            total_investment: total,
            intent_date: dates[0],
            negotiation_date: dates[1],
            signed_date: dates[2],
            registered_date: signed
                .filter(|_| rng.chance(0.8))
                .map(|s| s + Days::new(rng.between(10, 60)))
                .filter(|d| *d <= horizon),
            planned_start_date: planned_start,
            started_date: dates[3],
            planned_production_date: planned_production,
            producing_date: dates[4],
            capacity_date: dates[5],
            stats_date: dates[3].map(|s| s + Days::new(rng.between(20, 90))).filter(|d| *d <= horizon),
            terminated_date: terminated,
            terminated_reason: terminated
                .map(|_| rng.pick(&["投资方撤资", "开而未建被退回", "项目调整替换", "资金链断裂"]).to_string()),
            land_area_mu: Some((wan as f64 / 300.0).round().max(5.0)),
            expected_output: Some(total * rng.between(8, 20) as i64 / 10),
            expected_tax: Some(total * rng.between(3, 9) as i64 / 100),
            expected_jobs: Some((wan / 100).max(10) + rng.between(0, 50) as i64),
            key_project: wan >= 50_000,
            public: seeking || rng.chance(0.5),
            chain_link: None,
            carrier_code: None,
            summary: Some(if seeking {
                format!("寻求投资：{stem}，计划总投资{}万元。", crate::money::format_wan(total))
            } else {
                format!("建设{stem}，总投资{}万元。", crate::money::format_wan(total))
            }),
            contact_name: Some(format!("{}工", rng.pick(&["张", "王", "李", "赵", "刘", "陈", "杨"]))),
            contact_phone: Some(format!("139{:08}", rng.between(0, 99_999_999))),
        };
        add_progress(&mut ledger, &mut rng, &p, horizon);
        if signed.is_some() && rng.chance(0.12) {
            let opened = signed.unwrap_or(intent) + Days::new(rng.between(10, 200));
            if opened <= horizon {
                let resolved =
                    Some(opened + Days::new(rng.between(20, 300))).filter(|d| *d <= horizon && rng.chance(0.6));
                let category = rng.pick(vocab::ISSUE_CATEGORIES).to_string();
                ledger.issues.push((
                    ledger.issues.len() + 2,
                    element_issue::Model {
                        id: 0,
                        project_code: code.clone(),
                        description: format!("{}问题待协调解决", category),
                        category,
                        owner_unit_code: Some(rng.pick(&["D01", "D02", "P01"]).to_string()),
                        opened_date: opened,
                        resolved_date: resolved,
                    },
                ));
            }
        }
        ledger.projects.push((ledger.projects.len() + 2, p));
    }
    ledger.named_investors = investors.into_iter().filter(|i| used_investors.contains(&i.name)).collect();
    add_targets(&mut ledger, &mut rng);
    promotion::add(&mut ledger, seed);
    work::add(&mut ledger, seed);
    ledger
}

/// Monthly progress from the start month while building, a little after production.
fn add_progress(ledger: &mut Ledger, rng: &mut Rng, p: &project::Model, horizon: NaiveDate) {
    let Some(started) = p.started_date else { return };
    let end = p.producing_date.unwrap_or(horizon).min(p.terminated_date.unwrap_or(horizon)).min(horizon);
    let mut month = started.with_day(1).unwrap_or(started);
    let months = ((end.year() - month.year()) * 12 + end.month() as i32 - month.month() as i32 + 1).max(1) as i64;
    let per_month = p.total_investment * 8 / 10 / months.max(6);
    while month <= end {
        // A few months with nothing done, as real ledgers show.
        let fai = if rng.chance(0.1) {
            0
        } else {
            per_month * rng.between(50, 150) as i64 / 100 / YUAN_PER_WAN * YUAN_PER_WAN
        };
        let funds = fai * rng.between(80, 115) as i64 / 100 / YUAN_PER_WAN * YUAN_PER_WAN;
        let outside =
            if rng.chance(0.6) { funds } else { funds * rng.between(0, 10) as i64 / 10 / YUAN_PER_WAN * YUAN_PER_WAN };
        ledger.progress.push((
            ledger.progress.len() + 2,
            progress::Model {
                project_code: p.code.clone(),
                month,
                fai: Some(fai),
                funds_arrived: Some(funds),
                out_of_region_funds: Some(outside),
            },
        ));
        month = month + Months::new(1);
    }
}

/// Annual targets for every unit and year, scaled by unit kind.
fn add_targets(ledger: &mut Ledger, rng: &mut Rng) {
    for (code, _, kind) in UNITS {
        let scale = if kind == "部门" { 1 } else { 2 };
        for year in 2023..=2026 {
            let values = [
                ("signed_count", rng.between(2, 4) as i64 * scale),
                ("signed_investment", rng.between(3, 8) as i64 * 10_000 * scale * YUAN_PER_WAN),
                ("new_starts", rng.between(1, 3) as i64 * scale),
                ("new_starts_10m", rng.between(1, 2) as i64 * scale),
                ("fai", rng.between(2, 6) as i64 * 10_000 * scale * YUAN_PER_WAN),
            ];
            for (metric, value) in values {
                let row = ledger.targets.len() + 2;
                ledger
                    .targets
                    .push((row, target::Model { unit_code: code.into(), year, metric: metric.into(), value }));
            }
        }
    }
}
