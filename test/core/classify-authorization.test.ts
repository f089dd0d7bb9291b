import { describe, expect, it } from 'vitest';
import { classifyAuthorization } from '../../src/auth/classify-authorization.js';

const MAX = 64;

describe('classifyAuthorization', () => {
  it.each([
    [undefined, 'none'],
    ['', 'none'],
    ['Basic YWxpY2U6cHc=', 'basic'],
    ['basic YWxpY2U6cHc=', 'basic'],
    ['BASIC YWxpY2U6cHc=', 'basic'],
    ['Basic', 'basic'],
    ['Digest username="a"', 'other'],
    ['Negotiate abc', 'other'],
  ])('%j is %s', (header, kind) => {
    expect(classifyAuthorization(header, MAX).kind).toBe(kind);
  });

  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc', 'abc'],
    ['Bearer a-b_c~d+e/f.g==', 'a-b_c~d+e/f.g=='],
  ])('%j is Bearer with token %j', (header, token) => {
    expect(classifyAuthorization(header, MAX)).toEqual({ kind: 'bearer', token });
  });

  it.each([
    ['Bearer', 'bearer_malformed'],
    ['Bearer ', 'bearer_malformed'],
    ['Bearer abc def', 'bearer_malformed'],
    ['Bearer abc,def', 'bearer_malformed'],
    ['Bearer "abc"', 'bearer_malformed'],
    ['Bearer abc=def', 'bearer_malformed'],
    ['Bearer äbc', 'bearer_malformed'],
    ['Bearer abc\tdef', 'bearer_malformed'],
    // A scheme that only starts with "bearer" is never another scheme: a lenient upstream could read it as Bearer.
    ['Bearerx abc', 'bearer_malformed'],
    ['Bearer\tabc', 'bearer_malformed'],
    ['Bearer,abc', 'bearer_malformed'],
    ['bearer\tabc', 'bearer_malformed'],
    ['BearerToken abc', 'bearer_malformed'],
    [`Bearer ${'a'.repeat(MAX + 1)}`, 'token_too_large'],
  ])('%j is malformed (%s)', (header, code) => {
    expect(classifyAuthorization(header, MAX)).toEqual({ kind: 'malformed', code });
  });

  it('accepts a token of exactly the maximum size', () => {
    expect(classifyAuthorization(`Bearer ${'a'.repeat(MAX)}`, MAX).kind).toBe('bearer');
  });
});
