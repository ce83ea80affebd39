import middy from '@middy/core';
import { powertoolsLogger } from '../../../adapters/aws/powertools-logger';
import { lambdaContext } from '../../support/factories';

describe('the functions’ logger (Powertools)', () => {
  it('writes JSON lines with the service, the level and the request id of the invocation', async () => {
    const lines: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    };
    // Powertools writes errors to stderr, the rest to stdout.
    const writes = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const { logger, middleware } = powertoolsLogger('ingest');
    const handler = middy(async () => {
      logger.error('request failed', { code: 'internal_error', detail: 'boom' });
      return 'ok';
    }).use(middleware);

    try {
      await handler({}, lambdaContext);
    } finally {
      for (const w of writes) w.mockRestore();
    }

    const entry = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'request failed');
    expect(entry).toMatchObject({
      level: 'ERROR',
      service: 'ingest',
      code: 'internal_error',
      detail: 'boom',
      function_request_id: lambdaContext.awsRequestId,
    });
  });

  it('writes a sampled share of INFO lines, each saying its rate, and every warning and error', () => {
    const lines: string[] = [];
    const writes = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0),
    ];
    const draws = [0.005, 0.5, 0.0099, 0.01, 0.99];
    const { logger } = powertoolsLogger('ingest', { infoSampleRate: 0.01, random: () => draws.shift()! });
    try {
      for (let i = 0; i < 5; i++) logger.info('ingested', { i });
      logger.warn('slow', {});
      logger.error('failed', {});
    } finally {
      for (const w of writes) w.mockRestore();
    }

    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.message === 'ingested').map((e) => [e.i, e.sampleRate])).toEqual([
      [0, 0.01],
      [2, 0.01],
    ]);
    expect(entries.map((e) => e.level)).toEqual(['INFO', 'INFO', 'WARN', 'ERROR']);
  });
});
