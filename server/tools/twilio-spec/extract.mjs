#!/usr/bin/env node
/**
 * Cuts the operations the Twilio simulator implements (and every component they reference) out of
 * Twilio's OpenAPI specs, so the simulator's spec-validation tests do not depend on the reference
 * folder beside the repository.
 *
 *   node tools/twilio-spec/extract.mjs [specDir]          writes src/carriers/simulator/spec/*
 *   node tools/twilio-spec/extract.mjs [specDir] --check  exits 1 if the committed cut is stale
 *
 * specDir defaults to ../shared/twilio beside the repository (or TWILIO_SPEC_DIR).
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../../src/carriers/simulator/spec');
const args = process.argv.slice(2);
const check = args.includes('--check');
const specDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? process.env.TWILIO_SPEC_DIR ?? path.resolve(here, '../../../../shared/twilio'));

/** What the simulator implements: spec file -> path -> methods. Keep in step with twilio-simulator.ts. */
export const IMPLEMENTED = {
  'twilio_api_v2010.json': {
    '/2010-04-01/Accounts/{AccountSid}/Messages.json': ['post', 'get'],
    '/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json': ['get'],
    '/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json': ['get'],
    '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json': ['post'],
    '/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json': ['delete'],
  },
  'twilio_lookups_v2.json': {
    '/v2/PhoneNumbers/{PhoneNumber}': ['get'],
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function collectRefs(node, found) {
  if (Array.isArray(node)) node.forEach((item) => collectRefs(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.add(value);
      else collectRefs(value, found);
    }
  }
}

function resolvePointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => {
      if (!node || !(part in node)) throw new Error(`dangling $ref ${ref}`);
      return node[part];
    }, doc);
}

function cut(doc, file, wanted) {
  const paths = {};
  for (const [route, methods] of Object.entries(wanted)) {
    const item = doc.paths[route];
    if (!item) throw new Error(`${file}: no path ${route}`);
    const kept = Object.fromEntries(Object.entries(item).filter(([key]) => !METHODS.includes(key)));
    for (const method of methods) {
      if (!item[method]) throw new Error(`${file}: no ${method.toUpperCase()} ${route}`);
      kept[method] = item[method];
    }
    paths[route] = kept;
  }

  // Transitive closure of the components the kept operations reference.
  const components = {};
  const seen = new Set();
  const queue = new Set();
  collectRefs(paths, queue);
  while (queue.size) {
    const [ref] = queue;
    queue.delete(ref);
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [, section, name] = ref.split('/').slice(1);
    const target = resolvePointer(doc, ref);
    (components[section] ??= {})[name] = target;
    const nested = new Set();
    collectRefs(target, nested);
    nested.forEach((r) => !seen.has(r) && queue.add(r));
  }
  for (const section of Object.keys(components)) components[section] = Object.fromEntries(Object.entries(components[section]).sort(([a], [b]) => a.localeCompare(b)));
  if (doc.components?.securitySchemes) components.securitySchemes = doc.components.securitySchemes;

  return {
    openapi: doc.openapi,
    info: {
      ...doc.info,
      'x-caretext-extract': `Cut from Twilio's ${file} by server/tools/twilio-spec/extract.mjs: only the operations the simulator implements. Do not edit by hand.`,
    },
    servers: doc.servers,
    security: doc.security,
    paths,
    components,
  };
}

let stale = false;
if (!check) mkdirSync(outDir, { recursive: true });
for (const [file, wanted] of Object.entries(IMPLEMENTED)) {
  const source = path.join(specDir, file);
  if (!existsSync(source)) throw new Error(`missing ${source} (pass the folder holding Twilio's specs)`);
  const output = `${JSON.stringify(cut(JSON.parse(readFileSync(source, 'utf8')), file, wanted), null, 2)}\n`;
  const target = path.join(outDir, file);
  if (check) {
    if (!existsSync(target) || readFileSync(target, 'utf8') !== output) {
      console.error(`stale: ${path.relative(process.cwd(), target)}`);
      stale = true;
    }
  } else {
    writeFileSync(target, output);
    console.log(`wrote ${path.relative(process.cwd(), target)} (${(output.length / 1024).toFixed(0)} KiB)`);
  }
}
const license = path.join(specDir, 'LICENSE');
if (check) {
  if (readFileSync(license, 'utf8') !== readFileSync(path.join(outDir, 'LICENSE'), 'utf8')) (stale = true), console.error('stale: LICENSE');
} else writeFileSync(path.join(outDir, 'LICENSE'), readFileSync(license)); // a copy, not the read-only original's mode
if (stale) process.exit(1);
