import { describe, expect, it } from 'vitest';
import { newPatientId } from './matcher.js';

describe('newPatientId', () => {
  it('answers random version 4 UUIDs as randomUUID() writes them, never the same twice (across refills of its random bytes)', () => {
    const ids = Array.from({ length: 2000 }, () => newPatientId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit turns up at every random position: the bytes are used, not repeated.
    for (const position of [0, 7, 9, 15, 20, 35]) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});
