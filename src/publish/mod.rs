//! Publishing: figures of the engine drawn by the charts into files people use —
//! decks of slides for meetings ([`slides`]) and the public site ([`site`]).
//!
//! - [`brochure`]: the printed 《重点项目推介手册》 (PDF).
//! - [`deck`]: deck files and the chart + table of each entry.
//! - [`public`]: the one allow-list of what the public may see of a project.
//! - [`site`]: the static investment-promotion site.
//! - [`output`]: the site's folder, its manifest, and the rule that no user file is lost.
//! - [`slides`]: PNG, SVG and CSV per chart, one `.pptx` and one `.xlsx` per deck.
//! - [`theme`]: the built-in site theme and decks, or the folders a district edits.
//! - [`pptx`]: a minimal, valid PresentationML writer.
//! - [`native`]: native PowerPoint charts with their embedded workbooks (编辑数据).
//! - [`workbook`]: the chart data with native Excel charts.

pub mod brochure;
pub mod deck;
pub mod native;
pub mod output;
pub mod pptx;
pub mod public;
pub mod site;
pub mod slides;
pub mod theme;
pub mod workbook;
