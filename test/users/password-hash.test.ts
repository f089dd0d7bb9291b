import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/users/password-hash.js';

describe('password hashes', () => {
  it('round-trips, salts every hash, and is self-describing', async () => {
    const a = await hashPassword('pässwörd 🔑');
    const b = await hashPassword('pässwörd 🔑');
    expect(a).not.toBe(b);
    expect(a.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(await verifyPassword('pässwörd 🔑', a)).toBe(true);
    expect(await verifyPassword('pässwörd 🔑 ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies with the parameters written in the hash', async () => {
    const cheap = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('pw', cheap)).toBe(true);
  });

  it.each([
    ['not a hash'],
    ['scrypt$16384$8$1$c2FsdA'],
    ['bcrypt$16384$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['scrypt$3000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['scrypt$2097152$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
    ['scrypt$16384$99$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'],
  ])('refuses %s (and never verifies against it)', async (s) => {
    expect(parsePasswordHash(s)).toBeUndefined();
    expect(await verifyPassword('anything', s)).toBe(false);
  });
});
