import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { listKeys, readText, removeUnder } from '../../../adapters/aws/s3-objects';
import { S3_PAGE_KEYS, s3Objects } from '../../support/audience-aws';
import { mockAws } from '../../support/aws-mocks';

describe('the S3 object helpers the job functions share (a bucket that pages and limits as S3 does)', () => {
  const s3 = mockAws(S3Client);
  beforeEach(() => s3.reset());

  it('removes more objects than one DeleteObjects may name, a page at a time', async () => {
    const objects = s3Objects(s3);
    for (let i = 0; i < 2_500; i++)
      objects.set(`audiences/customer_id=acme/audience=a/version=2/f${i}`, Buffer.from('x'));
    objects.set('audiences/customer_id=acme/audience=a/version=1/keep', Buffer.from('x'));

    expect(
      await listKeys(new S3Client({}), 'b', 'audiences/customer_id=acme/audience=a/version=2/'),
    ).toHaveLength(2_500);
    expect(await removeUnder(new S3Client({}), 'b', 'audiences/customer_id=acme/audience=a/version=2/')).toBe(
      2_500,
    );

    const calls = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!.length);
    expect(calls).toEqual([S3_PAGE_KEYS, S3_PAGE_KEYS, 500]);
    expect([...objects.keys()]).toEqual(['audiences/customer_id=acme/audience=a/version=1/keep']);
  });

  it('reads an object’s text, and nothing for a key that is not there', async () => {
    const objects = s3Objects(s3);
    objects.set('k', Buffer.from('{"a":1}'));
    expect(await readText(new S3Client({}), 'b', 'k')).toBe('{"a":1}');
    expect(await readText(new S3Client({}), 'b', 'missing')).toBeUndefined();
  });
});
