#!/usr/bin/env node
// agentbox: differential corpus for the Cedar evaluator.
//
//   node gen.js [--seed N] [--count N] [--out DIR] [--features LIST]
//       Generate COUNT cases (policy set + entities + request) from SEED,
//       decide each with the official Cedar engine (@cedar-policy/cedar-wasm)
//       and write DIR/corpus.jsonl, one case per line:
//         {"id", "policies": [text...], "entities": [Cedar entity JSON],
//          "request": {"principal","action","resource","context"},
//          "decision": "allow"|"deny", "errors": [policy index...],
//          "reasons": [policy index...]}
//       Policy N of a case is "policies"[N] (cedar-wasm's id "policyN").
//   node gen.js --bench [--out DIR]
//       Write DIR/bench.jsonl: one realistic policy set and its requests.
//   node gen.js --eval
//       Read one case (JSON) on stdin and print cedar-wasm's decision
//       ("allow"/"deny", or "error: ..." if cedar-wasm rejects it).  Used
//       to shrink a mismatching case.
//
// FEATURES (comma-separated) turns on constructs beyond the core list the
// agentbox parser documents; default "arith" (+, -, *, unary -, which give
// the overflow errors).  Everything is deterministic for a given seed.
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

// ---- options --------------------------------------------------------------

function parseArgs(argv) {
  const o = { seed: 20250101, count: 1200, out: path.join(__dirname, 'corpus'),
              features: 'arith', mode: 'gen' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') o.seed = Number(next());
    else if (a === '--count') o.count = Number(next());
    else if (a === '--out') o.out = next();
    else if (a === '--features') o.features = next();
    else if (a === '--bench') o.mode = 'bench';
    else if (a === '--eval') o.mode = 'eval';
    else throw new Error(`unknown argument ${a}`);
  }
  o.features = new Set(o.features.split(',').filter(Boolean));
  return o;
}

// ---- a seeded PRNG (mulberry32) -------------------------------------------

function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (a) => a[Math.floor(next() * a.length)],
    // pick from [[weight, value], ...]
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = next() * total;
      for (const [w, v] of pairs) { if ((x -= w) < 0) return v; }
      return pairs[pairs.length - 1][1];
    },
    subset: (a, p) => a.filter(() => next() < p),
  };
  return r;
}

// ---- the entity model -----------------------------------------------------
//
// Files and directories: File::"/a/b" has parent Dir::"/a/", every Dir has
// its parent Dir up to Dir::"/".  Hosts: Host::"a.b.c" has parent
// Host::"*.b.c", and Host::"*.b.c" has parent Host::"*.c": so a name is
// `in` every wildcard zone above it (never its own apex).  MCP tools have
// their server as parent; Host::"name:port" has parent Host::"name";
// Action::"FileOpen" is the parent of FileOpenReadOnly/ReadWrite.
// Containers belong to a project.  This is policy/model.h's hierarchy.

const ACTIONS = ['FileOpen', 'FileOpenReadOnly', 'FileOpenReadWrite',
  'ProcessExec', 'NetworkConnect', 'HttpRequest', 'HttpRewrite', 'McpCall',
  'HostExec'];
const FILES = ['/work/a/b', '/work/a/c.txt', '/work/x', '/workx/y',
  '/etc/passwd', '/home/u/.ssh/id_rsa', '/work/a/secrets/key',
  '/usr/bin/git', '/tmp/f', '/work/a/b c', '/work/\u00e9t\u00e9'];
const HOSTS = ['api.example.com', 'a.b.example.com', 'example.com',
  'evil.com', 'api.anthropic.com', 'registry.npmjs.org', 'localhost',
  'api.example.com:443', 'evil.com:8080'];
const TOOLS = [['mcp.example.com', 'execute-shell'],
  ['mcp.example.com', 'read-file'], ['tools.internal', 'search']];
const COMMANDS = ['git status', 'git push origin main', 'make check'];
const CONTAINERS = [['c1', 'alpha'], ['c2', 'beta'], ['c3', null]];

