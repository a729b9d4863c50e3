// Parses every DIR/*.ics written by ical_fixture with ical.js (npm, pinned in
// tests/ical/package-lock.json, installed into NPM_DIR by npm_install.sh) and compares
// it with DIR/NAME.expected.json: number of events, UIDs, DTSTART/DTEND (all-day dates,
// DTEND exclusive), SEQUENCE, SUMMARY, DESCRIPTION, the calendar name.
// Usage: node check_icaljs.cjs NPM_DIR DIR     Exit 0, or 1 listing the problems.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [npmDir, dir] = process.argv.slice(2);
const req = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const ICAL = req('ical.js');
const version = JSON.parse(fs.readFileSync(path.join(npmDir, 'node_modules', 'ical.js', 'package.json'), 'utf8')).version;

// ical.js types the properties it knows; NAME (RFC 7986) and X- properties come back
// with type "unknown" and their raw value, which for these TEXT properties (RFC 5545
// §3.8.8.2: an X- property's default value type is TEXT) is unescaped here (§3.3.11).
const unescapeText = (s) => s.replace(/\\([\\;,nN])/g, (m, c) => (c === 'n' || c === 'N' ? '\n' : c));
const textValue = (comp, name) => {
  const p = comp.getFirstProperty(name);
  if (!p) return null;
  const v = p.getFirstValue();
  return p.type === 'unknown' ? unescapeText(v) : v;
};
const compact = (t) => t.toString().slice(0, 10).replace(/-/g, '');
const problems = [];
let total = 0;
const feeds = fs.readdirSync(dir).filter((f) => f.endsWith('.ics')).sort();
if (feeds.length === 0) {
  console.error(`check_icaljs: no feeds in ${dir}`);
  process.exit(1);
}
for (const f of feeds) {
  const file = path.join(dir, f);
  const want = JSON.parse(fs.readFileSync(file.replace(/\.ics$/, '.expected.json'), 'utf8'));
  const before = problems.length;
  try {
    const text = fs.readFileSync(file, 'utf8');
    const cal = new ICAL.Component(ICAL.parse(text));
    for (const prop of ['x-wr-calname', 'name'])
      if (textValue(cal, prop) !== want.name)
        problems.push(`${f}: ${prop} ${JSON.stringify(textValue(cal, prop))} != ${JSON.stringify(want.name)}`);
    const events = cal.getAllSubcomponents('vevent');
    if (events.length !== want.events.length) {
      problems.push(`${f}: ${events.length} events, expected ${want.events.length}`);
    } else {
      events.forEach((ve, i) => {
        const w = want.events[i];
        const ev = new ICAL.Event(ve);
        if (ev.uid !== w.uid) problems.push(`${f}: UID ${ev.uid} != ${w.uid}`);
        for (const [name, key] of [['dtstart', 'dtstart'], ['dtend', 'dtend']]) {
          const t = ve.getFirstPropertyValue(name);
          if (!t || !t.isDate) problems.push(`${f}: ${w.uid}: ${name} is not an all-day date`);
          else if (compact(t) !== w[key]) problems.push(`${f}: ${w.uid}: ${name} ${compact(t)} != ${w[key]}`);
        }
        if (ev.sequence !== w.sequence) problems.push(`${f}: ${w.uid}: SEQUENCE ${ev.sequence} != ${w.sequence}`);
        if (ev.summary !== w.summary) problems.push(`${f}: ${w.uid}: SUMMARY ${JSON.stringify(ev.summary)} != ${JSON.stringify(w.summary)}`);
        const desc = ve.hasProperty('description') ? ev.description : null;
        if (desc !== w.description) problems.push(`${f}: ${w.uid}: DESCRIPTION ${JSON.stringify(desc)} != ${JSON.stringify(w.description)}`);
        const stamp = ve.getFirstPropertyValue('dtstamp');
        if (!stamp || stamp.zone !== ICAL.Timezone.utcTimezone) problems.push(`${f}: ${w.uid}: DTSTAMP not UTC`);
      });
    }
  } catch (e) {
    problems.push(`${f}: ical.js failed: ${e && e.message ? e.message : e}`);
  }
  total += want.events.length;
  console.log(`ical.js ${version}: ${f}: ${want.events.length} events, ${problems.length === before ? 'ok' : 'FAILED'}`);
}
for (const p of problems.slice(0, 50)) console.log('  ' + p);
if (problems.length) {
  console.error(`check_icaljs: ${problems.length} problems`);
  process.exit(1);
}
console.log(`ical.js: ${feeds.length} feeds, ${total} events: ok`);
