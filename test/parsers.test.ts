/** The parsers that read what tools and benchmarks print, on their real
 * output formats (captured from strace 6, GNU time 1.9 and Linux /proc). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { readTimeFile } from '../src/engine/measure/bench-run';
import { OutputError, jsonField, opsOf, parseOutput } from '../src/engine/measure/parse';
import { parseProcStat } from '../src/engine/measure/preflight';
import { parseStraceSummary } from '../src/engine/measure/syscalls';
import { tempDir } from './helpers';

describe('parsers', () => {
  it('strace -c -U calls,name: counts per syscall, absent ones zero, the total row ignored', () => {
    const text = [
      '    calls syscall',
      '--------- ----------------',
      '       30 mmap',
      '        5 mprotect',
      '        1 munmap',
      '        3 brk',
      '        7 openat',
      '--------- ----------------',
      '       46 total',
    ].join('\n');
    assert.deepEqual(parseStraceSummary(text), { mmap: 30, mprotect: 5, munmap: 1, brk: 3, madvise: 0, mremap: 0 });
    assert.deepEqual(parseStraceSummary(''), { mmap: 0, munmap: 0, madvise: 0, mprotect: 0, mremap: 0, brk: 0 });
  });
  it('/proc/stat: total jiffies, steal and running tasks', () => {
    const text =
      'cpu  19387 0 3604 90720 142 0 110 55 0 0\ncpu0 9450 0 1576 45826 104 0 48 33 0 0\nintr 1\nprocs_running 3\nprocs_blocked 0\n';
    assert.deepEqual(parseProcStat(text), { total: 19387 + 3604 + 90720 + 142 + 110 + 55, steal: 55, running: 3 });
    assert.deepEqual(parseProcStat(''), { total: 0, steal: 0, running: 1 });
  });
  it("GNU time's -o file: our fields, the exit status and the signal", () => {
    const dir = tempDir('perfgate-time-');
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    assert.deepEqual(readTimeFile(file('ok', 'PGTIME 0.52 0.50 0.01 1396 84 0 1 2\n')), { fields: [0.52, 0.5, 0.01, 1396, 84, 0, 1, 2] });
    const exited = readTimeFile(file('exit', 'Command exited with non-zero status 3\nPGTIME 0.00 0.00 0.00 1396 84 0 1 0\n'));
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.fields?.[3], 1396);
    assert.equal(readTimeFile(file('sig', 'Command terminated by signal 11\nPGTIME 0.1 0 0 1 1 0 0 0\n')).signal, 'SIGSEGV');
    assert.deepEqual(readTimeFile(join(dir, 'absent')), {});
  });
  it('benchmark output: JSON (whole or last line), dotted fields, regexes, clear errors', () => {
    const metrics = [
      { name: 'ops_per_sec', json: 'ops_per_sec', higherIsBetter: true, unit: 'ops/s' },
      { name: 'lat', json: 'latency.p50', higherIsBetter: false, unit: 'ns' },
    ];
    const out = parseOutput('warming up\n{"ops_per_sec": 1.5e6, "latency": {"p50": "42"}, "ops": 100}\n', metrics);
    assert.deepEqual(out.values, { ops_per_sec: 1.5e6, lat: 42 });
    assert.equal(jsonField(out.json!, 'latency.p50'), '42');
    assert.deepEqual(
      parseOutput('Throughput = 12.5 MB/s\n', [{ name: 't', regex: 'Throughput = ([0-9.]+)', higherIsBetter: true, unit: '' }]).values,
      {
        t: 12.5,
      },
    );
    assert.throws(() => parseOutput('no json here', metrics), OutputError);
    assert.throws(() => parseOutput('{"ops_per_sec": "fast"}', metrics), /'ops_per_sec' is missing or not a finite number/);
    assert.equal(opsOf('{"ops": 100}', { opsField: 'ops' }), 100);
    assert.equal(opsOf('{"ops": 0}', { opsField: 'ops' }), undefined);
    assert.equal(opsOf('nothing', { ops: 7 }), 7);
  });
});
