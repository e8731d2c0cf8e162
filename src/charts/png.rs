//! A small PNG encoder for the chart buffers: 8-bit RGB, one IDAT, no timestamps, so
//! the same picture always gives the same bytes.

use std::io::Write as _;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Encodes an RGB buffer of `width` × `height` as PNG.
pub fn encode_rgb(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::with_capacity(rgb.len() + height as usize);
    let stride = width as usize * 3;
    let mut previous: Option<&[u8]> = None;
    for row in rgb.chunks(stride) {
        // Filter "up" (2) where a row above exists: charts repeat rows a lot.
        match previous {
            None => {
                raw.push(0);
                raw.extend_from_slice(row);
            }
            Some(above) => {
                raw.push(2);
                raw.extend(row.iter().zip(above).map(|(a, b)| a.wrapping_sub(*b)));
            }
        }
        previous = Some(row);
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(&raw);
    let compressed = encoder.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &compressed);
    chunk(&mut out, b"IEND", &[]);
    out
}
