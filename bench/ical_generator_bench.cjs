// Benchmark counterpart of bench_ical: ical-generator (npm, pinned in
// tests/ical/package-lock.json) renders the same 1,000 events that bench_ical wrote as
// JSON. Each iteration builds the calendar from the plain objects and serialises it
// (what bs_ical_render does from its structs). Run by scripts/bench_ical.sh.
// Usage: TZ=UTC node bench/ical_generator_bench.cjs NPM_DIR EVENTS_JSON [ITERATIONS]
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [npmDir, eventsFile, itersArg] = process.argv.slice(2);
const req = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const gen = req('ical-generator');
const ical = gen.default || gen;
const { ICalCalendarMethod, ICalEventTransparency } = gen;
const version = JSON.parse(fs.readFileSync(path.join(npmDir, 'node_modules', 'ical-generator', 'package.json'), 'utf8')).version;
const feed = JSON.parse(fs.readFileSync(eventsFile, 'utf8'));
const iters = Number(itersArg || 200);

function render() {
  const cal = ical({
    name: feed.name,
    description: feed.description,
    prodId: { company: 'Bouwstroom', product: 'bench', language: 'NL' },
    method: ICalCalendarMethod.PUBLISH,
    ttl: feed.refresh_minutes * 60,
  });
  const stamp = new Date(feed.dtstamp);
  for (const e of feed.events) {
    cal.createEvent({
      id: e.uid,
      start: new Date(e.start + 'T00:00:00Z'),
      end: new Date(e.end_exclusive + 'T00:00:00Z'),
      allDay: true,
      stamp,
      summary: e.summary,
      description: e.description,
      sequence: e.sequence,
      lastModified: new Date(e.last_modified),
      transparency: ICalEventTransparency.TRANSPARENT,
      url: e.url,
      categories: e.categories.map((name) => ({ name })),
    });
  }
  return cal.toString();
}

let out = '';
for (let i = 0; i < 5; i++) out = render(); // warm-up (JIT)
const ms = [];
for (let i = 0; i < iters; i++) {
  const t0 = process.hrtime.bigint();
  out = render();
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
ms.sort((a, b) => a - b);
const n = (out.match(/BEGIN:VEVENT/g) || []).length;
if (n !== feed.events.length) {
  console.error(`ical_generator_bench: ${n} events rendered, expected ${feed.events.length}`);
  process.exit(1);
}
console.log(`ical-generator ${version} (Node.js ${process.version}): ${n} events, ${Buffer.byteLength(out)} bytes, ` +
            `${iters} renders: median ${ms[iters >> 1].toFixed(3)} ms, best ${ms[0].toFixed(3)} ms per render`);
console.log(`ical_generator_ms_median=${ms[iters >> 1].toFixed(3)}`);
if (process.env.BS_ICAL_GENERATOR_SAMPLE) fs.writeFileSync(process.env.BS_ICAL_GENERATOR_SAMPLE, out);
