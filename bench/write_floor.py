#!/usr/bin/python3
"""The step write's floor by pieces (issue 17 item 1; scripts/bench_write_floor.sh runs it; not a test).

  write_floor.py prepare LOG DIR URL   the write statements and their parameters from a PostgreSQL log written with
                                       log_min_duration_statement = 0 while our server wrote; loads the parameters into
                                       tables of the database URL and writes DIR/*.pgb, one pgbench script per variant
  write_floor.py summary FILE          the table of FILE's lines (one per pgbench run, written by the shell script)

A pgbench script takes the next captured write (a SELECT of its parameters, with the project's current schedule
version and forecast stamp put in for $2 and $22 so that the write is proven; \\gset) and sends the statement as
the server does. Variants remove pieces of the statement's text (the CTE replaced by one that writes nothing):
docs/performance.md "The eighth pass".
"""
import re
import statistics
import subprocess
import sys

NAMES = {'schedule_write_one_trip': 'fp_ot', 'schedule_write_steps': 'fp_st', 'gate_state': 'fp_gate'}
# parameters that are NULL in some captured write: pgbench's \gset gives '' for NULL, NULLIF turns it back
NULLABLE = {11, 17}
PREFIX = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \w+ \[\d+\] ')
PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")


def parse_log(path):
    """-> ({statement name: text}, {statement name: [[parameter or None, ...], ...]}) of NAMES' executions"""
    entries, cur = [], None
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\n')
        if PREFIX.match(line):
            if cur is not None:
                entries.append(cur)
            cur = line
        elif cur is not None:
            cur += '\n' + line
    if cur is not None:
        entries.append(cur)
    texts, params, last = {}, {k: [] for k in NAMES}, None
    for e in entries:
        body = PREFIX.sub('', e, count=1)
        m = re.match(r'LOG:  duration: [\d.]+ ms  execute (\w+): (.*)', body, re.S)
        if m:
            last = m.group(1) if m.group(1) in NAMES else None
            if last and last not in texts:
                texts[last] = m.group(2)
            continue
        if last and body.startswith('DETAIL:  parameters: '):
            ps = {int(mm.group(1)): None if mm.group(2) == 'NULL' else mm.group(3).replace("''", "'")
                  for mm in PARAM.finditer(body)}
            params[last].append([ps[i] for i in range(1, max(ps) + 1)])
            last = None
    return texts, params


def cte_span(s, name):
    """the start and end of the CTE name AS (...) in s"""
    i = re.search(r'(?<![\w])' + re.escape(name) + r' AS \(', s).start()
    k, depth, quoted = i + len(name) + 4, 0, False
    while True:
        c = s[k]
        if c == "'":
            quoted = not quoted
        elif not quoted and c == '(':
            depth += 1
        elif not quoted and c == ')':
            depth -= 1
            if depth == 0:
                return i, k + 1
        k += 1


def replace_cte(s, name, body):
    i, k = cte_span(s, name)
    return s[:i] + name + ' AS (' + body + ')' + s[k:]


def variant(s, v):
    """the statement s without the pieces of variant v"""
    if v in ('noaudit', 'bare'):
        s = replace_cte(replace_cte(s, 'pau', 'SELECT 1 WHERE false'), 'sau', 'SELECT 1 WHERE false')
    if v in ('nohist', 'core', 'bare'):
        s = replace_cte(s, 'h', 'SELECT NULL::bigint AS id, NULL::text AS step_key, NULL::text AS field, '
                        'NULL::text AS old_value, NULL::text AS new_value WHERE false')
    if v in ('nomarks', 'core', 'bare'):
        s = replace_cte(s, 'fs', 'SELECT NULL::bigint AS stamp WHERE false')
        if re.search(r'(?<![\w])fs2 AS \(', s):
            s = replace_cte(s, 'fs2', 'SELECT 1 WHERE false')
        s = replace_cte(s, 'nd', 'SELECT 1 WHERE false')
        mark = 'AND (SELECT bs_dashboard_mark()) IS NOT NULL '
        assert mark in s
        s = s.replace(mark, '')
    if v in ('core', 'bare'):
        s = replace_cte(replace_cte(s, 'ext', 'SELECT NULL::int AS n WHERE false'), 'au', 'SELECT 1 WHERE false')
    return s


