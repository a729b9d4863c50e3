// Validates request bodies against the request schemas of the official ZGW OpenAPI documents
// (../shared/contracts/zgw), with ajv + ajv-formats, because Prism lets some malformed bodies
// through (it does not validate the POST /zaken body at all). Test tooling only.
//
//   node validate.cjs CONTRACTS_DIR < requests.json
// requests.json: [{"api": "zaken"|"catalogi", "method": "POST", "path": "/zaken", "body": {...}}]
// Prints a JSON array of {index, valid, errors}. Paths are matched against the templates
// ("/zaken/{uuid}"). Request schemas: readOnly properties are dropped from `required`
// (OpenAPI 3.0: readOnly properties are sent only in responses).
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const dir = process.argv[2];
const docs = {
  zaken: yaml.load(fs.readFileSync(path.join(dir, 'zaken-1.5.yaml'), 'utf8')),
  catalogi: yaml.load(fs.readFileSync(path.join(dir, 'catalogi-1.3.yaml'), 'utf8')),
};
const files = { './catalogi-1.3.yaml': 'catalogi', 'catalogi-1.3.yaml': 'catalogi', './zaken-1.5.yaml': 'zaken' };

// Inlines every $ref (local "#/…" and "./catalogi-1.3.yaml#/…"), for request use.
function resolve(node, doc, seen) {
  if (Array.isArray(node)) return node.map((n) => resolve(n, doc, seen));
  if (!node || typeof node !== 'object') return node;
  if (node.$ref) {
    const [file, pointer] = node.$ref.split('#');
    const target = file ? docs[files[file]] : doc;
    if (seen.has(node.$ref)) return {}; // recursion: accept anything below
    let v = target;
    for (const p of pointer.split('/').slice(1)) v = v[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    const s2 = new Set(seen);
    s2.add(node.$ref);
    return resolve(v, target, s2);
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'example' || k === 'externalDocs' || k === 'discriminator') continue;
    out[k] = resolve(v, doc, seen);
  }
  if (out.properties && Array.isArray(out.required)) {
    out.required = out.required.filter((r) => !(out.properties[r] && out.properties[r].readOnly));
  }
  if (out.properties) {
    for (const [k, v] of Object.entries(out.properties)) if (v && v.readOnly) delete out.properties[k];
  }
  if (out.nullable) { // OpenAPI 3.0 nullable → JSON Schema
    delete out.nullable;
    if (out.type && !out.enum) return Object.assign(out, { type: [out.type, 'null'] });
    return { anyOf: [{ type: 'null' }, out] };
  }
  return out;
}

function template(doc, p) {
  for (const t of Object.keys(doc.paths)) {
    const re = new RegExp('^' + t.replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (re.test(p)) return t;
  }
  return null;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const reqs = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = reqs.map((r, index) => {
  const doc = docs[r.api];
  const t = template(doc, r.path);
  const op = t && doc.paths[t][r.method.toLowerCase()];
  if (!op) return { index, valid: false, errors: ['no such operation ' + r.method + ' ' + r.path] };
  const content = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
  if (!content) return { index, valid: true, errors: [], note: 'no request body schema' };
  const schema = resolve(content.schema, doc, new Set());
  const validate = ajv.compile(schema);
  const valid = validate(r.body);
  return { index, valid, errors: valid ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`) };
});
process.stdout.write(JSON.stringify(out));
