import { S3Client } from '@aws-sdk/client-s3';
import { s3ObjectStore } from '../../../adapters/aws/s3-objects';
import { predictionPath } from '../../../domain/contract/predictions';
import { planRefresh } from '../../../lambdas/refresh-plan/create-refresh-plan-handler';
import { s3Objects } from '../../support/audience-aws';
import { mockAws } from '../../support/aws-mocks';

describe('the weekly refresh plan (mocked S3)', () => {
  const s3 = mockAws(S3Client);
  beforeEach(() => s3.reset());

  const saved = (customer: string, eventKey: string, lastRunAt: string) => ({
    version: 1,
    customer_id: customer,
    event: eventKey === 'signedup' ? 'Signed Up' : 'Order Completed',
    event_key: eventKey,
    lookback_days: 30,
    horizon_days: 14,
    rescore_days: 7,
    retrain_days: 30,
    last_run_at: lastRunAt,
    last_as_of: lastRunAt.slice(0, 10),
  });

  it('reruns the predictions a week old or more, and lists every customer with audiences', async () => {
    const objects = s3Objects(s3);
    const put = (key: string, value: unknown) => objects.set(key, Buffer.from(JSON.stringify(value)));
    put(predictionPath('acme', 'signedup'), saved('acme', 'signedup', '2026-03-02T06:00:00.000Z'));
    put(
      predictionPath('acme', 'ordercompleted'),
      saved('acme', 'ordercompleted', '2026-03-05T06:00:00.000Z'),
    );
    put(predictionPath('globex', 'signedup'), saved('globex', 'signedup', '2026-02-01T06:00:00.000Z'));
    objects.set('audiences/customer_id=acme/audience=likely/audience.json', Buffer.from('{}'));
    objects.set('audiences/customer_id=initech/audience=x/audience.json', Buffer.from('{}'));

    const plan = await planRefresh({
      objects: s3ObjectStore(new S3Client({})),
      bucket: 'lake-bucket',
      now: () => new Date('2026-03-09T06:00:00.000Z'),
    });

    expect(plan.predictions).toEqual([
      { customer: 'acme', event: 'Signed Up', lookbackDays: 30, horizonDays: 14 },
      { customer: 'globex', event: 'Signed Up', lookbackDays: 30, horizonDays: 14 },
    ]);
    expect(plan.customers).toEqual([{ customer: 'acme' }, { customer: 'initech' }]);
  });

  it('plans nothing on an empty lake, and refuses a damaged saved prediction', async () => {
    const objects = s3Objects(s3);
    const deps = {
      objects: s3ObjectStore(new S3Client({})),
      bucket: 'b',
      now: () => new Date('2026-03-09T00:00:00Z'),
    };
    expect(await planRefresh(deps)).toEqual({ predictions: [], customers: [] });
    objects.set(predictionPath('acme', 'signedup'), Buffer.from('{"version": 1}'));
    await expect(planRefresh(deps)).rejects.toThrow();
  });
});