def as_pgbench(s):
    return re.sub(r'\$(\d+)\b', lambda m: ("NULLIF(:p%s, '')" % m.group(1)) if int(m.group(1)) in NULLABLE
                  else ':p' + m.group(1), s)


def fetch(tab, n, nparams, extra=''):
    cols = []
    for i in range(1, nparams + 1):
        if i == 2:
            cols.append('(SELECT schedule_version::text FROM projects WHERE id = f.p[1]::uuid) AS p2')
        elif i == 22:
            cols.append("COALESCE((SELECT stamp::text FROM project_forecast_stamps WHERE project_id = f.p[1]::uuid), "
                        "'0') AS p22")
        else:
            cols.append('f.p[%d] AS p%d' % (i, i))
    return ('SELECT ' + ', '.join(cols) + extra + " FROM %s f WHERE f.id = (SELECT (nextval('%s_seq') - 1) %% %d + 1)"
            ' \\gset\n' % (tab, tab, n))


def pg_array(row):
    out = []
    for v in row:
        out.append('NULL' if v is None else '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"')
    return '{' + ','.join(out) + '}'


def prepare(log, d, url):
    texts, params = parse_log(log)
    for k in NAMES:
        if not params[k]:
            sys.exit('write_floor: no %s in %s' % (k, log))
        for row in params[k]:
            for i, v in enumerate(row):
                if v is None and i + 1 not in NULLABLE and not (k == 'gate_state' and i + 1 == 4):
                    sys.exit('write_floor: %s: parameter $%d NULL' % (k, i + 1))
        print('%s: %d executions, %d projects' % (k, len(params[k]),
                                                 len({r[2] if k == 'gate_state' else r[0] for r in params[k]})))
    sql = ['SET client_min_messages = warning;\n']
    for k, tab in NAMES.items():
        with open('%s/%s.copy' % (d, tab), 'w') as f:
            for i, row in enumerate(params[k]):
                f.write('%d\t%s\n' % (i + 1, pg_array(row).replace('\\', '\\\\')))
        sql.append('DROP TABLE IF EXISTS %s; CREATE TABLE %s (id int PRIMARY KEY, p text[]);\n'
                   "\\copy %s FROM '%s/%s.copy'\nDROP SEQUENCE IF EXISTS %s_seq; CREATE SEQUENCE %s_seq;\n"
                   % (tab, tab, tab, d, tab, tab, tab))
    subprocess.run(['psql', url, '-XAtq', '-v', 'ON_ERROR_STOP=1'], input=''.join(sql), text=True, check=True)
    ot, st, gate = texts['schedule_write_one_trip'], texts['schedule_write_steps'], texts['gate_state']
    n_ot, n_st = len(params['schedule_write_one_trip']), len(params['schedule_write_steps'])
    for v in ('full', 'noaudit', 'nohist', 'nomarks', 'core', 'bare'):
        with open('%s/ot_%s.pgb' % (d, v), 'w') as f:
            f.write(fetch('fp_ot', n_ot, 25) + as_pgbench(variant(ot, v)) + ';\n')
    with open('%s/ot_fetch.pgb' % d, 'w') as f:
        f.write(fetch('fp_ot', n_ot, 25))
    with open('%s/st_full.pgb' % d, 'w') as f:
        f.write(fetch('fp_st', n_st, 22) + as_pgbench(st) + ';\n')
    # gate-first as the server sends it: the gate with the state (nothing cached: the state's JSON), then the write
    cred = params['gate_state'][0][0]
    g = gate.replace('$1', ':p23').replace('$2', ':p24').replace('$3', ':p1::uuid').replace('$4', 'NULL')
    with open('%s/st_gatefull.pgb' % d, 'w') as f:
        f.write(fetch('fp_st', n_st, 22, ", '%s' AS p23, 'token' AS p24" % cred) + g + ';\n' + as_pgbench(st) + ';\n')
    # the hand-written minimum: the version, the step rows, two audit rows of fixed JSON
    with open('%s/ot_handmin.pgb' % d, 'w') as f:
        f.write(fetch('fp_ot', n_ot, 25) +
                'WITH chk AS (UPDATE projects SET schedule_version = schedule_version + 1, updated_at = now() '
                'WHERE id = :p1::uuid AND schedule_version = :p2::bigint RETURNING id), '
                'st AS (UPDATE project_steps s SET status = x.status, actual_start = x.actual_start, '
                'actual_finish = x.actual_finish, planned_finish = x.planned_finish, updated_at = now() '
                'FROM json_to_recordset(:p5::json) AS x(step_key text, status text, actual_start date, '
                'actual_finish date, planned_finish date) WHERE s.project_id = :p1::uuid AND s.step_key = x.step_key '
                'AND EXISTS (SELECT 1 FROM chk) RETURNING s.id), '
                'au AS (INSERT INTO audit_log (actor_label, project_id, action, entity, entity_id, old, new) '
                "SELECT 'bench', :p1::uuid, 'UPDATE', 'project_steps', st.id::text, '{}'::jsonb, :p5::jsonb FROM st "
                "UNION ALL SELECT 'bench', :p1::uuid, 'UPDATE', 'projects', :p1, '{}'::jsonb, '{}'::jsonb FROM chk) "
                'SELECT count(*) FROM chk;\n')