function dirOf(p) { return p.slice(0, p.lastIndexOf('/') + 1); }
function parentDir(d) {
  if (d === '/') return null;
  const t = d.slice(0, -1);
  return t.slice(0, t.lastIndexOf('/') + 1);
}
function hostParent(h) {
  const colon = h.lastIndexOf(':');
  if (colon >= 0) return h.slice(0, colon); // name:port is in name
  const labels = h.split('.');
  if (h.startsWith('*.')) labels.shift(); // "*.b.c" -> zone b.c
  if (labels.length < 2) return null;     // "*.com" and "localhost" are tops
  return '*.' + labels.slice(1).join('.');
}

const uid = (type, id) => ({ type, id });
const lit = (u) => `${u.type}::${JSON.stringify(u.id)}`;

function buildEntities() {
  const ents = new Map();
  const add = (u, parents, attrs) => {
    const k = lit(u);
    if (!ents.has(k)) ents.set(k, { uid: u, attrs: attrs || {}, parents });
  };
  const addDir = (d) => {
    for (let x = d; x !== null; x = parentDir(x)) {
      const p = parentDir(x);
      add(uid('Dir', x), p === null ? [] : [uid('Dir', p)]);
    }
  };
  for (const f of FILES) { add(uid('File', f), [uid('Dir', dirOf(f))]); addDir(dirOf(f)); }
  for (const d of ['/work/a/secrets/', '/var/app/']) addDir(d);
  const addHost = (h) => {
    for (let x = h; x !== null; x = hostParent(x)) {
      const p = hostParent(x);
      add(uid('Host', x), p === null ? [] : [uid('Host', p)]);
    }
  };
  for (const h of HOSTS) addHost(h);
  for (const [s, t] of TOOLS) {
    add(uid('MCP::Server', s), []);
    add(uid('MCP::Tool', t), [uid('MCP::Server', s)]);
  }
  for (const c of COMMANDS) add(uid('Command', c), []);
  const teams = { c1: { team: 'core', level: 3, tags: ['a', 'b'] }, c2: { level: 7, team: 'web' } };
  for (const [c, p] of CONTAINERS) {
    if (p === null) continue; // c3 is not in the entity store
    add(uid('Container', c), [uid('Project', p)], teams[c]);
    add(uid('Project', p), []);
  }
  // As policy/model.h: FileOpen is the parent of the read-only and
  // read-write opens.
  for (const a of ACTIONS) {
    add(uid('Action', a), a.startsWith('FileOpenRead') ? [uid('Action', 'FileOpen')] : []);
  }
  return [...ents.values()];
}

const ENTITIES = buildEntities();
const ALL_DIRS = ENTITIES.filter((e) => e.uid.type === 'Dir').map((e) => e.uid);
const ALL_HOSTS = ENTITIES.filter((e) => e.uid.type === 'Host').map((e) => e.uid);

function resourceFor(r, action) {
  if (r.chance(0.07)) return r.pick([uid('Dir', '/work/'), uid('Command', 'git status'), uid('Host', 'evil.com')]);
  switch (action) {
    case 'NetworkConnect': case 'HttpRequest': case 'HttpRewrite':
      return uid('Host', r.pick(HOSTS));
    case 'McpCall': return uid('MCP::Tool', r.pick(TOOLS)[1]);
    case 'HostExec': return uid('Command', r.pick(COMMANDS));
    default: return uid('File', r.pick(FILES));
  }
}

// Ancestors of U in the entity store (U itself first).
function ancestors(u) {
  const out = [];
  const seen = new Set();
  const walk = (x) => {
    const k = lit(x);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(x);
    const e = ENTITIES.find((y) => lit(y.uid) === k);
    if (e) e.parents.forEach(walk);
  };
  walk(u);
  return out;
}

// ---- requests -------------------------------------------------------------

const IPS = ['10.1.2.3', '192.168.0.10', '127.0.0.1', '127.9.9.9', '8.8.8.8',
  '::1', '2001:db8::1', 'fe80::1', '0.0.0.0', '10.0.0.0', 'not-an-ip'];
const STRINGS = ['', 'a', 'abc', 'a*b', 'GET', 'POST', '/work/a/b', 'x"y',
  'back\\slash', '\u00e9t\u00e9', 'line\nbreak', 'Authorization', "it's",
  'tab\there', '\u{1F600}'];
