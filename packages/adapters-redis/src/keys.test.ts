import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFIX, escapeGlob, redisKeys } from './keys';

describe('redisKeys', () => {
  it('puts every key under the prefix, by kind', () => {
    const keys = redisKeys('{desk-a}:');
    expect(keys.state('position:acc-1:SPX')).toBe('{desk-a}:state:position:acc-1:SPX');
    expect(keys.event('fill-1')).toBe('{desk-a}:event:fill-1');
    expect(keys.fence('account:acc-1')).toBe('{desk-a}:fence:account:acc-1');
    expect(keys.lease('account:acc-1')).toBe('{desk-a}:lease:account:acc-1');
    expect(keys.bars('BTCUSD')).toBe('{desk-a}:md:bars:BTCUSD');
    expect(keys.quote('BTCUSD')).toBe('{desk-a}:md:quote:BTCUSD');
    expect(keys.channel('fills.acc-1')).toBe('{desk-a}:ps:fills.acc-1');
    expect(keys.stream('fills.acc-1')).toBe('{desk-a}:stream:fills.acc-1');
    expect(keys.deadLetter('fills.acc-1')).toBe('{desk-a}:stream:fills.acc-1:dead-letter');
    expect(redisKeys().prefix).toBe(DEFAULT_PREFIX);
  });

  it('keeps the kinds apart, so no record key can collide with a fence or event key', () => {
    const keys = redisKeys('p:');
    expect(keys.state('fence:x')).not.toBe(keys.fence('x'));
    expect(keys.state('event:x')).not.toBe(keys.event('x'));
  });
});

describe('escapeGlob', () => {
  it('escapes every Redis glob metacharacter and nothing else', () => {
    expect(escapeGlob('order:*?[a-z]\\x')).toBe('order:\\*\\?\\[a-z\\]\\\\x');
    expect(escapeGlob('position:acc-1:SPX')).toBe('position:acc-1:SPX');
  });
});
