//! The ledger's sheets and columns, defined once: the English key, the Chinese header
//! and whether it is required (see `docs/ledger.md`). Import, export and error messages
//! all read this table.

/// One column of a sheet.
#[derive(Debug)]
pub struct Column {
    /// English key, also accepted as a header.
    pub key: &'static str,
    /// The Chinese header written on export.
    pub zh: &'static str,
    /// Whether a row must give a value.
    pub required: bool,
    /// The stored column this one fills in its sheet's table (usually `key`); a column
    /// filling none of that table (e.g. `investor_origin`, kept on the investor) names
    /// a field that table does not have.
    pub field: &'static str,
}

/// One sheet of the ledger.
#[derive(Debug)]
pub struct Sheet {
    /// English name: the CSV file stem and the name in error messages.
    pub key: &'static str,
    /// Chinese sheet name in workbooks.
    pub zh: &'static str,
    /// Its columns, in export order.
    pub columns: &'static [Column],
}

const fn col(key: &'static str, zh: &'static str, required: bool) -> Column {
    Column { key, zh, required, field: key }
}

impl Column {
    /// The same column, stored under another name (`unit` → `unit_code`).
    const fn stored_as(self, field: &'static str) -> Column {
        Column { field, ..self }
    }
}

/// `units` (单位)
pub const UNITS: Sheet = Sheet {
    key: "units",
    zh: "单位",
    columns: &[col("code", "单位编码", true), col("name", "单位名称", true), col("kind", "单位类型", false)],
};

/// `industries` (产业)
pub const INDUSTRIES: Sheet = Sheet {
    key: "industries",
    zh: "产业",
    columns: &[col("name", "产业名称", true), col("cluster", "产业集群", false)],
};

/// `projects` (项目)
pub const PROJECTS: Sheet = Sheet {
    key: "projects",
    zh: "项目",
    columns: &[
        col("code", "项目编号", true),
        col("national_code", "项目代码", false),
        col("name", "项目名称", true),
        col("unit", "责任单位", true).stored_as("unit_code"),
        col("industry", "产业类别", true).stored_as("industry_name"),
        col("investor", "投资方", false).stored_as("investor_name"),
        col("investor_origin", "投资方来源地", false),
        col("channel", "招商方式", false),
        col("contract_type", "签约类型", false),
        col("signing_event", "签约活动", false),
        col("total_investment", "总投资（万元）", true),
        col("intent_date", "意向日期", false),
        col("negotiation_date", "洽谈日期", false),
        col("signed_date", "签约日期", false),
        col("registered_date", "注册日期", false),
        col("planned_start_date", "计划开工日期", false),
        col("started_date", "开工日期", false),
        col("planned_production_date", "计划投产日期", false),
        col("producing_date", "投产日期", false),
        col("capacity_date", "达产日期", false),
        col("stats_date", "入统日期", false),
        col("terminated_date", "终止日期", false),
        col("terminated_reason", "终止原因", false),
        col("land_area_mu", "用地面积（亩）", false),
        col("expected_output", "预计年产值（万元）", false),
        col("expected_tax", "预计年税收（万元）", false),
        col("expected_jobs", "预计就业（人）", false),
        col("key_project", "重点项目", false),
        col("public", "公开推介", false),
        col("summary", "项目简介", false),
        col("chain_link", "产业链环节", false),
        col("carrier", "落地载体", false).stored_as("carrier_code"),
        col("contact_name", "联系人", false),
        col("contact_phone", "联系电话", false),
    ],
};

/// `progress` (月度进度)
pub const PROGRESS: Sheet = Sheet {
    key: "progress",
    zh: "月度进度",
    columns: &[
        col("project", "项目编号", true).stored_as("project_code"),
        col("month", "月份", true),
        col("fai", "本月完成投资（万元）", false),
        col("funds_arrived", "本月到位资金（万元）", false),
        col("out_of_region_funds", "其中市域外资金（万元）", false),
    ],
};

/// `issues` (要素问题)
pub const ISSUES: Sheet = Sheet {
    key: "issues",
    zh: "要素问题",
    columns: &[
        col("project", "项目编号", true).stored_as("project_code"),
        col("category", "问题类别", true),
        col("description", "问题描述", true),
        col("owner", "责任单位", false).stored_as("owner_unit_code"),
        col("opened_date", "提出日期", true),
        col("resolved_date", "解决日期", false),
    ],
};

/// `targets` (目标任务)
pub const TARGETS: Sheet = Sheet {
    key: "targets",
    zh: "目标任务",
    columns: &[
        col("unit", "单位编码", true).stored_as("unit_code"),
        col("year", "年度", true),
        col("metric", "指标", true),
        col("value", "目标值", true),
    ],
};

/// `chain_links` (产业链环节)
pub const CHAIN_LINKS: Sheet = Sheet {
    key: "chain_links",
    zh: "产业链环节",
    columns: &[
        col("chain", "产业链", true),
        col("cluster", "产业集群", false),
        col("link", "环节", true),
        col("position", "位置", true),
        col("order", "序号", false).stored_as("link_order"),
        col("sought", "招引方向", false),
    ],
};

