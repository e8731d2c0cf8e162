//! Where the site theme and the slide decks come from: compiled into the binary (the
//! defaults in the repository's `site/` and `exports/decks/`), or a folder a district
//! customised (`zhaoshang init DIR` writes editable copies; `--site DIR` and
//! `--decks DIR` point at them). Nothing is looked up relative to the working directory
//! by accident, and a file missing from a folder is an error naming it, never a skip.

use std::path::{Path, PathBuf};

/// The default site theme, as `(path inside the theme, text)`: settings, words,
/// templates, assets and content. A unit test checks that it lists every file of `site/`.
pub const SITE_FILES: &[(&str, &str)] = &[
    ("site.toml", include_str!("../../site/site.toml")),
    ("i18n.toml", include_str!("../../site/i18n.toml")),
    ("templates/base.html", include_str!("../../site/templates/base.html")),
    ("templates/cards.html", include_str!("../../site/templates/cards.html")),
    ("templates/home.html", include_str!("../../site/templates/home.html")),
    ("templates/opportunities.html", include_str!("../../site/templates/opportunities.html")),
    ("templates/project.html", include_str!("../../site/templates/project.html")),
    ("templates/listing.html", include_str!("../../site/templates/listing.html")),
    ("templates/results.html", include_str!("../../site/templates/results.html")),
    ("templates/events.html", include_str!("../../site/templates/events.html")),
    ("templates/chains.html", include_str!("../../site/templates/chains.html")),
    ("templates/chain.html", include_str!("../../site/templates/chain.html")),
    ("templates/carriers.html", include_str!("../../site/templates/carriers.html")),
    ("templates/page.html", include_str!("../../site/templates/page.html")),
    ("templates/404.html", include_str!("../../site/templates/404.html")),
    ("assets/style.css", include_str!("../../site/assets/style.css")),
    ("assets/filter.js", include_str!("../../site/assets/filter.js")),
    ("assets/favicon.svg", include_str!("../../site/assets/favicon.svg")),
    ("content/environment.md", include_str!("../../site/content/environment.md")),
    ("content/policies.md", include_str!("../../site/content/policies.md")),
    ("content/en/environment.md", include_str!("../../site/content/en/environment.md")),
    ("content/en/policies.md", include_str!("../../site/content/en/policies.md")),
];

/// The default decks, as `(file name, text)`: 周调度会 and 季度考核.
pub const DECK_FILES: &[(&str, &str)] = &[
    ("weekly.toml", include_str!("../../exports/decks/weekly.toml")),
    ("quarterly.toml", include_str!("../../exports/decks/quarterly.toml")),
];

/// The deck `slides` and `quickstart` use when none is named.
pub const DEFAULT_DECK: &str = "weekly";

/// A missing or unreadable theme or deck file.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// A file of a folder given with `--site` or `--decks` cannot be read.
    #[error("{path}: {reason} (`zhaoshang init DIR` writes a complete copy of the defaults to start from)")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// No deck of that name.
    #[error("no deck named {name:?} in {place}; there are: {available}")]
    NoDeck {
        /// The name asked for.
        name: String,
        /// Where it was looked for.
        place: String,
        /// The decks there.
        available: String,
    },
}

/// Where files of the site theme or the decks are read from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The defaults compiled into the binary.
    #[default]
    Embedded,
    /// A folder (e.g. written by `zhaoshang init` and edited).
    Dir(PathBuf),
}

impl Source {
    /// The folder if one is given, else the embedded defaults.
    pub fn from_dir(dir: Option<PathBuf>) -> Source {
        dir.map_or(Source::Embedded, Source::Dir)
    }

