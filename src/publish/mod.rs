//! Publishing: figures of the engine drawn by the charts into files people use —
//! decks of slides for meetings ([`slides`]), built from deck files ([`deck`]).
//!
//! - [`deck`]: deck files and the chart + table of each entry.
//! - [`slides`]: PNG, SVG and CSV per chart, one `.pptx` and one `.xlsx` per deck.
//! - [`pptx`]: a minimal, valid PresentationML writer.
//! - [`workbook`]: the chart data with native Excel charts.

pub mod deck;
pub mod pptx;
pub mod slides;
pub mod workbook;
