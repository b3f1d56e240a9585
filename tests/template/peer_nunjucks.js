// Render a template with Nunjucks the way Backstage's scaffolder does
// (autoescape off, ${{ }} variables with --backstage) with
// throwOnUndefined, Backstage's filters (parseRepoUrl, parseEntityRef,
// pick, projectSlug: re-implemented here after Backstage's source, with no
// integrations config) and the two sluice extension filters split and
// b64encode.
//
// usage: node peer_nunjucks.js [--backstage] [--times N] TEMPLATE CONTEXT.json
//        node peer_nunjucks.js --batch JOBS
// JOBS has lines "plain|backstage TEMPLATE CONTEXT OUTPREFIX": writes
// OUTPREFIX.out, .err and .rc for each, in one process.
'use strict';
const fs = require('fs');
const path = require('path');

const modules = process.env.SL_NODE_MODULES ||
  path.join(__dirname, '..', 'node', 'node_modules');
const nunjucks = require(path.join(modules, 'nunjucks'));

function parseRepoUrl(repoUrl) {
  let parsed;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch (error) {
    throw new Error(`Invalid repo URL passed to publisher, got ${repoUrl}, ${error}`);
  }
  const host = parsed.host;
  const get = (k) => parsed.searchParams.get(k) ?? undefined;
  const owner = get('owner');
  const organization = get('organization');
  const workspace = get('workspace');
  const project = get('project');
  const repo = get('repo');
  const need = (names) => {
    for (const n of names) {
      if (!parsed.searchParams.get(n)) {
        throw new Error(`Invalid repo URL passed to publisher: ${repoUrl}, missing ${n}`);
      }
    }
  };
  if (host === 'bitbucket.org') need(['workspace', 'project', 'repo']);
  else if (host === 'dev.azure.com') need(['project', 'repo']);
  else need(['repo', 'owner']);
  return { host, owner, repo, organization, workspace, project };
}

function parseEntityRef(ref, context) {
  if (!ref) throw new Error('Entity reference must not be empty');
  const defaultKind = context && context.defaultKind;
  const defaultNamespace = (context && context.defaultNamespace) || 'default';
  let colonI = ref.indexOf(':');
  const slashI = ref.indexOf('/');
  if (slashI !== -1 && slashI < colonI) colonI = -1;
  const k = colonI === -1 ? undefined : ref.slice(0, colonI);
  const ns = slashI === -1 ? undefined : ref.slice(colonI + 1, slashI);
  const name = ref.slice(Math.max(colonI + 1, slashI + 1));
  if (k === '' || ns === '' || name === '') {
    throw new TypeError(`Entity reference "${ref}" was not on the form [<kind>:][<namespace>/]<name>`);
  }
  const kind = k ?? defaultKind;
  if (!kind) throw new Error(`Entity reference "${ref}" had missing or empty kind`);
  return { kind, namespace: ns ?? defaultNamespace, name };
}

function pick(obj, key) {
  let cur = obj;
  for (const part of String(key).split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = cur[part];
  }
  return cur;
}

function makeEnv(backstage) {
  const opts = { autoescape: false, throwOnUndefined: true };
  if (backstage) opts.tags = { variableStart: '${{', variableEnd: '}}' };
  const env = new nunjucks.Environment(null, opts);
  env.addFilter('parseRepoUrl', parseRepoUrl);
  env.addFilter('parseEntityRef', parseEntityRef);
  env.addFilter('pick', pick);
  env.addFilter('projectSlug', (u) => {
    const { owner, repo } = parseRepoUrl(u);
    return `${owner}/${repo}`;
  });
  env.addFilter('split', (s, sep) => String(s).split(sep));
  env.addFilter('b64encode', (s) => Buffer.from(String(s)).toString('base64'));
  return env;
}

function batch(jobs) {
  const envs = { plain: makeEnv(false), backstage: makeEnv(true) };
  for (const line of fs.readFileSync(jobs, 'utf8').split('\n')) {
    if (!line) continue;
    const [mode, tpath, cpath, prefix] = line.split(' ');
    let out = '';
    let err = '';
    let rc = 0;
    try {
      const src = fs.readFileSync(tpath, 'utf8');
      const ctx = JSON.parse(fs.readFileSync(cpath, 'utf8'));
      out = nunjucks.compile(src, envs[mode]).render(ctx);
    } catch (e) {
      err = `${e.name}: ${e.message}\n`;
      rc = 1;
    }
    fs.writeFileSync(`${prefix}.out`, out);
    fs.writeFileSync(`${prefix}.err`, err);
    fs.writeFileSync(`${prefix}.rc`, `${rc}\n`);
  }
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--batch') {
    batch(args[1]);
    return;
  }
  let backstage = false;
  let times = 1;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--backstage') backstage = true;
    else if (args[i] === '--times') times = parseInt(args[++i], 10);
    else rest.push(args[i]);
  }
  const [tpath, cpath] = rest;
  const src = fs.readFileSync(tpath, 'utf8');
  const ctx = JSON.parse(fs.readFileSync(cpath, 'utf8'));
  const env = makeEnv(backstage);
  let out;
  try {
    const t = nunjucks.compile(src, env);
    for (let i = 0; i < times; i++) out = t.render(ctx);
  } catch (e) {
    process.stderr.write(`${e.name}: ${e.message}\n`);
    process.exit(1);
  }
  process.stdout.write(out);
}

main();
