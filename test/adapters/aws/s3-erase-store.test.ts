import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { S3EraseStore } from '../../../adapters/aws/s3-erase-store';
import { mockAws } from '../../support/aws-mocks';

/**
 * After a VACUUM, the old versions of the curated files it removed are deleted by version id: a bucket
 * that lists versions a page at a time (with S3's markers) and takes DeleteObjects of ≤ 1,000.
 */
describe('S3EraseStore.removeNoncurrent: a versioned bucket, paged as S3 pages', () => {
  const s3 = mockAws(S3Client);
  const store = () => new S3EraseStore(new S3Client({}), 'lake', 'results', 'athena/');

  // Two pages: the first truncated. Each key has a current version, some an old one, one a delete
  // marker over its old bytes (a file VACUUM removed).
  function arrange() {
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined }).resolves({
      IsTruncated: true,
      NextKeyMarker: 'curated/events/b.parquet',
      NextVersionIdMarker: 'b1',
      Versions: [
        { Key: 'curated/events/a.parquet', VersionId: 'a2', IsLatest: true },
        { Key: 'curated/events/a.parquet', VersionId: 'a1', IsLatest: false },
        { Key: 'curated/events/b.parquet', VersionId: 'b1', IsLatest: false },
      ],
      DeleteMarkers: [{ Key: 'curated/events/b.parquet', VersionId: 'bm', IsLatest: true }],
    });
    s3.on(ListObjectVersionsCommand, { KeyMarker: 'curated/events/b.parquet' }).resolves({
      IsTruncated: false,
      Versions: [{ Key: 'curated/events/c.parquet', VersionId: 'c1', IsLatest: true }],
      DeleteMarkers: [{ Key: 'curated/events/d.parquet', VersionId: 'dm0', IsLatest: false }],
    });
    s3.on(DeleteObjectsCommand).resolves({});
  }
  const deleted = () =>
    s3
      .commandCalls(DeleteObjectsCommand)
      .flatMap((c) => c.args[0].input.Delete!.Objects!.map((o) => `${o.Key}@${o.VersionId}`));

  it('deletes every noncurrent version and marker, never a current version nor the marker over a removed file', async () => {
    arrange();
    expect(await store().removeNoncurrent('curated/events/', 10)).toEqual({ removed: 3, more: false });
    expect(deleted().sort()).toEqual([
      'curated/events/a.parquet@a1',
      'curated/events/b.parquet@b1',
      'curated/events/d.parquet@dm0',
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).toEqual([
      'curated/events/',
      'curated/events/',
    ]);
  });

  it('stops after its pages and says there is more (the state machine calls again)', async () => {
    arrange();
    expect(await store().removeNoncurrent('curated/events/', 1)).toEqual({ removed: 2, more: true });
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
  });
});