// Context values travel as JS numbers into cedar-wasm, so they stay within
// 2^53; the i64 extremes (and overflow) come from policy literals.
const LONGS = [0, 1, -1, 3, 7, 42, 1000, 9007199254740991, -9007199254740991];
const LONG_LITS = [...LONGS.map(String), '9223372036854775807', '-9223372036854775808'];

function genContext(r) {
  const c = {};
  if (r.chance(0.7)) c.n = r.pick(LONGS);
  if (r.chance(0.7)) c.s = r.pick(STRINGS);
  if (r.chance(0.5)) c.b = r.chance(0.5);
  if (r.chance(0.6)) c.tags = r.subset(['a', 'b', 'c', 'x'], 0.5);
  if (r.chance(0.5)) c.nums = r.subset([1, 2, 3, 5], 0.5);
  if (r.chance(0.6)) c.addr = r.pick(IPS);
  if (r.chance(0.5)) c.path = r.pick(FILES);
  // Cedar JSON's escapes: an ip value and entity references in the context.
  if (r.chance(0.3)) c.ipv = { __extn: { fn: 'ip', arg: r.pick(IPS.slice(0, -1)) } };
  if (r.chance(0.3)) c.owner = { __entity: { type: 'Container', id: r.pick(['c1', 'c2', 'c3']) } };
  if (r.chance(0.3)) c.dir = { __entity: { type: 'Dir', id: r.pick(['/work/', '/work/a/', '/etc/']) } };
  if (r.chance(0.5)) {
    c.rec = { n: r.pick(LONGS), s: r.pick(STRINGS) };
    if (r.chance(0.5)) c.rec.inner = { x: r.pick([1, 2]) };
  }
  return c;
}

function genRequest(r) {
  const action = r.pick(ACTIONS);
  return {
    principal: uid('Container', r.weighted([[5, 'c1'], [3, 'c2'], [1, 'c3']])),
    action: uid('Action', action),
    resource: resourceFor(r, action),
    context: genContext(r),
  };
}

// ---- expressions ----------------------------------------------------------

// Cedar string literal: escape backslash, quote and control characters;
// with ALT, also spell some characters with the other escapes Cedar has.
function quote(s, alt) {
  let out = '"';
  for (const ch of s) {
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (alt && ch === "'") out += "\\'";
    else if (alt && ch.codePointAt(0) > 127) out += `\\u{${ch.codePointAt(0).toString(16)}}`;
    else if (alt && ch === 'a') out += '\\u{61}';
    else out += ch;
  }
  return out + '"';
}

class Gen {
  constructor(r, feats, req) { this.r = r; this.f = feats; this.req = req; }

  long(d) {
    const r = this.r;
    const opts = [
      [4, () => r.pick(LONG_LITS)],
      [4, () => 'context.n'],
      [1, () => 'context.rec.n'],
      [1, () => 'principal.level'],
    ];
    if (d > 0) {
      opts.push([1, () => `(if ${this.bool(d - 1)} then ${this.long(d - 1)} else ${this.long(d - 1)})`]);
      if (this.f.has('arith')) {
        opts.push([1, () => `(${this.long(d - 1)} + ${this.long(d - 1)})`]);
        opts.push([1, () => `(${this.long(d - 1)} - ${this.long(d - 1)})`]);
        opts.push([1, () => `(${this.long(d - 1)} * ${r.pick(['2', '-1', '3'])})`]);
        opts.push([1, () => `-(${this.long(d - 1)})`]);
      }
    }
    return r.weighted(opts)();
  }

  str(d) {
    const r = this.r;
    return r.weighted([
      [4, () => quote(r.pick(STRINGS), r.chance(0.3))],
      [4, () => 'context.s'],
      [1, () => 'context["s"]'],
      [1, () => 'principal["team"]'],
      [2, () => 'context.path'],
      [1, () => 'context.rec.s'],
      [1, () => 'principal.team'],
      [d > 0 ? 1 : 0, () => `(if ${this.bool(d - 1)} then ${this.str(d - 1)} else ${this.str(d - 1)})`],
    ])();
  }