    /// Where this is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Embedded => "the built-in defaults".into(),
            Source::Dir(dir) => dir.display().to_string(),
        }
    }

    /// The site theme file at `path` (e.g. `templates/home.html`).
    pub fn site_file(&self, path: &str) -> Result<String, ThemeError> {
        self.read(SITE_FILES, path)
    }

    fn read(&self, embedded: &[(&str, &str)], path: &str) -> Result<String, ThemeError> {
        match self {
            Source::Embedded => {
                embedded.iter().find(|(p, _)| *p == path).map(|(_, text)| text.to_string()).ok_or_else(|| {
                    ThemeError::Unreadable {
                        path: format!("(built-in) {path}"),
                        reason: "not part of the built-in defaults".into(),
                    }
                })
            }
            Source::Dir(dir) => {
                let file = dir.join(path);
                std::fs::read_to_string(&file)
                    .map_err(|e| ThemeError::Unreadable { path: file.display().to_string(), reason: e.to_string() })
            }
        }
    }

    /// The deck `name`: a file path (containing `/` or ending in `.toml`) is read as
    /// given; a bare name (`weekly`) is `NAME.toml` of this source. Returns the deck's
    /// name (the file stem), where it came from, and its text.
    pub fn deck(&self, name: &str) -> Result<Deck, ThemeError> {
        if name.contains('/') || name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".toml") {
            let path = Path::new(name);
            let text = std::fs::read_to_string(path)
                .map_err(|e| ThemeError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
            let stem = path.file_stem().map_or("deck".into(), |s| s.to_string_lossy().to_string());
            return Ok(Deck { name: stem, origin: path.display().to_string(), text });
        }
        let file = format!("{name}.toml");
        let available = || match self {
            Source::Embedded => {
                DECK_FILES.iter().map(|(f, _)| f.trim_end_matches(".toml")).collect::<Vec<_>>().join(", ")
            }
            Source::Dir(dir) => {
                let mut names: Vec<String> = std::fs::read_dir(dir)
                    .map(|entries| {
                        entries
                            .flatten()
                            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".toml").map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                names.sort();
                if names.is_empty() { "none".into() } else { names.join(", ") }
            }
        };
        match self {
            Source::Embedded => DECK_FILES
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, text)| Deck {
                    name: name.into(),
                    origin: format!("(built-in) {file}"),
                    text: text.to_string(),
                })
                .ok_or_else(|| ThemeError::NoDeck {
                    name: name.into(),
                    place: self.describe(),
                    available: available(),
                }),
            Source::Dir(dir) => {
                let path = dir.join(&file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Deck { name: name.into(), origin: path.display().to_string(), text }),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(ThemeError::NoDeck { name: name.into(), place: self.describe(), available: available() })
                    }
                    Err(e) => Err(ThemeError::Unreadable { path: path.display().to_string(), reason: e.to_string() }),
                }
            }
        }
    }
}

/// A deck file's text and where it came from.
#[derive(Clone, Debug)]
pub struct Deck {
    /// The deck's name (the file stem): names the files written.
    pub name: String,
    /// The file, or `(built-in) NAME.toml`.
    pub origin: String,
    /// The TOML text.
    pub text: String,
}

/// Writes editable copies of the defaults into `dir`: the site theme into `dir/site/`,
/// the decks into `dir/decks/`, and `extra` files (such as the commented configuration)
/// at their paths. Refuses to overwrite an existing file unless `force`; returns the
/// files written.
pub fn write_defaults(dir: &Path, extra: &[(&str, &str)], force: bool) -> std::io::Result<Vec<PathBuf>> {
    let files: Vec<(PathBuf, &str)> = SITE_FILES
        .iter()
        .map(|(p, t)| (dir.join("site").join(p), *t))
        .chain(DECK_FILES.iter().map(|(p, t)| (dir.join("decks").join(p), *t)))
        .chain(extra.iter().map(|(p, t)| (dir.join(p), *t)))
        .collect();
    if !force && let Some((existing, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists (use --force to overwrite the defaults' files)", existing.display()),
        ));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn files_under(root: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn every_file_of_the_site_folder_and_every_deck_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut site: Vec<String> = SITE_FILES.iter().map(|(p, _)| p.to_string()).collect();
        site.sort();
        assert_eq!(files_under(&root.join("site")), site);
        let mut decks: Vec<String> = DECK_FILES.iter().map(|(p, _)| p.to_string()).collect();
        decks.sort();
        assert_eq!(files_under(&root.join("exports/decks")), decks);
    }

    #[test]
    fn a_missing_deck_names_the_decks_there_are() {
        let error = Source::Embedded.deck("monthly").unwrap_err().to_string();
        assert!(error.contains("weekly, quarterly"), "{error}");
    }

    #[test]
    fn a_file_missing_from_a_theme_folder_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let error = Source::Dir(dir.path().to_path_buf()).site_file("templates/home.html").unwrap_err().to_string();
        assert!(error.contains("templates/home.html") && error.contains("zhaoshang init"), "{error}");
    }
}
