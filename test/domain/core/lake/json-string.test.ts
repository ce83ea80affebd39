import fc from 'fast-check';
import { jsonString } from '../../../../domain/core/lake/json-string';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261203) });

// Every UTF-16 unit, lone surrogates included, and the ones JSON escapes, often.
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', 'é', '😀', 'a'),
);

describe('jsonString', () => {
  it('writes, byte for byte, what JSON.stringify writes for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['', '""'],
    ['plain-id_42', '"plain-id_42"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ['\n', '"\\n"'],
    ['\ud800', '"\\ud800"'],
    ['😀', '"😀"'],
  ])('writes %p as %p', (value, json) => {
    expect(jsonString(value)).toBe(json);
  });

  it('writes null as null', () => {
    expect(jsonString(null)).toBe('null');
  });
});