  likePattern() {
    // Build from a string the request might carry, then swap parts for *.
    const r = this.r;
    const base = r.pick([...STRINGS, ...FILES, 'a*b']);
    let out = '';
    for (const ch of base) {
      if (r.chance(0.15)) { out += '*'; continue; }
      if (ch === '*') out += r.chance(0.7) ? '\\*' : '*';
      else if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n';
      else out += ch;
    }
    if (r.chance(0.3)) out += '*';
    if (r.chance(0.2)) out = '*' + out;
    return `"${out}"`;
  }

  entity() {
    const r = this.r;
    const req = this.req;
    return r.weighted([
      [3, () => lit(r.pick(ancestors(req.resource)))],
      [2, () => lit(r.pick(ALL_DIRS))],
      [2, () => lit(r.pick(ALL_HOSTS))],
      [1, () => lit(uid('MCP::Server', r.pick(TOOLS)[0]))],
      [1, () => lit(uid('Project', r.pick(['alpha', 'beta'])))],
    ])();
  }

  entitySet() {
    const n = 1 + this.r.int(3);
    const items = [];
    for (let i = 0; i < n; i++) items.push(this.entity());
    return `[${items.join(', ')}]`;
  }

  set(d) {
    const r = this.r;
    return r.weighted([
      [2, () => 'context.tags'],
      [2, () => 'context.nums'],
      [1, () => 'principal.tags'],
      [2, () => `[${r.subset(['"a"', '"b"', '"c"', '"x"'], 0.5).join(', ')}]`],
      [2, () => `[${r.subset(['1', '2', '3', '5'], 0.5).join(', ')}]`],
      [1, () => this.entitySet()],
    ])();
  }

  ipExpr() {
    const r = this.r;
    return r.weighted([
      [3, () => 'ip(context.addr)'],
      [2, () => `ip(${quote(r.pick(IPS.slice(0, -1)))})`],
      [1, () => `ip(${quote(r.pick(['10.0.0.0/8', '127.0.0.0/8', '::1/128', '2001:db8::/32', '192.168.0.0/16']))})`],
    ])();
  }

  range() {
    return `ip(${quote(this.r.pick(['10.0.0.0/8', '127.0.0.0/8', '0.0.0.0/0', '::/0',
      '2001:db8::/32', 'fe80::/10', '192.168.0.0/24', '8.8.8.8/32', '10.1.2.3/8']))})`;
  }

  // Expressions that go wrong at run time (Cedar skips the policy).
  errExpr() {
    const r = this.r;
    return r.pick([
      () => 'context.s < 3',
      () => '(1 && true)',
      () => 'context.missing == 1',
      () => 'ip("bad").isIpv4()',
      () => '(if context.n then true else false)',
      () => 'principal.nosuch == "x"',
      () => 'context.rec.inner.x == 1',
      () => 'context.n.contains(1)',
      () => '("a" in Dir::"/work/")',
      () => 'context.tags.containsAll(1)',
    ])();
  }

