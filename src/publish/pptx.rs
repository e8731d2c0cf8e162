//! A minimal PresentationML (`.pptx`) writer: a title slide, then one chart or table per
//! slide, 16:9 — a native, editable chart ([`super::native`]: the chart part and its
//! embedded workbook) with the title, unit and source as text, a picture for chart kinds
//! without a native form, or a native DrawingML table (`a:tbl`, editable cell by cell)
//! for the tables of public records. Only the parts PowerPoint, WPS and LibreOffice
//! Impress require: content types, relationships, presentation, one master, one blank
//! layout, a theme, the slides, their charts, workbooks and pictures. Fixed timestamps:
//! the same deck gives the same bytes.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::native::NativeChart;
use crate::markup::escape;

const NS: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
/// Slide width and height in EMU (16:9, 33.867 × 19.05 cm).
const SLIDE: (i64, i64) = (12_192_000, 6_858_000);

/// What a chart slide shows.
pub enum Content {
    /// A native chart, editable in PowerPoint and WPS.
    Chart(NativeChart),
    /// A picture (PNG, 16:9) holding the title and footnote itself: for chart kinds
    /// without a native form.
    Picture(Vec<u8>),
    /// A native table, editable.
    Table(SlideTable),
}

/// The cells of a table slide: texts as written, the header row first.
#[derive(Clone, Debug, PartialEq)]
pub struct SlideTable {
    /// The header row.
    pub headers: Vec<String>,
    /// The rows, each as many cells as headers.
    pub rows: Vec<Vec<String>>,
    /// Relative column widths (one per header; a missing one counts 1).
    pub widths: Vec<u32>,
}

/// A chart slide.
pub struct ChartSlide {
    /// The chart's title (the picture's alternative text).
    pub title: String,
    /// Its unit or subtitle.
    pub subtitle: String,
    /// `数据截至 … · 来源：…`.
    pub footnote: String,
    /// The chart.
    pub content: Content,
}

/// The deck to write.
pub struct Presentation {
    /// Title of the title slide.
    pub title: String,
    /// Its subtitle.
    pub subtitle: String,
    /// A line such as `数据截至 2026-11-26`.
    pub date_line: String,
    /// The chart slides.
    pub slides: Vec<ChartSlide>,
}

