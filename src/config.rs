//! The one typed configuration: `zhaoshang.toml` (found by `--config`, then
//! `ZHAOSHANG_CONFIG`, then the working directory), with environment variables and
//! flags overriding it (clap reads both into [`Overrides`]), and the defaults of the code
//! under it. `zhaoshang config check` prints the result with secrets masked. The
//! commented example (`deploy/zhaoshang.toml`) is what `zhaoshang init` writes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::analytics::scorecard::ScoringConfig;

/// The file looked for in the working directory when no other is named.
pub const FILE_NAME: &str = "zhaoshang.toml";

/// The commented example configuration (every default shown), written by `init`.
pub const EXAMPLE: &str = include_str!("../deploy/zhaoshang.toml");

/// Why the configuration is not usable; each names the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the wrong type
    /// (the message quotes the line and names the key).
    #[error("{path}: {reason}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        reason: String,
    },
    /// A value is of the right type but not allowed.
    #[error("{key} (from {origin}): {reason}")]
    Invalid {
        /// The key, e.g. `api.max_depth`.
        key: String,
        /// The file, or the flag or environment variable.
        origin: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

/// The file's shape. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<String>,
    base_url: Option<String>,
    site: Option<PathBuf>,
    decks: Option<PathBuf>,
    #[serde(default)]
    api: ApiFile,
    scoring: Option<ScoringConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    max_depth: Option<usize>,
    max_complexity: Option<usize>,
    timeout_secs: Option<u64>,
    max_body_bytes: Option<usize>,
    max_response_bytes: Option<usize>,
    token_trust_secs: Option<u64>,
}

/// What the command line and the environment say (each `None` when not given).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config` / `ZHAOSHANG_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--database-url` / `ZHAOSHANG_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--addr` / `ZHAOSHANG_LISTEN`.
    pub listen: Option<String>,
    /// `--base-url` / `ZHAOSHANG_BASE_URL`.
    pub base_url: Option<String>,
    /// `--site` / `ZHAOSHANG_SITE`.
    pub site: Option<PathBuf>,
    /// `--decks` / `ZHAOSHANG_DECKS`.
    pub decks: Option<PathBuf>,
    /// `--scoring` / `ZHAOSHANG_SCORING`: a TOML file of ranking weights.
    pub scoring: Option<PathBuf>,
}

/// The effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// The database URL.
    pub database_url: String,
    /// Where `serve` listens.
    pub listen: String,
    /// Where the public site is served.
    pub base_url: String,
    /// The site theme folder; `None`: the built-in theme.
    pub site: Option<PathBuf>,
    /// The decks folder; `None`: the built-in decks.
    pub decks: Option<PathBuf>,
    /// API limits.
    pub api: ApiLimits,
    /// Ranking weights and bottom size.
    pub scoring: ScoringConfig,
}

/// The API's limits.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiLimits {
    /// Deepest selection allowed.
    pub max_depth: usize,
    /// Largest complexity allowed.
    pub max_complexity: usize,
    /// Longest a request may run.
    pub timeout: Duration,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest response a request may build (its memory budget).
    pub max_response_bytes: usize,
    /// How long an authenticated token is trusted without asking the database again.
    pub token_trust: Duration,
}

impl Default for ApiLimits {
    /// The defaults where they are defined: [`crate::api::ApiOptions`] and the server.
    fn default() -> Self {
        let options = crate::api::ApiOptions::new(false);
        ApiLimits {
            max_depth: options.max_depth,
            max_complexity: options.max_complexity,
            timeout: options.timeout,
            max_body_bytes: crate::api::server::MAX_BODY_BYTES,
            max_response_bytes: options.max_response_bytes,
            token_trust: crate::api::gate::TOKEN_CACHE_TTL,
        }
    }
}

