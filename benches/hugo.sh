#!/usr/bin/env bash
# Hugo building N pages from generated Markdown (a project page each: title, a few
# fields, a paragraph), with a minimal layout and no theme, into an empty folder.
# Usage: bash benches/hugo.sh N. Prints pages/s over the pages Hugo reports.
set -euo pipefail
N="${1:-1000}"
command -v hugo >/dev/null || { echo "needs hugo: apt-get install hugo" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/content/projects" "$dir/layouts/_default"
cat > "$dir/hugo.toml" <<'TOML'
baseURL = "https://invest.example.gov.cn/"
languageCode = "zh-CN"
title = "示范区招商引资"
disableKinds = ["taxonomy", "term", "RSS"]
TOML
cat > "$dir/layouts/_default/single.html" <<'HTML'
<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1><dl><dt>产业</dt><dd>{{ .Params.industry }}</dd><dt>总投资</dt><dd>{{ .Params.investment }}</dd></dl>{{ .Content }}</main></body></html>
HTML
cat > "$dir/layouts/_default/list.html" <<'HTML'
<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></main></body></html>
HTML
python3 - "$dir/content/projects" "$N" <<'PY'
import sys
folder, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(f"{folder}/zs{i:06d}.md", "w", encoding="utf-8") as f:
        f.write(f'---\ntitle: "示范区智能装备制造产业园{i}"\nindustry: "智能制造"\ninvestment: "{i % 900 + 100}万元"\n---\n建设智能装备制造生产线，计划总投资{i % 900 + 100}万元。\n')
PY
start=$(date +%s.%N)
out=$(hugo --quiet --source "$dir" --destination "$dir/public" 2>&1 || true)
end=$(date +%s.%N)
pages=$(find "$dir/public" -name '*.html' | wc -l)
python3 -c "import sys; p, s = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'Hugo {sys.argv[4]}: {p} pages in {s:.2f} s = {p / s:.0f} pages/s')" "$pages" "$start" "$end" "$(hugo version | cut -d' ' -f2)"