  bool(d) {
    const r = this.r;
    const sub = () => this.bool(d - 1);
    const opts = [
      [1, () => r.pick(['true', 'false'])],
      [1, () => 'context.b'],
      [4, () => `${this.long(d)} ${r.pick(['==', '!=', '<', '<=', '>', '>='])} ${this.long(d)}`],
      [3, () => `${this.str(d)} ${r.pick(['==', '!='])} ${this.str(d)}`],
      [3, () => `${this.str(d)} like ${this.likePattern()}`],
      [4, () => `resource in ${r.chance(0.6) ? this.entity() : this.entitySet()}`],
      [1, () => `resource == ${this.entity()}`],
      [2, () => `principal in ${r.pick(['Project::"alpha"', 'Project::"beta"', 'Container::"c1"', '[Project::"alpha", Project::"beta"]'])}`],
      [1, () => `principal == Container::${quote(r.pick(['c1', 'c2', 'c3']))}`],
      [1, () => `action in [${r.subset(ACTIONS, 0.3).map((a) => `Action::${quote(a)}`).join(', ')}]`],
      [1, () => `action == Action::${quote(r.pick(ACTIONS))}`],
      [3, () => `${r.pick(['context', 'context.rec', 'principal', 'resource', 'context.rec.inner'])} has ${r.pick(['n', 's', 'b', 'tags', 'addr', 'inner', 'team', 'level', 'x', 'nope'])}`],
      [2, () => `${this.set(d)}.contains(${r.pick(['"a"', '"x"', '1', '5', 'resource', 'context.s', 'context.n'])})`],
      [2, () => `${this.set(d)}.${r.pick(['containsAll', 'containsAny'])}(${this.set(d)})`],
      [1, () => `${this.set(d)} == ${this.set(d)}`],
      [1, () => `context.rec == {${r.chance(0.5) ? `"n": ${this.long(0)}, ` : ''}s: ${this.str(0)}}`],
      [1, () => `context.rec.inner == {x: ${r.pick([1, 2])}}`],
      [3, () => `${this.ipExpr()}.${r.pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'])}()`],
      [1, () => `context.ipv.${r.pick(['isIpv4', 'isIpv6', 'isLoopback'])}()`],
      [1, () => `context.ipv.isInRange(${this.range()})`],
      [2, () => `${r.pick(['principal', 'resource', 'context.owner', 'context.dir'])} is ${r.pick(['File', 'Dir', 'Host', 'Container', 'MCP::Tool'])}`],
      [1, () => `resource is ${r.pick(['File', 'Dir'])} in ${r.pick(['context.dir', 'Dir::"/work/"', 'Dir::"/etc/"'])}`],
      [2, () => `principal == context.owner`],
      [2, () => `resource in context.dir`],
      [1, () => `context.owner in Project::${quote(r.pick(['alpha', 'beta']))}`],
      [1, () => `context has "${r.pick(['s', 'ipv', 'owner', 'no pe'])}"`],
      [3, () => `${this.ipExpr()}.isInRange(${this.range()})`],
      [1, () => `${this.ipExpr()} == ${this.ipExpr()}`],
      [1, () => `!!${this.atom()}`],
      [1, () => `${r.pick(['-', '- -', '--'])}${r.pick(['1', '9223372036854775807', 'context.n'])} ${r.pick(['<', '=='])} ${this.long(0)}`],
      [1, () => this.errExpr()],
    ];
    if (d > 0) {
      opts.push([3, () => `!(${sub()})`]);
      opts.push([4, () => `(${sub()} && ${sub()})`]);
      opts.push([4, () => `(${sub()} || ${sub()})`]);
      opts.push([1, () => `${this.atom()} && ${this.atom()} || ${this.atom()}`]);
      opts.push([1, () => `${this.atom()} || ${this.atom()} && !${this.atom()}`]);
      opts.push([2, () => `(if ${sub()} then ${sub()} else ${sub()})`]);
    }
    return r.weighted(opts)();
  }

  // A boolean that needs no parentheses to sit under && / || / !.
  atom() {
    return this.r.pick(['true', 'false', 'context.b', '(context has s)',
      '(resource in Dir::"/work/")', '(context.n > 2)', 'context.missing']);
  }

  scopeEntity(kind) {
    const r = this.r;
    const req = this.req;
    if (kind === 'principal') {
      return r.pick(['Container::"c1"', 'Container::"c2"', 'Container::"c3"', 'Project::"alpha"', 'Project::"beta"']);
    }
    return r.chance(0.7) ? lit(r.pick(ancestors(req.resource))) : this.entity();
  }

