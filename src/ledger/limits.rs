//! The most a ledger may make the reader hold, so that an untrusted file (a zip bomb, a
//! workbook whose `<dimension>` claims a million rows by 16,384 columns, a CSV line of a
//! million fields) is refused with an error naming the limit instead of exhausting
//! memory. Every limit is far above a real district's ledger (see `docs/ledger.md`).

use std::io::{Cursor, Read};

/// The largest ledger file read: an `.xlsx` workbook, or each CSV file of a folder.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The most entries (files) a workbook's zip may hold.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// The most bytes one entry of a workbook may decompress to.
pub const MAX_ENTRY_BYTES: u64 = 256 << 20;
/// The most bytes all entries of a workbook may decompress to together.
pub const MAX_UNZIPPED_BYTES: u64 = 1 << 30;
/// The most rows a sheet may have (Excel's own limit).
pub const MAX_ROWS: usize = 1_048_576;
/// The most columns a sheet may use.
pub const MAX_COLUMNS: usize = 1_024;
/// The most characters a cell may hold (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// The most cells (rows × columns up to the last header) a whole ledger may have.
pub const MAX_CELLS: usize = 20_000_000;
/// The most bytes of text all the cells of a ledger may hold together (a workbook's
/// shared strings are stored once but may be used by any number of cells).
pub const MAX_TEXT_BYTES: usize = 512 << 20;

/// Checks a workbook's bytes before any of it is parsed: the number of entries, each
/// entry's declared and actual decompressed size, and their total. The entries are
/// decompressed here into nothing, at most one byte past a limit each, so a zip whose
/// headers lie is caught as well as one that declares its size.
pub fn check_zip(bytes: &[u8]) -> Result<(), String> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("is not a valid .xlsx (zip): {e}"))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(format!(
            "holds {} files; a workbook may hold at most {} (limit MAX_ZIP_ENTRIES)",
            thousands(archive.len() as u64),
            thousands(MAX_ZIP_ENTRIES as u64)
        ));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("is not a valid .xlsx (zip entry {i}): {e}"))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_else(|_| format!("#{i}"));
        let too_big = |size: &str| {
            format!(
                "part {name:?} {size}; a workbook part may decompress to at most {} bytes (limit MAX_ENTRY_BYTES)",
                thousands(MAX_ENTRY_BYTES)
            )
        };
        if entry.size() > MAX_ENTRY_BYTES {
            return Err(too_big(&format!("declares {} bytes", thousands(entry.size()))));
        }
        let mut limited = (&mut entry).take(MAX_ENTRY_BYTES + 1);
        let actual = std::io::copy(&mut limited, &mut std::io::sink())
            .map_err(|e| format!("is not a valid .xlsx: part {name:?} cannot be decompressed: {e}"))?;
        if actual > MAX_ENTRY_BYTES {
            return Err(too_big(&format!("decompresses to more than {} bytes", thousands(MAX_ENTRY_BYTES))));
        }
        total += actual;
        if total > MAX_UNZIPPED_BYTES {
            return Err(format!(
                "decompresses to more than {} bytes; a workbook may hold at most that much (limit MAX_UNZIPPED_BYTES)",
                thousands(MAX_UNZIPPED_BYTES)
            ));
        }
    }
    Ok(())
}

/// What a ledger's cells have used so far of [`MAX_CELLS`] and [`MAX_TEXT_BYTES`].
#[derive(Debug, Default)]
pub struct Budget {
    cells: usize,
    text: usize,
}

impl Budget {
    /// Counts a row of `width` cells; an error naming the limit once it is passed.
    pub fn row(&mut self, width: usize) -> Result<(), String> {
        self.cells += width;
        if self.cells > MAX_CELLS {
            return Err(format!(
                "the ledger has more than {} cells; at most that many are read (limit MAX_CELLS)",
                thousands(MAX_CELLS as u64)
            ));
        }
        Ok(())
    }

    /// Counts a text cell of `bytes`; an error naming the limit once it is passed.
    pub fn text(&mut self, bytes: usize) -> Result<(), String> {
        self.text += bytes;
        if self.text > MAX_TEXT_BYTES {
            return Err(format!(
                "the ledger's cells hold more than {} bytes of text; at most that much is read (limit MAX_TEXT_BYTES)",
                thousands(MAX_TEXT_BYTES as u64)
            ));
        }
        Ok(())
    }
}

/// Why a cell's text is refused for its length, if it is.
pub fn cell_too_long(text: &str) -> Option<String> {
    // Bytes bound characters from above: count only when it may matter.
    if text.len() <= MAX_CELL_CHARS {
        return None;
    }
    let chars = text.chars().count();
    (chars > MAX_CELL_CHARS).then(|| {
        format!(
            "is {} characters long; a cell may hold at most {} (Excel's limit, MAX_CELL_CHARS)",
            thousands(chars as u64),
            thousands(MAX_CELL_CHARS as u64)
        )
    })
}

/// The error for a sheet with too many columns.
pub fn too_many_columns(found: usize) -> String {
    format!(
        "uses {} columns or more; a sheet may use at most {} (limit MAX_COLUMNS)",
        thousands(found as u64),
        thousands(MAX_COLUMNS as u64)
    )
}

/// The error for a sheet with too many rows.
pub fn too_many_rows() -> String {
    format!(
        "has more than {} rows; a sheet may have at most that many (Excel's limit, MAX_ROWS)",
        thousands(MAX_ROWS as u64)
    )
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_048_576), "1,048,576");
    }
}