/// Where `serve` listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Config {
    /// The configuration of the file found (see the module doc) under `overrides`.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        let file = match &overrides.config {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from(FILE_NAME)).filter(|p| p.is_file()),
        };
        let text = match &file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?,
            ),
            None => None,
        };
        Config::from_parts(file.as_deref(), text.as_deref(), overrides)
    }

    /// The configuration of `text` (read from `file`) under `overrides`.
    pub fn from_parts(file: Option<&Path>, text: Option<&str>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let origin = file.map_or("the defaults".to_string(), |f| f.display().to_string());
        let parsed: FileConfig = match text {
            Some(text) => {
                toml::from_str(text).map_err(|e| ConfigError::Syntax { path: origin.clone(), reason: e.to_string() })?
            }
            None => FileConfig::default(),
        };
        // Paths in the file are relative to the file's folder, never to where the
        // command happens to run.
        let dir = file.and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
        let beside = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        let invalid = |key: &str, from_flag: Option<&str>, reason: String| ConfigError::Invalid {
            key: key.into(),
            origin: from_flag.map_or(origin.clone(), str::to_string),
            reason,
        };

        let database_url = match (&overrides.database_url, parsed.database_url) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => sqlite_beside(&url, &dir),
            (None, None) => sqlite_beside(crate::store::DEFAULT_DATABASE_URL, &dir),
        };
        let url_origin = overrides.database_url.as_ref().map(|_| "--database-url / ZHAOSHANG_DATABASE_URL");
        if !["sqlite:", "postgres://", "postgresql://"].iter().any(|p| database_url.starts_with(p)) {
            return Err(invalid(
                "database_url",
                url_origin,
                format!("{:?} is neither sqlite://FILE nor postgres://…", mask_url(&database_url)),
            ));
        }

        let listen = overrides.listen.clone().or(parsed.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen_origin = overrides.listen.as_ref().map(|_| "--addr / ZHAOSHANG_LISTEN");
        match listen.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
            _ => return Err(invalid("listen", listen_origin, format!("{listen:?} is not HOST:PORT"))),
        }

        let base_url = overrides.base_url.clone().or(parsed.base_url).unwrap_or_else(|| "/".into());
        if !(base_url.starts_with('/') || base_url.starts_with("https://") || base_url.starts_with("http://")) {
            let from = overrides.base_url.as_ref().map(|_| "--base-url / ZHAOSHANG_BASE_URL");
            return Err(invalid("base_url", from, format!("{base_url:?} is neither a path (/…) nor an http(s) URL")));
        }

        let folder = |key: &str, flag: &Option<PathBuf>, from_file: Option<PathBuf>, from: &str| {
            let (path, from) = match (flag, from_file) {
                (Some(p), _) => (p.clone(), Some(from)),
                (None, Some(p)) => (beside(p), None),
                (None, None) => return Ok(None),
            };
            if path.is_dir() {
                Ok(Some(path))
            } else {
                Err(invalid(key, from, format!("{} is not a folder (`zhaoshang init DIR` writes one)", path.display())))
            }
        };
        let site = folder("site", &overrides.site, parsed.site, "--site / ZHAOSHANG_SITE")?;
        let decks = folder("decks", &overrides.decks, parsed.decks, "--decks / ZHAOSHANG_DECKS")?;

        let defaults = ApiLimits::default();
        let a = parsed.api;
        let positive = |key: &str, value: Option<u64>| match value {
            Some(0) => Err(invalid(key, None, "must be at least 1".into())),
            v => Ok(v),
        };
        let api = ApiLimits {
            max_depth: positive("api.max_depth", a.max_depth.map(|v| v as u64))?
                .map_or(defaults.max_depth, |v| v as usize),
            max_complexity: positive("api.max_complexity", a.max_complexity.map(|v| v as u64))?
                .map_or(defaults.max_complexity, |v| v as usize),
            timeout: positive("api.timeout_secs", a.timeout_secs)?.map_or(defaults.timeout, Duration::from_secs),
            max_body_bytes: positive("api.max_body_bytes", a.max_body_bytes.map(|v| v as u64))?
                .map_or(defaults.max_body_bytes, |v| v as usize),
            max_response_bytes: positive("api.max_response_bytes", a.max_response_bytes.map(|v| v as u64))?
                .map_or(defaults.max_response_bytes, |v| v as usize),
            token_trust: a.token_trust_secs.map_or(defaults.token_trust, Duration::from_secs),
        };

        let scoring = match &overrides.scoring {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| invalid("scoring", Some("--scoring / ZHAOSHANG_SCORING"), e.to_string()))?;
                ScoringConfig::from_toml(&text).map_err(|e| invalid("scoring", Some(&path.display().to_string()), e))?
            }
            None => match parsed.scoring {
                Some(scoring) => {
                    scoring.check().map_err(|e| invalid("scoring.weights", None, e))?;
                    scoring
                }
                None => ScoringConfig::default(),
            },
        };

        Ok(Config { file: file.map(Path::to_path_buf), database_url, listen, base_url, site, decks, api, scoring })
    }

    /// The effective configuration as TOML, the database password masked.
    pub fn to_masked_toml(&self) -> String {
        let path = |p: &Option<PathBuf>| match p {
            Some(p) => format!("{:?}", p.display().to_string()),
            None => "\"(built in)\"".into(),
        };
        let w = &self.scoring.weights;
        format!(
            "# from {}\ndatabase_url = {:?}\nlisten = {:?}\nbase_url = {:?}\nsite = {}\ndecks = {}\n\n[api]\n\
             max_depth = {}\nmax_complexity = {}\ntimeout_secs = {}\nmax_body_bytes = {}\nmax_response_bytes = {}\n\
             token_trust_secs = {}\n\n\
             [scoring]\nbottom = {}\n[scoring.weights]\nsigned_investment = {}\nsigned_count = {}\nnew_starts = {}\n\
             new_starts_10m = {}\nfai = {}\n",
            self.file.as_ref().map_or("no file: defaults, environment and flags".into(), |f| f.display().to_string()),
            mask_url(&self.database_url),
            self.listen,
            self.base_url,
            path(&self.site),
            path(&self.decks),
            self.api.max_depth,
            self.api.max_complexity,
            self.api.timeout.as_secs(),
            self.api.max_body_bytes,
            self.api.max_response_bytes,
            self.api.token_trust.as_secs(),
            self.scoring.bottom,
            w.signed_investment,
            w.signed_count,
            w.new_starts,
            w.new_starts_10m,
            w.fai,
        )
    }
}