/// `carriers` (载体资源)
pub const CARRIERS: Sheet = Sheet {
    key: "carriers",
    zh: "载体资源",
    columns: &[
        col("code", "载体编号", true),
        col("name", "载体名称", true),
        col("kind", "载体类型", true),
        col("unit", "所在单位", true).stored_as("unit_code"),
        col("area_mu", "面积（亩）", false),
        col("floor_area", "建筑面积（平方米）", false),
        col("price", "价格", false),
        col("status", "状态", true),
        col("available_from", "可供日期", false),
        col("public", "公开推介", false),
        col("summary", "载体简介", false),
        col("contact_name", "联系人", false),
        col("contact_phone", "联系电话", false),
    ],
};

// The work around the pipeline: investor directory, events, contacts, incentives,
// supervision.

/// `investors` (客商名录)
pub const INVESTORS: Sheet = Sheet {
    key: "investors",
    zh: "客商名录",
    columns: &[
        col("name", "客商名称", true),
        col("origin", "来源地", false),
        col("kind", "客商类型", false),
        col("industry", "所属产业", false).stored_as("industry_name"),
        col("introduced_by", "引荐客商", false),
        col("owner", "联络单位", false).stored_as("owner_unit_code"),
        col("status", "跟进状态", false),
        col("contact_name", "联系人", false),
        col("contact_phone", "联系电话", false),
        col("notes", "备注", false),
    ],
};

/// `events` (招商活动)
pub const EVENTS: Sheet = Sheet {
    key: "events",
    zh: "招商活动",
    columns: &[
        col("code", "活动编号", true),
        col("name", "活动名称", true),
        col("kind", "活动类型", false),
        col("date", "开始日期", true),
        col("end_date", "结束日期", false),
        col("place", "地点", false),
        col("organizer", "主办单位", false).stored_as("organizer_unit_code"),
        col("public", "公开", false),
        col("summary", "活动简介", false),
    ],
};

/// `engagements` (对接记录)
pub const ENGAGEMENTS: Sheet = Sheet {
    key: "engagements",
    zh: "对接记录",
    columns: &[
        col("investor", "客商名称", true).stored_as("investor_name"),
        col("unit", "对接单位", true).stored_as("unit_code"),
        col("date", "对接日期", true),
        col("kind", "对接方式", true),
        col("event", "活动", false).stored_as("event_code"),
        col("outpost", "驻点", false),
        col("project", "项目编号", false).stored_as("project_code"),
        col("summary", "对接内容", false),
        col("next_date", "下次跟进日期", false),
    ],
};

/// `incentives` (政策兑现)
pub const INCENTIVES: Sheet = Sheet {
    key: "incentives",
    zh: "政策兑现",
    columns: &[
        col("project", "项目编号", true).stored_as("project_code"),
        col("policy", "政策名称", true),
        col("kind", "兑现类型", false),
        col("promised", "承诺金额（万元）", true),
        col("promised_date", "承诺日期", true),
        col("due_date", "应兑现日期", true),
        col("paid", "已兑现金额（万元）", false),
        col("paid_date", "兑现日期", false),
    ],
};

/// `supervision` (督办事项)
pub const SUPERVISION: Sheet = Sheet {
    key: "supervision",
    zh: "督办事项",
    columns: &[
        col("code", "督办编号", true),
        col("unit", "责任单位", true).stored_as("unit_code"),
        col("project", "项目编号", false).stored_as("project_code"),
        col("source", "督办来源", false),
        col("description", "督办事项", true),
        col("raised_date", "交办日期", true),
        col("deadline", "办结时限", true),
        col("closed_date", "办结日期", false),
    ],
};

/// Every sheet, in the order they are imported (referenced tables first).
pub const SHEETS: [&Sheet; 13] = [
    &UNITS,
    &INDUSTRIES,
    &CHAIN_LINKS,
    &CARRIERS,
    &PROJECTS,
    &PROGRESS,
    &ISSUES,
    &TARGETS,
    &INVESTORS,
    &EVENTS,
    &ENGAGEMENTS,
    &INCENTIVES,
    &SUPERVISION,
];

/// Normalises a header or sheet name for matching: trimmed, full-width brackets as
/// ASCII ones, English in lower case.
pub fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl Sheet {
    /// The position in `columns` of a header as written in a file.
    pub fn column_index(&self, header: &str) -> Option<usize> {
        let wanted = normalize(header);
        self.columns.iter().position(|c| normalize(c.zh) == wanted || c.key == wanted)
    }

    /// Whether a sheet or file name (Chinese or English) names this sheet.
    pub fn is_named(&self, name: &str) -> bool {
        let wanted = normalize(name);
        wanted == self.key || wanted == normalize(self.zh)
    }

    /// The Chinese header of a column key (`?` for a key the sheet does not have).
    pub fn zh(&self, key: &str) -> &'static str {
        self.columns.iter().find(|c| c.key == key).map_or("?", |c| c.zh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_ascii_brackets_match() {
        assert_eq!(PROJECTS.column_index("总投资(万元)"), PROJECTS.column_index("总投资（万元）"));
        assert_eq!(PROJECTS.column_index(" Total_Investment "), Some(10));
        assert_eq!(PROJECTS.column_index("备注"), None);
    }
}
