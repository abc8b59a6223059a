#!/usr/bin/env node
// agentbox: time cedar-wasm on the bench cases (node bench.js FILE [ITERS]).
// The policy set is preparsed once (preparsePolicySet) and each request is
// decided with statefulIsAuthorized, cedar-wasm's fastest path; startup,
// parsing and a warm-up are outside the timed loop.  Entities and context
// cross the JS/wasm boundary on every call: the API offers no way to keep
// them in wasm.  Prints "id ns decision description" per case.
'use strict';

const fs = require('fs');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

function main() {
  const file = process.argv[2];
  const iters = Number(process.argv[3] || 20000);
  const cases = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const c of cases) {
    const id = `bench${c.id}`;
    const staticPolicies = {};
    c.policies.forEach((p, i) => { staticPolicies[`policy${i}`] = p; });
    const pre = cedar.preparsePolicySet(id, { staticPolicies });
    if (pre.type !== 'success') throw new Error(`case ${c.id}: ${JSON.stringify(pre.errors)}`);
    const call = { principal: c.request.principal, action: c.request.action,
      resource: c.request.resource, context: c.request.context,
      preparsedPolicySetId: id, entities: c.entities };
    let ans;
    for (let i = 0; i < Math.min(iters, 2000); i++) ans = cedar.statefulIsAuthorized(call);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) ans = cedar.statefulIsAuthorized(call);
    const ns = Number(process.hrtime.bigint() - t0) / iters;
    if (ans.type !== 'success') throw new Error(`case ${c.id}: ${JSON.stringify(ans.errors)}`);
    const r = c.request;
    const desc = `${r.action.id} ${r.resource.type}::"${r.resource.id}"`;
    process.stdout.write(`${c.id} ${ns.toFixed(1)} ${ans.response.decision} ${desc}\n`);
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench.js: ${e.message}\n`);
  process.exit(1);
}
