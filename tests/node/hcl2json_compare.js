// hcl2json_compare.js FILE OURS.json|- [FILE OURS.json|- ...]: parse each
// FILE with @cdktf/hcl2json (HashiCorp's HCL compiled to WebAssembly) and
// compare with sluice's JSON of the same file (from `sl-hcldec --json`; or
// "!RANGES" when sluice rejected the file, RANGES holding its error ranges
// from `sl-hcldec --ranges`). They agree when the JSON is the same, or when
// both reject the file with errors at the same ranges. Files under an invalid/ folder must be
// rejected by both. Prints "ok ..." or "FAIL ..." per file; exit 1 if any
// failed.
const fs = require('fs');
const path = require('path');
const { parse } = require(path.join(__dirname, 'node_modules', '@cdktf', 'hcl2json'));

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = canon(v[k]);
    return o;
  }
  return v;
}

async function one(file, ours) {
  let theirs = null, theirErr = null;
  try {
    theirs = await parse(path.basename(file), fs.readFileSync(file, 'utf8'));
  } catch (e) {
    theirErr = String(e.message || e).split('\n')[0];
  }
  const rejected = ours.startsWith('!');
  const mine = rejected ? null : JSON.parse(fs.readFileSync(ours, 'utf8'));
  const mustReject = file.includes('/invalid/');
  if (theirErr !== null || mine === null) {
    if (theirErr !== null && mine === null) {
      const name = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const re = new RegExp(name + ':(\\d+,\\d+-(?:\\d+,)?\\d+): ', 'g');
      const want = [...theirErr.matchAll(re)].map(m => m[1]).join(' ');
      const got = fs.readFileSync(ours.slice(1), 'utf8').trim().split('\n').join(' ');
      if (want !== got) return [false, 'both reject, error ranges differ: hcl2json ' + want +
                                       ', sluice ' + got + ' (' + theirErr + ')'];
      return [true, 'both reject at ' + want + ': ' + theirErr];
    }
    return [false, theirErr !== null ? 'hcl2json rejects, sluice accepts: ' + theirErr
                                     : 'sluice rejects, hcl2json accepts'];
  }
  if (mustReject) return [false, 'accepted by both but listed as invalid'];
  const a = JSON.stringify(canon(theirs)), b = JSON.stringify(canon(mine));
  if (a !== b) return [false, 'different JSON\n  hcl2json: ' + a + '\n  sluice:   ' + b];
  return [true, 'identical JSON'];
}

(async () => {
  const args = process.argv.slice(2);
  let failed = 0;
  for (let i = 0; i + 1 < args.length; i += 2) {
    const [good, msg] = await one(args[i], args[i + 1]);
    if (!good) failed++;
    console.log((good ? 'ok   ' : 'FAIL ') + args[i] + ': ' + msg);
  }
  process.exit(failed ? 1 : 0);
})().catch(e => { console.error(e); process.exit(2); });
