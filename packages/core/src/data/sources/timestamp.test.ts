import { describe, expect, it } from 'vitest';
import { describeBadTimestamp, detectTimestampFormat, parseIsoUtc, parseTimestamp } from './timestamp';

describe('parseIsoUtc', () => {
  it.each([
    ['2000-01-03', Date.UTC(2000, 0, 3)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2020-04-17T13:45', Date.UTC(2020, 3, 17, 13, 45)],
    ['2020-04-17 13:45:30', Date.UTC(2020, 3, 17, 13, 45, 30)],
    ['2020-04-17T13:45:30.123Z', Date.UTC(2020, 3, 17, 13, 45, 30, 123)],
    ['2020-04-17T13:45:30.1239Z', Date.UTC(2020, 3, 17, 13, 45, 30, 123)],
    ['2020-04-17T13:45:30+02:00', Date.UTC(2020, 3, 17, 11, 45, 30)],
    ['2020-04-17T13:45:30-0530', Date.UTC(2020, 3, 17, 19, 15, 30)],
    [' 2020-04-17 ', Date.UTC(2020, 3, 17)],
    ['20200417', Date.UTC(2020, 3, 17)],
  ])('%s', (text, expected) => {
    expect(parseIsoUtc(text)).toBe(expected);
  });

  it('reads a datetime without offset as UTC, not local time', () => {
    expect(parseIsoUtc('2021-06-01T00:00:00')).toBe(Date.parse('2021-06-01T00:00:00Z'));
  });

  it.each([
    '',
    '2021-02-30',
    '2023-02-29',
    '2021-13-01',
    '2021-1-01',
    '20211301',
    '2021010',
    '2021-01-01T25:00',
    '2021-01-01X',
    'abc',
  ])('rejects %j', (text) => {
    expect(parseIsoUtc(text)).toBeNaN();
  });
});

describe('parseTimestamp / detectTimestampFormat', () => {
  it('reads epoch seconds and milliseconds', () => {
    expect(parseTimestamp('1600000000', 'epoch-s')).toBe(1_600_000_000_000);
    expect(parseTimestamp('1600000000.123', 'epoch-s')).toBe(1_600_000_000_123);
    expect(parseTimestamp('1600000000123', 'epoch-ms')).toBe(1_600_000_000_123);
    expect(parseTimestamp('', 'epoch-ms')).toBeNaN();
    expect(parseTimestamp('12x', 'epoch-s')).toBeNaN();
  });

  it('detects the format from a sample', () => {
    expect(detectTimestampFormat('2020-01-01')).toBe('iso');
    expect(detectTimestampFormat('20200101')).toBe('iso');
    expect(detectTimestampFormat('1600000000')).toBe('epoch-s');
    expect(detectTimestampFormat('1600000000000')).toBe('epoch-ms');
    expect(detectTimestampFormat('1735689600000000')).toBe('epoch-us');
    expect(detectTimestampFormat('1735689600000000000')).toBe('epoch-ns');
  });

  it('reads micro- and nanoseconds (truncated to the millisecond)', () => {
    const ms = Date.UTC(2025, 0, 1);
    expect(parseTimestamp('1735689600000999', 'epoch-us')).toBe(ms);
    expect(parseTimestamp('1735689600001000', 'epoch-us')).toBe(ms + 1);
    expect(parseTimestamp('1735689600000000000', 'epoch-ns')).toBe(ms);
    expect(parseTimestamp(' 1735689600 ', 'epoch-s')).toBe(ms);
  });

  it('refuses times before 1970 or from 2100 on, saying what they would be', () => {
    expect(parseTimestamp('1735689600000000', 'epoch-ms')).toBeNaN();
    expect(describeBadTimestamp('1735689600000000', 'epoch-ms')).toMatch(
      /^1735689600000000 read as epoch-ms is the year 56971, outside 1970\.\.2099: set the time format/,
    );
    expect(parseTimestamp('1969-12-31', 'iso')).toBeNaN();
    expect(parseTimestamp('2100-01-01', 'iso')).toBeNaN();
    expect(parseTimestamp('2099-12-31', 'iso')).toBe(Date.UTC(2099, 11, 31));
    expect(describeBadTimestamp('2150-06-01', 'iso')).toContain(
      '2150-06-01 is 2150-06-01, outside 1970..2099',
    );
    expect(parseTimestamp('-5', 'epoch-s')).toBeNaN();
    expect(describeBadTimestamp('abc', 'epoch-s')).toBe('not a valid epoch-s timestamp');
  });
});