fn rels(entries: &[(String, &str, String)]) -> String {
    let mut out =
        format!("{HEAD}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
    for (id, kind, target) in entries {
        out.push_str(&format!("<Relationship Id=\"{id}\" Type=\"{kind}\" Target=\"{target}\"/>"));
    }
    out.push_str("</Relationships>");
    out
}

const GROUP: &str = r#"<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>"#;

fn text_box(id: u32, (x, y, cx, cy): (i64, i64, i64, i64), text: &str, size: u32, bold: bool, color: &str) -> String {
    format!(
        r#"<p:sp><p:nvSpPr><p:cNvPr id="{id}" name="Text {id}"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr><p:txBody><a:bodyPr wrap="square" rtlCol="0"><a:normAutofit/></a:bodyPr><a:lstStyle/><a:p><a:r><a:rPr lang="zh-CN" altLang="en-US" sz="{size}" b="{}" dirty="0"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill><a:latin typeface="Microsoft YaHei"/><a:ea typeface="Microsoft YaHei"/></a:rPr><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp>"#,
        u8::from(bold),
        escape(text)
    )
}

fn slide(body: &str) -> String {
    format!(
        r#"{HEAD}<p:sld {NS}><p:cSld><p:spTree>{GROUP}{body}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"#
    )
}

fn title_slide(p: &Presentation) -> String {
    let (w, _) = SLIDE;
    let band = r#"<p:sp><p:nvSpPr><p:cNvPr id="5" name="Band"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="12192000" cy="228600"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="1F5FAD"/></a:solidFill><a:ln><a:noFill/></a:ln></p:spPr></p:sp>"#;
    let body = [
        band.to_string(),
        text_box(2, (762_000, 2_133_600, w - 1_524_000, 1_143_000), &p.title, 4400, true, "1A1F2B"),
        text_box(3, (762_000, 3_352_800, w - 1_524_000, 685_800), &p.subtitle, 2400, false, "5B6370"),
        text_box(4, (762_000, 5_486_400, w - 1_524_000, 533_400), &p.date_line, 1800, false, "5B6370"),
    ]
    .concat();
    slide(&body)
}

fn picture_slide(index: usize, title: &str) -> String {
    let (w, h) = SLIDE;
    let picture = format!(
        r#"<p:pic><p:nvPicPr><p:cNvPr id="2" name="Chart {index}" descr="{}"/><p:cNvPicPr><a:picLocks noChangeAspect="1"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"/><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{w}" cy="{h}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>"#,
        escape(title)
    );
    slide(&picture)
}

/// A slide with its title, subtitle and footnote around `frame` (a chart or a table).
fn framed(title: &str, subtitle: &str, footnote: &str, frame: String) -> String {
    let (w, _) = SLIDE;
    let (x, inner) = (457_200, w - 914_400);
    let body = [
        text_box(2, (x, 228_600, inner, 685_800), title, 2800, true, "1A1F2B"),
        text_box(3, (x, 868_680, inner, 457_200), subtitle, 1600, false, "5B6370"),
        frame,
        text_box(4, (x, 6_263_640, inner, 411_480), footnote, 1200, false, "5B6370"),
    ]
    .concat();
    slide(&body)
}

fn chart_slide(s: &ChartSlide) -> String {
    let (w, _) = SLIDE;
    let (x, inner) = (457_200, w - 914_400);
    let frame = format!(
        r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="5" name="Chart" descr="{}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="{x}" y="1371600"/><a:ext cx="{inner}" cy="4800600"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId2"/></a:graphicData></a:graphic></p:graphicFrame>"#,
        escape(&s.title)
    );
    framed(&s.title, &s.subtitle, &s.footnote, frame)
}

/// One cell of a table: its text, whether it is a header, and its fill.
fn table_cell(text: &str, header: bool, fill: &str) -> String {
    let color = if header { "FFFFFF" } else { "1A1F2B" };
    let run = if text.is_empty() {
        r#"<a:endParaRPr lang="zh-CN" altLang="en-US" sz="1100" dirty="0"/>"#.to_string()
    } else {
        format!(
            r#"<a:r><a:rPr lang="zh-CN" altLang="en-US" sz="1100" b="{}" dirty="0"><a:solidFill><a:srgbClr val="{color}"/></a:solidFill><a:latin typeface="Microsoft YaHei"/><a:ea typeface="Microsoft YaHei"/></a:rPr><a:t>{}</a:t></a:r>"#,
            u8::from(header),
            escape(text)
        )
    };
    let line =
        |side: &str| format!(r#"<a:{side} w="6350"><a:solidFill><a:srgbClr val="BFC5CE"/></a:solidFill></a:{side}>"#);
    format!(
        r#"<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p>{run}</a:p></a:txBody><a:tcPr marL="64008" marR="64008" marT="27432" marB="27432" anchor="ctr">{}{}{}{}<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill></a:tcPr></a:tc>"#,
        line("lnL"),
        line("lnR"),
        line("lnT"),
        line("lnB")
    )
}

fn table_slide(s: &ChartSlide, t: &SlideTable) -> String {
    let (w, _) = SLIDE;
    let (x, inner) = (457_200, w - 914_400);
    let weights: Vec<i64> = (0..t.headers.len()).map(|i| i64::from(t.widths.get(i).copied().unwrap_or(1))).collect();
    let total = weights.iter().sum::<i64>().max(1);
    let mut columns: Vec<i64> = weights.iter().map(|w| inner * w / total).collect();
    // The grid fills the width exactly: the last column takes the rounding.
    if let Some(last) = columns.last_mut() {
        *last += inner - weights.iter().map(|w| inner * w / total).sum::<i64>();
    }
    let (header_height, row_height) = (411_480, 502_920);
    let mut xml = String::from(r#"<a:tbl><a:tblPr firstRow="1" bandRow="1"/><a:tblGrid>"#);
    for c in &columns {
        xml.push_str(&format!(r#"<a:gridCol w="{c}"/>"#));
    }
    xml.push_str(&format!(r#"</a:tblGrid><a:tr h="{header_height}">"#));
    for h in &t.headers {
        xml.push_str(&table_cell(h, true, "1F5FAD"));
    }
    xml.push_str("</a:tr>");
    for (i, row) in t.rows.iter().enumerate() {
        xml.push_str(&format!(r#"<a:tr h="{row_height}">"#));
        let fill = if i % 2 == 0 { "FFFFFF" } else { "F3F5F8" };
        for c in 0..t.headers.len() {
            xml.push_str(&table_cell(row.get(c).map_or("", String::as_str), false, fill));
        }
        xml.push_str("</a:tr>");
    }
    xml.push_str("</a:tbl>");
    let height = header_height + row_height * t.rows.len() as i64;
    let frame = format!(
        r#"<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="5" name="Table" descr="{}"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x="{x}" y="1371600"/><a:ext cx="{inner}" cy="{height}"/></p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table">{xml}</a:graphicData></a:graphic></p:graphicFrame>"#,
        escape(&s.title)
    );
    framed(&s.title, &s.subtitle, &s.footnote, frame)
}

const MASTER: &str = r#"<p:sldMaster {NS}><p:cSld><p:bg><p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef></p:bg><p:spTree>{GROUP}</p:spTree></p:cSld><p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst><p:txStyles><p:titleStyle/><p:bodyStyle/><p:otherStyle/></p:txStyles></p:sldMaster>"#;
const LAYOUT: &str = r#"<p:sldLayout {NS} type="blank" preserve="1"><p:cSld name="Blank"><p:spTree>{GROUP}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"#;

fn theme() -> String {
    let colors = [
        ("dk1", "000000"),
        ("lt1", "FFFFFF"),
        ("dk2", "1A1F2B"),
        ("lt2", "E3E7ED"),
        ("accent1", "1F5FAD"),
        ("accent2", "E8833A"),
        ("accent3", "2E9E6A"),
        ("accent4", "8E5CC8"),
        ("accent5", "C99A12"),
        ("accent6", "0F9BB5"),
        ("hlink", "1F5FAD"),
        ("folHlink", "8E5CC8"),
    ];
    let scheme: String = colors.iter().map(|(n, c)| format!("<a:{n}><a:srgbClr val=\"{c}\"/></a:{n}>")).collect();
    let font = r#"<a:latin typeface="Microsoft YaHei"/><a:ea typeface="Microsoft YaHei"/><a:cs typeface=""/>"#;
    let fill = r#"<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>"#;
    let line = r#"<a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>"#;
    let effect = "<a:effectStyle><a:effectLst/></a:effectStyle>";
    format!(
        r#"{HEAD}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="zhaoshang"><a:themeElements><a:clrScheme name="zhaoshang">{scheme}</a:clrScheme><a:fontScheme name="zhaoshang"><a:majorFont>{font}</a:majorFont><a:minorFont>{font}</a:minorFont></a:fontScheme><a:fmtScheme name="zhaoshang"><a:fillStyleLst>{fill}{fill}{fill}</a:fillStyleLst><a:lnStyleLst>{line}{line}{line}</a:lnStyleLst><a:effectStyleLst>{effect}{effect}{effect}</a:effectStyleLst><a:bgFillStyleLst>{fill}{fill}{fill}</a:bgFillStyleLst></a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"#
    )
}

impl Presentation {
    /// The `.pptx` file's bytes.
    pub fn to_bytes(&self) -> zip::result::ZipResult<Vec<u8>> {
        let n = self.slides.len() + 1;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut types = format!(
            "{HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/><Default Extension=\"xlsx\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\"/>"
        );
        let part = |name: &str, kind: &str| {
            format!("<Override PartName=\"/{name}\" ContentType=\"application/vnd.openxmlformats-{kind}+xml\"/>")
        };
        types.push_str(&part("ppt/presentation.xml", "officedocument.presentationml.presentation.main"));
        types.push_str(&part("ppt/slideMasters/slideMaster1.xml", "officedocument.presentationml.slideMaster"));
        types.push_str(&part("ppt/slideLayouts/slideLayout1.xml", "officedocument.presentationml.slideLayout"));
        types.push_str(&part("ppt/theme/theme1.xml", "officedocument.theme"));
        for i in 1..=n {
            types.push_str(&part(&format!("ppt/slides/slide{i}.xml"), "officedocument.presentationml.slide"));
        }
        for (i, s) in self.slides.iter().enumerate() {
            if let Content::Chart(_) = s.content {
                types.push_str(&part(&format!("ppt/charts/chart{}.xml", i + 2), "officedocument.drawingml.chart"));
            }
        }
        types.push_str(&part("docProps/core.xml", "package.core-properties"));
        types.push_str(&part("docProps/app.xml", "officedocument.extended-properties"));
        types.push_str("</Types>");
        files.push(("[Content_Types].xml".into(), types.into_bytes()));
        files.push((
            "_rels/.rels".into(),
            rels(&[
                ("rId1".into(), &format!("{REL}/officeDocument"), "ppt/presentation.xml".into()),
                (
                    "rId2".into(),
                    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                    "docProps/core.xml".into(),
                ),
                ("rId3".into(), &format!("{REL}/extended-properties"), "docProps/app.xml".into()),
            ])
            .into_bytes(),
        ));
        files.push((
            "docProps/core.xml".into(),
            format!(
                r#"{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>zhaoshang</dc:creator></cp:coreProperties>"#,
                escape(&self.title)
            )
            .into_bytes(),
        ));
        files.push((
            "docProps/app.xml".into(),
            format!(r#"{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>zhaoshang</Application><Slides>{n}</Slides></Properties>"#).into_bytes(),
        ));
        let slide_ids: String =
            (1..=n).map(|i| format!("<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 255 + i, i + 2)).collect();
        files.push((
            "ppt/presentation.xml".into(),
            format!(
                r#"{HEAD}<p:presentation {NS} saveSubsetFonts="1"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst>{slide_ids}</p:sldIdLst><p:sldSz cx="{}" cy="{}"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>"#,
                SLIDE.0, SLIDE.1
            )
            .into_bytes(),
        ));
        let mut presentation_rels = vec![
            ("rId1".to_string(), format!("{REL}/slideMaster"), "slideMasters/slideMaster1.xml".to_string()),
            ("rId2".to_string(), format!("{REL}/theme"), "theme/theme1.xml".to_string()),
        ];
        for i in 1..=n {
            presentation_rels.push((format!("rId{}", i + 2), format!("{REL}/slide"), format!("slides/slide{i}.xml")));
        }
        let borrowed: Vec<(String, &str, String)> =
            presentation_rels.iter().map(|(a, b, c)| (a.clone(), b.as_str(), c.clone())).collect();
        files.push(("ppt/_rels/presentation.xml.rels".into(), rels(&borrowed).into_bytes()));
        files.push((
            "ppt/slideMasters/slideMaster1.xml".into(),
            format!("{HEAD}{}", MASTER.replace("{NS}", NS).replace("{GROUP}", GROUP)).into_bytes(),
        ));
        files.push((
            "ppt/slideMasters/_rels/slideMaster1.xml.rels".into(),
            rels(&[
                ("rId1".into(), &format!("{REL}/slideLayout"), "../slideLayouts/slideLayout1.xml".into()),
                ("rId2".into(), &format!("{REL}/theme"), "../theme/theme1.xml".into()),
            ])
            .into_bytes(),
        ));
        files.push((
            "ppt/slideLayouts/slideLayout1.xml".into(),
            format!("{HEAD}{}", LAYOUT.replace("{NS}", NS).replace("{GROUP}", GROUP)).into_bytes(),
        ));
        files.push((
            "ppt/slideLayouts/_rels/slideLayout1.xml.rels".into(),
            rels(&[("rId1".into(), &format!("{REL}/slideMaster"), "../slideMasters/slideMaster1.xml".into())])
                .into_bytes(),
        ));
        files.push(("ppt/theme/theme1.xml".into(), theme().into_bytes()));
        let layout_rel =
            || ("rId1".to_string(), format!("{REL}/slideLayout"), "../slideLayouts/slideLayout1.xml".to_string());
        files.push(("ppt/slides/slide1.xml".into(), title_slide(self).into_bytes()));
        let (a, b, c) = layout_rel();
        files.push(("ppt/slides/_rels/slide1.xml.rels".into(), rels(&[(a, &b, c)]).into_bytes()));
        for (i, s) in self.slides.iter().enumerate() {
            let number = i + 2;
            let (a, b, c) = layout_rel();
            match &s.content {
                Content::Picture(png) => {
                    files.push((format!("ppt/slides/slide{number}.xml"), picture_slide(number, &s.title).into_bytes()));
                    let image = format!("{REL}/image");
                    files.push((
                        format!("ppt/slides/_rels/slide{number}.xml.rels"),
                        rels(&[(a, &b, c), ("rId2".into(), &image, format!("../media/image{number}.png"))])
                            .into_bytes(),
                    ));
                    files.push((format!("ppt/media/image{number}.png"), png.clone()));
                }
                Content::Table(table) => {
                    files.push((format!("ppt/slides/slide{number}.xml"), table_slide(s, table).into_bytes()));
                    files.push((format!("ppt/slides/_rels/slide{number}.xml.rels"), rels(&[(a, &b, c)]).into_bytes()));
                }
                Content::Chart(chart) => {
                    files.push((format!("ppt/slides/slide{number}.xml"), chart_slide(s).into_bytes()));
                    let kind = format!("{REL}/chart");
                    files.push((
                        format!("ppt/slides/_rels/slide{number}.xml.rels"),
                        rels(&[(a, &b, c), ("rId2".into(), &kind, format!("../charts/chart{number}.xml"))])
                            .into_bytes(),
                    ));
                    files.push((format!("ppt/charts/chart{number}.xml"), chart.chart_xml().into_bytes()));
                    let workbook = format!("Microsoft_Excel_Worksheet{number}.xlsx");
                    files.push((
                        format!("ppt/charts/_rels/chart{number}.xml.rels"),
                        rels(&[("rId1".into(), &format!("{REL}/package"), format!("../embeddings/{workbook}"))])
                            .into_bytes(),
                    ));
                    let bytes = chart.workbook().map_err(|e| std::io::Error::other(e.to_string()))?;
                    files.push((format!("ppt/embeddings/{workbook}"), bytes));
                }
            }
        }
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in files {
            // PNGs and workbooks are compressed already.
            let method = if name.ends_with(".png") || name.ends_with(".xlsx") {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            let options =
                SimpleFileOptions::default().compression_method(method).last_modified_time(DateTime::default());
            zip.start_file(name, options)?;
            zip.write_all(&bytes)?;
        }
        Ok(zip.finish()?.into_inner())
    }
}
