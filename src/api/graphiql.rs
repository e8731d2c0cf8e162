//! GraphiQL at `/graphiql`, with GraphiQL 3.8.3 and React 18.3.1 compiled into the binary
//! and served at `/graphiql/assets/…` (no CDN: it works on an intranet with no internet).
//! Where the files came from: `src/api/graphiql/README.md`.

use std::io::Read;

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Request, Response};

/// An embedded asset: its name under `/graphiql/assets/`, its content type, and its
/// gzipped bytes.
struct Asset {
    name: &'static str,
    kind: &'static str,
    gzipped: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        kind: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("graphiql/graphiql.min.js.gz"),
    },
    Asset {
        name: "graphiql.min.css",
        kind: "text/css; charset=utf-8",
        gzipped: include_bytes!("graphiql/graphiql.min.css.gz"),
    },
    Asset {
        name: "react.production.min.js",
        kind: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("graphiql/react.production.min.js.gz"),
    },
    Asset {
        name: "react-dom.production.min.js",
        kind: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("graphiql/react-dom.production.min.js.gz"),
    },
];

/// The page. Paths are relative (`graphiql/assets/…`, `graphql`), so it also works
/// behind a reverse proxy under a sub-path.
const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zhaoshang 招商 GraphQL</title>
<link rel="stylesheet" href="graphiql/assets/graphiql.min.css">
<style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">GraphiQL is loading… (it needs JavaScript)</div>
<script src="graphiql/assets/react.production.min.js"></script>
<script src="graphiql/assets/react-dom.production.min.js"></script>
<script src="graphiql/assets/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: new URL("graphql", document.baseURI).href });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
</script>
</body>
</html>
"#;

/// The GraphiQL page.
pub fn page() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        // Nothing but this server: a page that tried to reach a CDN would fail here too.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             font-src 'self' data:; img-src 'self' data:; connect-src 'self'",
        )
        .body(PAGE)
}

/// The asset `name` (the path after `/graphiql/assets/`): gzipped as stored when the
/// client accepts gzip, inflated otherwise; 404 for any other name.
pub fn asset(name: &str, request: &Request) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepts_gzip = request
        .header(header::ACCEPT_ENCODING)
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")));
    let builder = Response::builder()
        .content_type(asset.kind)
        // Versioned by the binary: a year is fine, an upgrade changes the page anyway.
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .header(header::VARY, "Accept-Encoding");
    if accepts_gzip {
        return builder.header(header::CONTENT_ENCODING, "gzip").body(asset.gzipped);
    }
    let mut plain = Vec::new();
    match flate2::read::GzDecoder::new(asset.gzipped).read_to_end(&mut plain) {
        Ok(_) => builder.body(plain),
        Err(e) => {
            tracing::error!(error = %e, asset = name, "an embedded GraphiQL asset is corrupt");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_asset_the_page_loads_is_embedded_and_inflates() {
        for src in PAGE.split("graphiql/assets/").skip(1) {
            let name = src.split('"').next().unwrap();
            let asset = ASSETS.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("{name} not embedded"));
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(asset.gzipped).read_to_end(&mut plain).unwrap();
            assert!(plain.len() > asset.gzipped.len(), "{name}");
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://") && !PAGE.contains("//unpkg"));
    }
}
