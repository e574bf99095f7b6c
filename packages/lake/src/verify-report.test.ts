import { describe, expect, it } from 'vitest';
import type { AuditReport } from './audit-report.ts';
import { hourIso, verifyReport, type RunReport } from './verify.ts';

describe('verifyReport', () => {
  const run: RunReport = {
    run_id: 'r',
    expected: 3,
    found: 3,
    missing: 0,
    duplicated: 0,
    delay_s: { p50: 1, p99: 2, max: 2 },
    files_read: 2,
  };
  const clean = { ok: true, findings: [] } as unknown as AuditReport;
  const wait = {
    group: 'g',
    caught_up: true,
    behind: 0,
    waited_s: 1.5,
    committed: new Map([[0, 3n]]),
  };

  it('passes a complete run in a lake without findings, and prints no bigints', () => {
    const { report, ok } = verifyReport(
      run,
      { folders: ['t/dt=2026-11-18/hour=00/'] },
      wait,
      clean,
    );
    expect(ok).toBe(true);
    expect(JSON.parse(JSON.stringify(report))).toEqual({
      ...run,
      folders: ['t/dt=2026-11-18/hour=00/'],
      commits: { group: 'g', caught_up: true, behind: 0, waited_s: 1.5 },
      audit: { ok: true, findings: 0, kinds: {} },
    });
  });

  it("says which of a table's data files it read, by the hours of the run", () => {
    const table = {
      name: 'loglake.events',
      files_read: 4,
      files_live: 9,
      hours: { from: hourIso(491_184), to: hourIso(491_185) },
    };
    const { report } = verifyReport(run, { table }, wait, clean);
    expect(JSON.parse(JSON.stringify(report))).toEqual({
      ...run,
      table: {
        ...table,
        hours: { from: '2026-01-13T00:00:00.000Z', to: '2026-01-13T01:00:00.000Z' },
      },
      commits: { group: 'g', caught_up: true, behind: 0, waited_s: 1.5 },
      audit: { ok: true, findings: 0, kinds: {} },
    });
  });

  it('fails on a missing or duplicated event, on a run not found at all, and on any audit finding', () => {
    expect(verifyReport({ ...run, found: 2, missing: 1 }, { folders: null }, null, clean).ok).toBe(
      false,
    );
    expect(verifyReport({ ...run, duplicated: 1 }, { folders: null }, null, clean).ok).toBe(false);
    expect(verifyReport({ ...run, expected: 0, found: 0 }, { folders: null }, null, clean).ok).toBe(
      true,
    );
    expect(verifyReport({ ...run, found: 0, missing: 3 }, { folders: null }, null, clean).ok).toBe(
      false,
    );
    const findings = [{ kind: 'gap' }, { kind: 'missing_object' }, { kind: 'gap' }];
    const dirty = verifyReport(run, { folders: null }, wait, {
      ok: false,
      findings,
    } as unknown as AuditReport);
    expect(dirty.ok).toBe(false);
    expect(dirty.report.audit).toEqual({
      ok: false,
      findings: 3,
      kinds: { gap: 2, missing_object: 1 },
    });
  });
});