  scope() {
    const r = this.r;
    const req = this.req;
    const p = r.weighted([
      [5, () => 'principal'],
      [2, () => `principal == ${this.scopeEntity('principal')}`],
      [2, () => `principal in ${this.scopeEntity('principal')}`],
      [1, () => 'principal is Container'],
      [1, () => `principal is Container in ${r.pick(['Project::"alpha"', 'Project::"beta"'])}`],
    ])();
    const actionName = () => (r.chance(0.6) ? req.action.id : r.pick(ACTIONS));
    const a = r.weighted([
      [3, () => 'action'],
      [4, () => `action == Action::${quote(actionName())}`],
      [3, () => `action in [${[actionName(), ...r.subset(ACTIONS, 0.2)].map((x) => `Action::${quote(x)}`).join(', ')}]`],
      [1, () => `action in Action::${quote(actionName())}`],
    ])();
    const types = ['File', 'Dir', 'Host', 'MCP::Tool', 'Command'];
    const res = r.weighted([
      [4, () => 'resource'],
      [2, () => `resource == ${this.scopeEntity('resource')}`],
      [4, () => `resource in ${this.scopeEntity('resource')}`],
      [1, () => `resource is ${r.chance(0.7) ? req.resource.type : r.pick(types)}`],
      [1, () => `resource is ${r.chance(0.7) ? req.resource.type : r.pick(types)} in ${this.scopeEntity('resource')}`],
    ])();
    return `${p}, ${a}, ${res}`;
  }

  policy(i) {
    const r = this.r;
    let text = '';
    if (r.chance(0.15)) text += `@id(${quote(`rule-${i}`)})\n`;
    if (r.chance(0.1)) text += '// generated\n';
    const nconds = r.weighted([[4, 0], [5, 1], [1, 2]]);
    // Conditions only run when the scope matches: open the scope of most
    // policies that have one, so the expressions are really evaluated.
    const scope = nconds > 0 && r.chance(0.6) ? 'principal, action, resource' : this.scope();
    text += `${r.chance(0.8) ? 'permit' : 'forbid'} (${scope})`;
    for (let k = 0; k < nconds; k++) {
      const body = r.chance(0.1)
        ? `if ${this.bool(1)} then ${this.bool(1)} else ${this.bool(1)}`
        : this.bool(r.int(3));
      text += `\n${r.chance(0.75) ? 'when' : 'unless'} { ${body} }`;
    }
    return text + ';';
  }
}

// ---- cedar-wasm -----------------------------------------------------------

// Decide with the official engine.  Returns {decision, errors, reasons} or
// {failure: message} when cedar-wasm rejects the input.
function cedarDecide(policies, entities, request) {
  const staticPolicies = {};
  policies.forEach((p, i) => { staticPolicies[`policy${i}`] = p; });
  const ans = cedar.isAuthorized({
    principal: request.principal, action: request.action,
    resource: request.resource, context: request.context,
    policies: { staticPolicies }, entities,
  });
  if (ans.type !== 'success') return { failure: ans.errors.map((e) => e.message).join('; ') };
  const idx = (id) => Number(id.replace('policy', ''));
  return {
    decision: ans.response.decision,
    errors: ans.response.diagnostics.errors.map((e) => idx(e.policyId)),
    reasons: ans.response.diagnostics.reason.map(idx),
  };
}

const toJson = JSON.stringify;

// ---- modes ----------------------------------------------------------------

function generate(o) {
  const r = rng(o.seed);
  fs.mkdirSync(o.out, { recursive: true });
  const lines = [];
  const stats = { allow: 0, deny: 0, withErrors: 0, rejected: 0 };
  let id = 0;
  while (lines.length < o.count) {
    const req = genRequest(r);
    const g = new Gen(r, o.features, req);
    const n = 1 + r.weighted([[3, 0], [4, 1], [3, 2], [2, 3]]);
    const policies = [];
    for (let i = 0; i < n; i++) policies.push(g.policy(i));
    const res = cedarDecide(policies, ENTITIES, req);
    if (res.failure) {
      // A generated policy cedar-wasm cannot parse is a generator bug
      // unless it is rare; count and regenerate.
      stats.rejected++;
      if (stats.rejected > o.count / 10) throw new Error(`cedar-wasm rejects too many cases; last: ${res.failure}\n${policies.join('\n')}`);
      continue;
    }
    stats[res.decision]++;
    if (res.errors.length) stats.withErrors++;
    lines.push(toJson({ id: id++, policies, entities: ENTITIES, request: req,
      decision: res.decision, errors: res.errors, reasons: res.reasons }));
  }
  fs.writeFileSync(path.join(o.out, 'corpus.jsonl'), lines.join('\n') + '\n');
  process.stdout.write(`# corpus: ${lines.length} cases (seed ${o.seed}, cedar ${cedar.getCedarVersion()}): `
    + `${stats.allow} allow, ${stats.deny} deny, ${stats.withErrors} with evaluation errors, `
    + `${stats.rejected} regenerated\n`);
}