/// A relative SQLite file in the configuration is beside the configuration file.
fn sqlite_beside(url: &str, dir: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://") else { return url.to_string() };
    let (file, query) = rest.split_once('?').map_or((rest, None), |(f, q)| (f, Some(q)));
    if file.is_empty() || file.starts_with('/') || file.starts_with(':') || dir.as_os_str().is_empty() {
        return url.to_string();
    }
    let joined = dir.join(file).display().to_string();
    match query {
        Some(q) => format!("sqlite://{joined}?{q}"),
        None => format!("sqlite://{joined}"),
    }
}

/// `url` with any password replaced by `****` (`postgres://user:****@host/db`).
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let masked = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:****@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    // A password may also come as a query parameter.
    let tail = tail.map(|t| match t.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=****"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => t.to_string(),
    });
    match tail {
        Some(t) => format!("{scheme}://{masked}/{t}"),
        None => format!("{scheme}://{masked}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_password_in_the_database_url_is_masked() {
        assert_eq!(mask_url("postgres://zs:s3cret@db.local:5432/zs"), "postgres://zs:****@db.local:5432/zs");
        assert_eq!(
            mask_url("postgres://zs@db/zs?password=s3cret&sslmode=require"),
            "postgres://zs@db/zs?password=****&sslmode=require"
        );
        assert_eq!(mask_url("sqlite://zhaoshang.db?mode=rwc"), "sqlite://zhaoshang.db?mode=rwc");
    }

    #[test]
    fn the_example_configuration_is_valid_and_says_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("site")).unwrap();
        std::fs::create_dir(dir.path().join("decks")).unwrap();
        let file = dir.path().join(FILE_NAME);
        let config = Config::from_parts(Some(&file), Some(EXAMPLE), &Overrides::default()).unwrap();
        assert_eq!(config.api, ApiLimits::default());
        assert_eq!(config.scoring, ScoringConfig::default());
        assert_eq!(config.site, Some(dir.path().join("site")));
        assert_eq!(config.listen, DEFAULT_LISTEN);
        // Each commented default, uncommented, gives the same configuration.
        let uncommented: String = EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv) if kv.contains(" = ") && !kv.contains("postgres") => kv.to_string(),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let explicit = Config::from_parts(Some(&file), Some(&uncommented), &Overrides::default()).unwrap();
        assert_eq!(explicit.api, config.api);
        assert_eq!(explicit.scoring, config.scoring);
        assert_eq!(explicit.listen, config.listen);
        assert_eq!(explicit.database_url, format!("sqlite://{}?mode=rwc", dir.path().join("zhaoshang.db").display()));
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let error = Config::from_parts(None, Some("[api]\nmax_dept = 3\n"), &Overrides::default()).unwrap_err();
        assert!(error.to_string().contains("max_dept"), "{error}");
    }

    #[test]
    fn flags_and_environment_override_the_file() {
        let text = "listen = \"0.0.0.0:9000\"\nbase_url = \"/a/\"\n";
        let overrides = Overrides { listen: Some("127.0.0.1:7000".into()), ..Default::default() };
        let config = Config::from_parts(None, Some(text), &overrides).unwrap();
        assert_eq!((config.listen.as_str(), config.base_url.as_str()), ("127.0.0.1:7000", "/a/"));
    }

    #[test]
    fn a_theme_folder_that_is_not_there_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(FILE_NAME);
        let error = Config::from_parts(Some(&file), Some("decks = \"nowhere\"\n"), &Overrides::default()).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("decks (from ") && message.contains("nowhere"), "{message}");
    }

    #[test]
    fn a_zero_limit_is_an_error_naming_the_key() {
        let error = Config::from_parts(None, Some("[api]\nmax_depth = 0\n"), &Overrides::default()).unwrap_err();
        assert!(error.to_string().starts_with("api.max_depth"), "{error}");
    }
}
