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

/// Every sheet, in the order they are imported (referenced tables first).
pub const SHEETS: [&Sheet; 8] = [&UNITS, &INDUSTRIES, &CHAIN_LINKS, &CARRIERS, &PROJECTS, &PROGRESS, &ISSUES, &TARGETS];

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
