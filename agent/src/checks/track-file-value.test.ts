import { describe, expect, it } from 'vitest';
import { fileCheckVerdict, parseTrackFileValue } from './track-file-value.ts';

describe('track_file value (strtol base 0)', () => {
  it.each([
    ['', 0], ['\n', 0], ['junk', 0], ['5\n', 5], ['  -12 trailing', -12], ['+7', 7], ['0x1f', 31], ['010', 8], ['0', 0], ['09', 0],
  ])('%j -> %d', (text, value) => {
    expect(parseTrackFileValue(text)).toBe(value);
  });

  it('refuses values outside INT32_MIN..INT32_MAX+1', () => {
    expect(parseTrackFileValue('2147483648')).toBe(2147483648);
    expect(parseTrackFileValue('2147483649')).toBeUndefined();
    expect(parseTrackFileValue('-2147483649')).toBeUndefined();
  });
});

describe('FILE_CHECK verdict', () => {
  it('weight 0: zero is up, non-zero is down; reverse swaps', () => {
    expect(fileCheckVerdict(0, 0, false)).toEqual({ up: true });
    expect(fileCheckVerdict(3, 0, false)).toMatchObject({ up: false });
    expect(fileCheckVerdict(0, 0, true)).toMatchObject({ up: false });
    expect(fileCheckVerdict(3, 0, true)).toEqual({ up: true });
  });

  it('weight W: value x W (negated by reverse) is the weight offset', () => {
    expect(fileCheckVerdict(5, 2, false)).toEqual({ up: true, weightOffset: 10 });
    expect(fileCheckVerdict(5, 2, true)).toEqual({ up: true, weightOffset: -10 });
    expect(fileCheckVerdict(-3, 1, false)).toEqual({ up: true, weightOffset: -3 });
  });

  it('an offset at or below INT32_MIN is a fault', () => {
    expect(fileCheckVerdict(-2147483648, 1, false)).toMatchObject({ up: false, reason: expect.stringMatching(/fault/) });
  });
});
