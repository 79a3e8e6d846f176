import { RxtradeError } from '../errors';

/** AMQP-style topic match: `*` is one word, `#` is zero or more words. */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === t.length;
    const word = p[i];
    if (word === '#') {
      for (let k = j; k <= t.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    if (j === t.length) return false;
    return (word === '*' || word === t[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

const TOPIC = /^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$/;

/** Validates a topic name (no wildcards). */
export function assertValidTopic(topic: string): void {
  if (!TOPIC.test(topic)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `invalid topic ${JSON.stringify(topic)}` });
  }
}
