//! The demo district's promotion data: its industry chains (产业链图谱) with the links
//! it has and lacks, its carriers (载体) in several units, and the projects linked to
//! both. Drawn from a generator of its own, so that adding them leaves the rest of the
//! demo unchanged.

use chrono::NaiveDate;
use entities::{carrier, chain_link};

use super::Rng;
use crate::ledger::Ledger;

/// One link: name, position, what is sought, and the project-name stems that fill it
/// (none: a gap the district wants filled, 补链).
type LinkSeed = (&'static str, &'static str, &'static str, &'static [&'static str]);

/// The seven chains of the seed: name, cluster, the industry whose projects fill it, links.
const CHAINS: [(&str, &str, &str, &[LinkSeed]); 7] = [
    (
        "陶瓷产业链",
        "六大产业集群·陶瓷",
        "陶瓷紫砂",
        &[
            ("泥料制备", "上游", "高岭土、瓷土精制及标准化泥料企业", &[]),
            ("釉料色料", "上游", "环保釉料、色料研发生产企业", &[]),
            ("日用陶瓷", "中游", "中高端日用瓷、耀州瓷传承生产企业", &["日用陶瓷", "耀州瓷传承"]),
            ("建筑陶瓷", "中游", "绿色建筑陶瓷及装配式部品企业", &["建筑陶瓷"]),
            ("工业陶瓷", "中游", "精密铸造壳模、特种陶瓷企业", &["陶瓷壳模"]),
            ("陶瓷文创", "下游", "陶瓷文创设计与体验企业", &["紫砂文创"]),
            ("品牌营销与电商", "下游", "陶瓷品牌运营、直播电商企业", &[]),
        ],
    ),
    (
        "装备制造产业链",
        "六大产业集群·装备制造",
        "装备制造",
        &[
            ("精密铸造", "上游", "精密铸造、锻造配套企业", &["精密铸造"]),
            ("关键零部件", "上游", "液压件、轴承、传动件生产企业", &[]),
            ("矿山机械", "中游", "智能化矿山装备整机企业", &["矿山机械制造"]),
            ("汽车零部件", "中游", "新能源汽车零部件配套企业", &["汽车零部件加工"]),
            ("新能源装备", "中游", "光伏支架、风电装备制造企业", &["光伏支架制造", "风电装备"]),
            ("检测维修与再制造", "下游", "装备检测、维修及再制造服务企业", &[]),
        ],
    ),
    (
        "军民融合产业链",
        "六大产业集群·军民融合",
        "军民融合",
        &[
            ("特种材料", "上游", "特种合金、复合材料企业", &["特种材料"]),
            ("精密加工", "中游", "军民两用精密加工企业", &["军民融合精密加工"]),
            ("电子信息配套", "中游", "电子元器件、线缆组件配套企业", &[]),
            ("北斗导航应用", "下游", "北斗终端与行业应用企业", &["北斗导航应用"]),
        ],
    ),
    (
        "再生资源产业链",
        "六大产业集群·再生资源",
        "再生资源利用",
        &[
            ("回收分拣网络", "上游", "再生资源回收、分拣中心运营企业", &[]),
            ("废钢加工", "中游", "废钢破碎、精料加工企业", &["废钢加工"]),
            ("再生铝", "中游", "再生铝熔铸及深加工企业", &["再生铝循环利用"]),
            ("废旧轮胎再利用", "中游", "废旧轮胎热解及再生胶企业", &["废旧轮胎再利用"]),
            ("建材再生产品", "下游", "建筑垃圾再生骨料、再生建材企业", &["建筑垃圾资源化"]),
        ],
    ),
    (
        "农副产品精深加工产业链",
        "六大产业集群·农副产品精深加工",
        "农副产品精深加工",
        &[
            ("种植基地", "上游", "苹果、中药材规模化种植企业", &["中药材种植加工"]),
            ("果品精深加工", "中游", "果汁、果干、果胶等精深加工企业", &["苹果精深加工"]),
            ("杂粮深加工", "中游", "杂粮食品深加工企业", &["杂粮深加工"]),
            ("冷链食品", "中游", "预制菜与冷链食品加工企业", &["冷链食品加工"]),
            ("品牌营销与电商", "下游", "农产品品牌运营、电商企业", &[]),
        ],
    ),
    (
        "商贸物流产业链",
        "六大产业集群·商贸物流",
        "商贸物流",
        &[
            ("物流园区与仓储", "上游", "智能仓储、物流园区运营企业", &["智能仓储物流", "电商物流园"]),
            ("冷链物流", "中游", "冷链仓储及运输企业", &["冷链物流"]),
            ("农产品集散", "中游", "农产品批发集散市场运营企业", &["农产品集散"]),
            ("城乡配送", "下游", "城乡共同配送、快递分拨企业", &[]),
        ],
    ),
    (
        "文化旅游产业链",
        "六大产业集群·文化旅游",
        "文化旅游",
        &[
            ("文旅资源开发", "上游", "文旅资源策划与开发企业", &[]),
            ("古镇康养", "中游", "古镇文旅、康养项目运营企业", &["古镇文旅康养"]),
            ("民宿", "中游", "精品民宿集群运营企业", &["民宿集群"]),
            ("乡村旅游", "中游", "乡村旅游综合体运营企业", &["乡村旅游综合体"]),
            ("研学与文创消费", "下游", "研学旅行、文创消费企业", &["红色研学基地"]),
        ],
    ),
];

/// Carriers: code, name, kind, unit, area (亩), floor area (m²), price, status,
/// available from, public.
type CarrierSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<&'static str>,
    &'static str,
    Option<(i32, u32, u32)>,
    bool,
);

const CARRIERS: [CarrierSeed; 15] = [
    (
        "C001",
        "产业园区标准化厂房一期",
        "标准化厂房",
        "P01",
        Some(30.0),
        Some(12000.0),
        Some("8元/平方米·月"),
        "可供",
        None,
        true,
    ),
    ("C002", "产业园区A-3工业地块", "工业用地", "P01", Some(120.0), None, Some("12万元/亩"), "可供", None, true),
    ("C003", "黄堡镇原水泥厂闲置厂房", "闲置厂房", "T04", Some(45.0), Some(8600.0), Some("面议"), "可供", None, true),
    ("C004", "陈炉镇陶瓷产业园地块", "工业用地", "T01", Some(80.0), None, Some("10万元/亩"), "可供", None, true),
    (
        "C005",
        "陈炉镇老窑场闲置厂区",
        "闲置厂房",
        "T01",
        Some(25.0),
        Some(5200.0),
        Some("面议"),
        "可供",
        Some((2027, 3, 1)),
        true,
    ),
    ("C006", "王家河矿区闲置办公楼", "商业楼宇", "S02", None, Some(3600.0), None, "可供", None, false),
    ("C007", "红土镇B工业地块", "工业用地", "T02", Some(60.0), None, Some("11万元/亩"), "已意向", None, true),
    (
        "C008",
        "广阳镇农产品加工园厂房",
        "标准化厂房",
        "T03",
        Some(12.0),
        Some(6000.0),
        Some("6元/平方米·月"),
        "可供",
        None,
        true,
    ),
    ("C009", "董家河镇冷链仓储用地", "工业用地", "T05", Some(40.0), None, Some("9万元/亩"), "可供", None, true),
    (
        "C010",
        "城关街道商业综合楼",
        "商业楼宇",
        "S01",
        None,
        Some(15000.0),
        Some("45元/平方米·月"),
        "已使用",
        None,
        true,
    ),
    ("C011", "桃园街道闲置商铺", "商业楼宇", "S03", None, Some(2200.0), None, "可供", None, false),
    (
        "C012",
        "产业园区标准化厂房二期",
        "标准化厂房",
        "P01",
        Some(40.0),
        Some(18000.0),
        Some("8元/平方米·月"),
        "可供",
        Some((2026, 6, 30)),
        true,
    ),
    ("C013", "黄堡镇洗煤厂闲置厂区", "闲置厂房", "T04", Some(70.0), Some(9000.0), None, "可供", None, false),
    ("C014", "陈炉镇古镇文旅地块", "其他", "T01", Some(35.0), None, Some("面议"), "可供", None, true),
    (
        "C015",
        "红土镇原砖厂闲置厂房",
        "闲置厂房",
        "T02",
        Some(18.0),
        Some(4800.0),
        Some("5元/平方米·月"),
        "已使用",
        None,
        true,
    ),
];

/// Adds the chains and carriers to `ledger` and links its projects to them.
pub(super) fn add(ledger: &mut Ledger, seed: u64) {
    let mut rng = Rng(seed ^ 0x5A48_414F_5348_414E);
    for (chain, cluster, _, links) in CHAINS {
        let mut order = [0i64; 3];
        for (link, position, sought, _) in links.iter() {
            let p = crate::rules::vocab::CHAIN_POSITIONS.iter().position(|x| x == position).unwrap_or(0);
            order[p] += 1;
            let row = ledger.chain_links.len() + 2;
            ledger.chain_links.push((
                row,
                chain_link::Model {
                    chain: chain.into(),
                    link: (*link).into(),
                    cluster: Some(cluster.into()),
                    position: (*position).into(),
                    link_order: Some(order[p]),
                    sought: Some((*sought).into()),
                },
            ));
        }
    }
    for (i, (code, name, kind, unit, area, floor, price, status, from, public)) in CARRIERS.into_iter().enumerate() {
        let surname = ["张", "王", "李", "赵", "刘", "陈"][i % 6];
        ledger.carriers.push((
            i + 2,
            carrier::Model {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                unit_code: unit.into(),
                area_mu: area,
                floor_area: floor,
                price: price.map(Into::into),
                status: status.into(),
                available_from: from.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                public,
                summary: Some(format!("{name}，{kind}，水电路讯配套齐全，可按需定制。")),
                contact_name: Some(format!("{surname}主任")),
                contact_phone: Some(format!("0919-{:07}", rng.between(3_000_000, 3_999_999))),
            },
        ));
    }
    for (_, p) in &mut ledger.projects {
        let chain = CHAINS.iter().find(|(_, _, industry, _)| *industry == p.industry_name);
        if let Some((chain, _, _, links)) = chain
            && let Some((link, ..)) = links.iter().find(|(_, _, _, stems)| stems.iter().any(|s| p.name.contains(s)))
            && rng.chance(0.9)
        {
            p.chain_link = Some(format!("{chain}/{link}"));
        }
        // Started projects land on a carrier of their unit that is taken or reserved.
        if p.started_date.is_some() && rng.chance(0.3) {
            let taken = CARRIERS.iter().find(|c| c.3 == p.unit_code && c.7 != "可供");
            p.carrier_code = taken.map(|c| c.0.to_string());
        }
    }
}
