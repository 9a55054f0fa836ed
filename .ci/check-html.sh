#!/usr/bin/env bash
# Opens a page (a run's report.html by default) in headless Chromium and checks that it loads,
# shows its table (id `headline` by default) and decodes every image.
# Usage: .ci/check-html.sh OUT_DIR [MIN_IMAGES] [PAGE] [TABLE_ID]
set -euo pipefail
dir=$1
min_images=${2:-1}
page=${3:-report.html}
table=${4:-headline}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "error: no chromium found" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$dir/$page" "$work/page.html"
cat > "$work/check.html" <<'HTML'
<!DOCTYPE html><html><body>
<pre id="out">PENDING</pre>
<iframe id="f" src="page.html" style="width:1300px;height:4000px"></iframe>
<script>
document.getElementById('f').onload = function () {
  var d = this.contentDocument, out = document.getElementById('out');
  if (!d) { out.textContent = 'NO-ACCESS'; return; }
  var imgs = d.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  var t = d.getElementById('TABLE_ID');
  var rows = t ? t.querySelectorAll('tr').length - 1 : 0;
  var shown = t && t.offsetHeight > 0 ? 'yes' : 'no';
  out.textContent = 'RESULT images ' + ok + ' of ' + imgs.length + ' rows ' + rows + ' shown ' + shown;
};
</script></body></html>
HTML
sed -i "s/TABLE_ID/$table/" "$work/check.html"
dom=$("$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --allow-file-access-from-files \
    --virtual-time-budget=15000 --dump-dom "file://$work/check.html" 2>/dev/null)
line=$(printf '%s\n' "$dom" | grep -oE 'RESULT images [0-9]+ of [0-9]+ rows [0-9]+ shown [a-z]+' | head -1 || true)
echo "$page in $browser: ${line:-no result}"
read -r _ _ ok _ total _ rows _ shown <<<"$line"
if [ -z "$line" ] || [ "$ok" != "$total" ] || [ "$total" -lt "$min_images" ] || [ "$rows" -lt 3 ] || [ "$shown" != yes ]; then
    echo "error: $page did not load as expected" >&2
    exit 1
fi
