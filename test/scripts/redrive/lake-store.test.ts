import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3LakeStore } from '../../../scripts/redrive/lake-store';
import { mockAws } from '../../support/aws-mocks';

describe('the redrive against S3 (mocked client)', () => {
  const s3 = mockAws(S3Client);
  beforeEach(() => s3.reset());

  it('lists every page, reads objects, and moves a redriven object aside (copy, then delete)', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'errors/a.gz' }], NextContinuationToken: 't' })
      .resolves({ Contents: [{ Key: 'errors/b.gz' }] });
    s3.on(GetObjectCommand).resolves({
      Body: { transformToByteArray: async () => new Uint8Array(Buffer.from('hello')) } as never,
    });
    const store = s3LakeStore('lake-bucket', new S3Client({}));

    expect(await store.list('errors/')).toEqual(['errors/a.gz', 'errors/b.gz']);
    expect((await store.read('errors/a.gz')).toString()).toBe('hello');
    await store.move('errors/a b.gz', 'redriven/errors/a b.gz');
    await store.writeState(['quarantine/x.gz#0']);

    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake-bucket',
      Key: 'redriven/errors/a b.gz',
      CopySource: 'lake-bucket/errors%2Fa%20b.gz',
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake-bucket',
      Key: 'errors/a b.gz',
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: 'redrive/quarantine-redriven.json',
      Body: '["quarantine/x.gz#0"]',
    });
  });
});
