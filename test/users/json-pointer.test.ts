import { describe, expect, it } from 'vitest';
import { isJsonPointer, resolvePointer } from '../../src/users/json-pointer.js';

const doc = { user: { id: 7, 'a/b': 1, 'm~n': 2, roles: ['x', 'y'] }, '': 'empty' };

describe('RFC 6901 JSON pointers', () => {
  it.each([
    ['', doc],
    ['/user/id', 7],
    ['/user/a~1b', 1],
    ['/user/m~0n', 2],
    ['/user/roles/1', 'y'],
    ['/user/roles/01', undefined],
    ['/user/roles/2', undefined],
    ['/user/missing/deeper', undefined],
    ['/', 'empty'],
    ['/user/toString', undefined],
  ])('%j → %j', (p, v) => {
    expect(resolvePointer(doc, p)).toEqual(v);
  });

  it.each([['/a'], [''], ['/a~0b']])('%j is a pointer', (p) => expect(isJsonPointer(p)).toBe(true));
  it.each([['a'], ['/a~2'], ['/a~']])('%j is not', (p) => expect(isJsonPointer(p)).toBe(false));
});