// One policy set shaped like a real agentbox policy, and a mix of requests.
function benchCase() {
  const policies = [
    'permit (principal, action in [Action::"FileOpen", Action::"FileOpenReadOnly"], resource in Dir::"/work/");',
    'permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/a/");',
    'forbid (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/work/a/secrets/");',
    'forbid (principal, action, resource in Dir::"/home/u/.ssh/");',
    'permit (principal, action == Action::"ProcessExec", resource in Dir::"/usr/bin/");',
    'permit (principal, action == Action::"NetworkConnect", resource) when { resource in [Host::"api.anthropic.com", Host::"*.npmjs.org", Host::"*.example.com"] };',
    'forbid (principal, action == Action::"NetworkConnect", resource == Host::"evil.com");',
    'permit (principal in Project::"alpha", action == Action::"HttpRequest", resource in Host::"*.example.com") when { context.s like "GET*" || context.s == "POST" };',
    'permit (principal, action == Action::"McpCall", resource in MCP::Server::"mcp.example.com");',
    'forbid (principal, action == Action::"McpCall", resource == MCP::Tool::"execute-shell");',
    'permit (principal, action == Action::"NetworkConnect", resource) when { context has addr && ip(context.addr).isInRange(ip("10.0.0.0/8")) && !ip(context.addr).isLoopback() };',
    'permit (principal is Container, action == Action::"HostExec", resource == Command::"git status");',
  ];
  const reqs = [];
  const mk = (a, res, ctx) => ({ principal: uid('Container', 'c1'), action: uid('Action', a), resource: res, context: ctx || {} });
  reqs.push(mk('FileOpenReadOnly', uid('File', '/work/a/b')));
  reqs.push(mk('FileOpenReadWrite', uid('File', '/work/a/secrets/key')));
  reqs.push(mk('FileOpenReadWrite', uid('File', '/work/a/c.txt')));
  reqs.push(mk('FileOpen', uid('File', '/home/u/.ssh/id_rsa')));
  reqs.push(mk('ProcessExec', uid('File', '/usr/bin/git')));
  reqs.push(mk('NetworkConnect', uid('Host', 'a.b.example.com')));
  reqs.push(mk('NetworkConnect', uid('Host', 'evil.com')));
  reqs.push(mk('HttpRequest', uid('Host', 'api.example.com'), { s: 'GET' }));
  reqs.push(mk('McpCall', uid('MCP::Tool', 'execute-shell')));
  reqs.push(mk('McpCall', uid('MCP::Tool', 'read-file')));
  reqs.push(mk('NetworkConnect', uid('Host', 'localhost'), { addr: '10.1.2.3' }));
  reqs.push(mk('HostExec', uid('Command', 'git status')));
  // Each request carries only the entities it can reach (its principal,
  // action and resource with their ancestors), as a real caller would.
  const slice = (q) => {
    const keys = new Set([q.principal, q.action, q.resource].flatMap(ancestors).map(lit));
    return ENTITIES.filter((e) => keys.has(lit(e.uid)));
  };
  return reqs.map((q, i) => {
    const ents = slice(q);
    const res = cedarDecide(policies, ents, q);
    if (res.failure) throw new Error(`bench case ${i}: ${res.failure}`);
    return toJson({ id: i, policies, entities: ents, request: q, decision: res.decision,
      errors: res.errors, reasons: res.reasons });
  });
}

function bench(o) {
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, 'bench.jsonl'), benchCase().join('\n') + '\n');
}

function evalStdin() {
  const c = JSON.parse(fs.readFileSync(0, 'utf8'));
  const res = cedarDecide(c.policies, c.entities, c.request);
  process.stdout.write(res.failure ? `error: ${res.failure}\n` : `${res.decision}\n`);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.mode === 'eval') evalStdin();
  else if (o.mode === 'bench') bench(o);
  else generate(o);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`gen.js: ${e.message}\n`);
    process.exit(1);
  }
}

module.exports = { cedarDecide, ENTITIES, toJson };
