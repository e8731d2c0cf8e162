//! Escaping user text for XML and HTML: the one place, below `charts`, `bulletin` and
//! `publish`, that turns ledger text into markup text (SVG, `.pptx` parts, the site,
//! the bulletin's HTML).
//!
//! Besides the five markup characters, the characters XML 1.0 forbids (the C0 controls
//! other than tab, line feed and carriage return, and U+FFFE/U+FFFF) are dropped: a stray
//! control character pasted into a ledger must not make a deck or an SVG unreadable.

/// Whether XML 1.0 allows `c` in text (Char production; Rust strings hold no surrogates).
pub fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` with the characters XML forbids dropped, for writers that escape on their own.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(allowed_in_xml) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().filter(|c| allowed_in_xml(*c)).collect())
    }
}

/// Escapes `text` for XML and HTML text and attribute values (`&`, `<`, `>`, `"`, `'`)
/// and drops the characters XML forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if allowed_in_xml(c) => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_forbidden_controls_dropped() {
        assert_eq!(escape("A&B <c> \"d\" 'e'"), "A&amp;B &lt;c&gt; &quot;d&quot; &#39;e&#39;");
        assert_eq!(escape("陶瓷\u{0}产业\u{b}链\u{1f}\u{fffe}"), "陶瓷产业链");
        assert_eq!(escape("行1\n行2\t列\r"), "行1\n行2\t列\r", "white space XML allows is kept");
        assert_eq!(clean("a\u{7}b"), "ab");
        assert!(matches!(clean("无控制字符"), std::borrow::Cow::Borrowed(_)));
    }
}
