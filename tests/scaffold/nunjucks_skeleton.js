// Render a Backstage skeleton folder with Nunjucks configured as Backstage's
// fetch:template configures it (autoescape off, ${{ }} variables), file names
// and contents, into an output folder: the peer for `sluice scaffold`.
// usage: node nunjucks_skeleton.js SKELETON OUTDIR VALUES_JSON [COPY_GLOB_PREFIX...]
'use strict';
const fs = require('fs');
const path = require('path');
const nunjucks = require(path.join(__dirname, '..', 'node', 'node_modules', 'nunjucks'));

const [skel, out, valuesJson, ...copyPrefixes] = process.argv.slice(2);
const env = new nunjucks.Environment(null, {
  autoescape: false,
  tags: { variableStart: '${{', variableEnd: '}}' },
});
const ctx = { values: JSON.parse(valuesJson) };

function walk(rel) {
  for (const name of fs.readdirSync(path.join(skel, rel)).sort()) {
    const src = path.join(rel, name);
    const st = fs.lstatSync(path.join(skel, src));
    const dst = path.join(out, env.renderString(src, ctx));
    if (st.isDirectory()) {
      fs.mkdirSync(dst, { recursive: true });
      walk(src);
      continue;
    }
    const data = fs.readFileSync(path.join(skel, src), 'utf8');
    const copy = copyPrefixes.some((p) => src.startsWith(p));
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.writeFileSync(dst, copy ? data : env.renderString(data, ctx), { mode: st.mode });
  }
}
walk('');
