// Validates BPMN files written by `bouwstroom schema export-bpmn` with the tools that open them:
// bpmn-moddle (the parser behind bpmn-js and Camunda Modeler; reading must give no warning),
// bpmnlint with its recommended rules (no report, error or warning), and the layout the
// export promises (every flow node shape inside its lane, no two shapes overlapping, no edge
// through a shape or label other than its own ends). Writes each file as bpmn-moddle serialises
// it again (what bpmn-js and Camunda Modeler save) to FILE.moddle.bpmn, for run.sh to import.
//
// Usage: node tests/bpmn/validate.mjs WEB_DIR FILE.bpmn...  (WEB_DIR holds node_modules with
// the devDependencies bpmn-moddle and bpmnlint of web/package.json). Exits 0 when every check held.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [webDir, ...files] = process.argv.slice(2);
if (!webDir || files.length === 0) {
  console.error('usage: validate.mjs WEB_DIR FILE.bpmn...');
  process.exit(2);
}
const webRequire = createRequire(path.join(path.resolve(webDir), 'package.json'));
const moddleModule = await import(pathToFileURL(path.join(path.resolve(webDir), 'node_modules', 'bpmn-moddle', 'dist', 'index.js')).href);
const BpmnModdle = moddleModule.default || moddleModule.BpmnModdle;
const { Linter } = webRequire('bpmnlint');
const NodeResolver = webRequire('bpmnlint/lib/resolver/node-resolver');

let failures = 0;
function fail(file, what) {
  console.error(`FAIL ${file}: ${what}`);
  failures++;
}

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(a, b) {
  return a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
}

// Shapes: flow nodes pairwise apart (their external labels too), each inside the lane that lists it.
function checkLayout(file, definitions) {
  const plane = definitions.diagrams[0].plane;
  const shapes = plane.planeElement.filter((e) => e.$type === 'bpmndi:BPMNShape');
  const bounds = new Map(shapes.map((s) => [s.bpmnElement.id, s]));
  const process = definitions.rootElements.find((e) => e.$type === 'bpmn:Process');
  const nodes = process.flowElements.filter((e) => e.$type !== 'bpmn:SequenceFlow');
  const boxes = [];
  for (const n of nodes) {
    const s = bounds.get(n.id);
    if (!s) {
      fail(file, `no shape for ${n.id}`);
      continue;
    }
    boxes.push([n.id, s.bounds]);
    if (s.label && s.label.bounds) boxes.push([n.id + ' (label)', s.label.bounds]);
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++)
      if (overlaps(boxes[i][1], boxes[j][1])) fail(file, `shapes overlap: ${boxes[i][0]} and ${boxes[j][0]}`);
  for (const lane of process.laneSets[0].lanes) {
    const lb = bounds.get(lane.id);
    if (!lb) {
      fail(file, `no shape for lane ${lane.id}`);
      continue;
    }
    for (const n of lane.flowNodeRef || [])
      if (bounds.get(n.id) && !inside(bounds.get(n.id).bounds, lb.bounds)) fail(file, `${n.id} lies outside ${lane.id}`);
  }
  // edges: every segment axis-parallel, and none through a shape other than its own ends
  const edges = plane.planeElement.filter((e) => e.$type === 'bpmndi:BPMNEdge');
  for (const e of edges) {
    const ends = new Set([e.bpmnElement.sourceRef.id, e.bpmnElement.targetRef.id]);
    const wp = e.waypoint;
    for (let k = 0; k + 1 < wp.length; k++) {
      const [p, q] = [wp[k], wp[k + 1]];
      if (p.x !== q.x && p.y !== q.y) fail(file, `${e.id}: diagonal segment`);
      const seg = { x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), width: Math.abs(p.x - q.x) || 0.5,
        height: Math.abs(p.y - q.y) || 0.5 };
      for (const [id, b] of boxes)
        if (!ends.has(id.replace(' (label)', '')) && overlaps(seg, b)) fail(file, `${e.id} runs through ${id}`);
    }
  }
  return nodes.length;
}

for (const file of files) {
  const xml = readFileSync(file, 'utf8');
  const moddle = new BpmnModdle();
  const { rootElement, warnings } = await moddle.fromXML(xml);
  for (const w of warnings) fail(file, `bpmn-moddle warning: ${w.message}`);
  const linter = new Linter({
    config: { extends: 'bpmnlint:recommended' },
    resolver: new NodeResolver({ require: webRequire }),
  });
  const reports = await linter.lint(rootElement);
  for (const [rule, list] of Object.entries(reports))
    for (const r of list) fail(file, `bpmnlint ${rule} (${r.category}): ${r.id}: ${r.message}`);
  const n = checkLayout(file, rootElement);
  // what bpmn-js and Camunda Modeler would save: run.sh imports it back to the same schema
  const { xml: again } = await moddle.toXML(rootElement, { format: true });
  writeFileSync(file.replace(/\.bpmn$/, '.moddle.bpmn'), again);
  console.log(`${file}: ${n} flow nodes, ${warnings.length} moddle warnings, ${Object.keys(reports).length} lint rules reporting`);
}
process.exit(failures ? 1 : 0);