ORDER = [('pglimit', "pg-limit.sh's transaction"), ('ot_fetch', 'the parameter fetch alone'),
         ('ot_full', 'the one-trip write, whole'), ('ot_noaudit', '- the audit rows'),
         ('ot_nohist', '- the history rows'), ('ot_nomarks', '- the marks (stamp, dirty, dashboard)'),
         ('ot_notrig', '- the triggers'), ('ot_core', 'core: step row + version + audit rows'),
         ('ot_bare', 'bare: step row + version'), ('ot_handmin', 'hand-written minimum'),
         ('st_full', 'gate-first: the write alone'), ('st_gatefull', 'gate-first: gate + state, then the write')]


def summary(path):
    rows, loads = {}, []
    for line in open(path):
        m = re.match(r'\S+ r\d+ (\S+) c(\d) n=\d+ tps=([\d.]+) cpu_us=(\d+) load=([\d.]+)-([\d.]+)', line)
        if not m:
            continue
        rows.setdefault((m.group(1), int(m.group(2))), []).append((int(m.group(4)), float(m.group(3))))
        loads += [float(m.group(5)), float(m.group(6))]
    if not loads:
        sys.exit('write_floor: no runs in ' + path)
    print('PostgreSQL CPU per transaction (utime + stime of the cluster), median of the runs (range), load %.1f-%.1f'
          % (min(loads), max(loads)))
    print('%-44s %-24s %-24s %s' % ('transaction', 'c1', 'c8', 'tps c8'))
    for key, label in ORDER:
        cells, tps8 = [], '-'
        for c in (1, 8):
            r = rows.get((key, c))
            if not r:
                cells.append('-')
                continue
            cpu = sorted(x[0] for x in r)
            cells.append('%d us (%d-%d)' % (statistics.median(cpu), cpu[0], cpu[-1]))
            if c == 8:
                tps8 = '%.0f' % statistics.median(x[1] for x in r)
        print('%-44s %-24s %-24s %s' % (label, cells[0], cells[1], tps8))


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'prepare':
        prepare(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == 'summary':
        summary(sys.argv[2])
    else:
        sys.exit(__doc__)
