//! The folder a generated site is written into, kept safe for the files a user has
//! there: a build writes only into a new or empty folder or into its own previous
//! output (recognised by the manifest file [`MARKER`], which lists every file a build
//! wrote), removes only files a previous build listed, and never writes, reads or
//! deletes through a symbolic link inside the folder.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// The manifest a build leaves in its folder: a first line naming it, then the path of
/// every file the build wrote, relative to the folder, one a line, sorted.
pub const MARKER: &str = ".zhaoshang-site";

/// The manifest's first line (its format's version).
const HEADER: &str = "# zhaoshang site build: the files it wrote (it removes only these)";

/// Why a folder cannot take a build.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The folder holds files and no manifest: it is not a previous build's output.
    #[error(
        "will not build the site into {path}: it is not empty (it holds {example}) and no previous `site build` wrote it (it has no {MARKER} file); choose a new or empty folder"
    )]
    Foreign {
        /// The folder.
        path: String,
        /// One of the entries found, for the message.
        example: String,
    },
    /// A path the build would write or remove is, or passes through, a symbolic link.
    #[error(
        "{path} is a symbolic link: `site build` never writes or removes through links; remove the link or choose another folder"
    )]
    Symlink {
        /// The link.
        path: String,
    },
    /// The manifest names a path outside the folder, or cannot be read.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The file system refused.
    #[error("cannot write {path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path, e: std::io::Error) -> OutputError {
    OutputError::Io { path: path.display().to_string(), reason: e.to_string() }
}

/// Makes `out` ready for a build and returns the files the previous build listed:
/// creates it when absent, accepts it when empty or holding a manifest, refuses it
/// otherwise.
pub fn prepare(out: &Path) -> Result<Vec<String>, OutputError> {
    match std::fs::metadata(out) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
            return Ok(Vec::new());
        }
        Err(e) => return Err(io(out, e)),
        Ok(m) if !m.is_dir() => {
            return Err(OutputError::Io { path: out.display().to_string(), reason: "is not a folder".into() });
        }
        Ok(_) => {}
    }
    let marker = out.join(MARKER);
    match std::fs::symlink_metadata(&marker) {
        Ok(m) if m.file_type().is_symlink() => Err(OutputError::Symlink { path: marker.display().to_string() }),
        Ok(_) => read_manifest(&marker),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let mut entries: Vec<String> = std::fs::read_dir(out)
                .map_err(|e| io(out, e))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            entries.sort();
            match entries.into_iter().next() {
                None => Ok(Vec::new()),
                Some(example) => Err(OutputError::Foreign { path: out.display().to_string(), example }),
            }
        }
        Err(e) => Err(io(&marker, e)),
    }
}

fn read_manifest(marker: &Path) -> Result<Vec<String>, OutputError> {
    let bad = |reason: String| OutputError::Manifest { path: marker.display().to_string(), reason };
    let text = std::fs::read_to_string(marker).map_err(|e| bad(format!("cannot be read: {e}")))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad("is not a manifest written by `site build`".into()));
    }
    let mut names = Vec::new();
    for name in lines.filter(|l| !l.is_empty()) {
        if !is_relative_inside(name) {
            return Err(bad(format!("names {name:?}, which is not inside the folder")));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// Whether `name` is a plain relative path that stays inside the folder (no `..`, no
/// root, no drive).
fn is_relative_inside(name: &str) -> bool {
    !name.is_empty() && Path::new(name).components().all(|c| matches!(c, Component::Normal(_)))
}

/// Writes the manifest listing `names` (written first with the files a build may write,
/// so an interrupted build still knows them, then with the files it did write).
pub fn write_manifest<'a>(out: &Path, names: impl IntoIterator<Item = &'a String>) -> Result<(), OutputError> {
    let mut names: Vec<&String> = names.into_iter().collect();
    names.sort();
    names.dedup();
    let mut text = String::from(HEADER);
    text.push('\n');
    for name in names {
        text.push_str(name);
        text.push('\n');
    }
    let marker = safe_path(out, MARKER)?;
    let partial = safe_path(out, &format!("{MARKER}.partial"))?;
    std::fs::write(&partial, text).map_err(|e| io(&partial, e))?;
    std::fs::rename(&partial, &marker).map_err(|e| io(&marker, e))
}

/// The path of the site file `name` inside `out`, once it is sure that neither it nor
/// any folder on the way is a symbolic link (a missing part is fine: it will be made).
pub fn safe_path(out: &Path, name: &str) -> Result<PathBuf, OutputError> {
    if !is_relative_inside(name) {
        return Err(OutputError::Io { path: name.to_string(), reason: "is not a path inside the site".into() });
    }
    let mut path = out.to_path_buf();
    for part in Path::new(name).components() {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(OutputError::Symlink { path: path.display().to_string() });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(out.join(name)),
            Err(e) => return Err(io(&path, e)),
        }
    }
    Ok(path)
}

/// Removes the files a previous build wrote and this one did not, and then the
/// folders they leave empty. A listed path that is now a link, or lies under one, or is
/// no longer a plain file, is left alone. Returns how many files were removed.
pub fn remove_stale(out: &Path, stale: &[&String]) -> Result<usize, OutputError> {
    let mut removed = 0;
    let mut folders = Vec::new();
    for name in stale {
        let Ok(path) = safe_path(out, name) else { continue };
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                removed += 1;
                let mut parent = Path::new(name.as_str()).parent();
                while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
                    folders.push(out.join(p));
                    parent = p.parent();
                }
            }
            _ => {}
        }
    }
    folders.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    folders.dedup();
    for folder in folders {
        if std::fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
            let _ = std::fs::remove_dir(&folder); // only succeeds when empty
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_must_stay_inside_the_folder() {
        assert!(is_relative_inside("projects/ZS24001/index.html"));
        for name in ["../x", "/etc/passwd", "a/../../b", ""] {
            assert!(!is_relative_inside(name), "{name}");
        }
    }
}
