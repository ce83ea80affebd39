import { qualityReport } from '../../../../domain/core/quality/quality-report';
import { prestoType } from '../../../../lib/lake-catalog';

describe('the data-quality report', () => {
  it('counts violations by event and rule, unplanned events, folded spellings and quarantine reasons', () => {
    const report = qualityReport(
      [
        {
          event: 'Signed Up',
          event_raw: 'sign_up',
          planned: true,
          violations: [{ path: 'properties.plan', rule: 'enum' }],
        },
        {
          event: 'Signed Up',
          event_raw: 'signup',
          planned: true,
          violations: [{ path: 'properties.plan', rule: 'enum' }],
        },
        { event: 'Signed Up', event_raw: 'Signed Up', planned: true, violations: [] },
        { event: 'Report Exported', event_raw: 'report_exported', planned: false, violations: [] },
        { event: 'Page', event_raw: null, planned: null, violations: [] },
      ],
      [
        { reason: { code: 'plan_violation' }, violations: [{ path: 'properties.seats', rule: 'minimum' }] },
        { reason: { code: 'missing_identity' } },
      ],
    );

    expect(report).toMatchObject({ events: 5, checked: 4, violating: 2 });
    expect(report.violations).toEqual([
      { event: 'Signed Up', path: 'properties.plan', rule: 'enum', count: 2 },
      { event: '(quarantined)', path: 'properties.seats', rule: 'minimum', count: 1 },
    ]);
    expect(report.unplanned).toEqual([{ event: 'Report Exported', count: 1 }]);
    expect(report.spellings[0]!.spellings).toHaveLength(3);
    expect(report.spellings[0]).toEqual({
      event: 'Signed Up',
      spellings: expect.arrayContaining([
        { name: 'Signed Up', count: 1 },
        { name: 'sign_up', count: 1 },
        { name: 'signup', count: 1 },
      ]),
    });
    expect(report.quarantineReasons).toEqual([
      { reason: 'missing_identity', count: 1 },
      { reason: 'plan_violation', count: 1 },
    ]);
  });

  it('writes Hive types as Athena view metadata does', () => {
    expect(prestoType('array<struct<path:string,rule:string,message:string>>')).toBe(
      'array(row(path varchar, rule varchar, message varchar))',
    );
    expect(prestoType('boolean')).toBe('boolean');
    expect(() => prestoType('map<string,string>')).toThrow(/no Presto type/);
  });
});
