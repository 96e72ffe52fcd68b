import { describe, expect, it } from 'vitest';
import { applyToken, renderedSummary, renderSample, samplePatient, tokenMatches, tokenQuery } from './blast-compose.js';
import { renderTemplate } from './template.js';

// The same cases as the web wizard's copy (web/src/pages/comms/blasts/blast-compose.spec.ts): one rule set.
describe('the @ token menu', () => {
  it('opens on an @ at a word start and follows what is typed after it', () => {
    expect(tokenQuery('Hi @', 4)).toEqual({ start: 3, query: '' });
    expect(tokenQuery('Hi @fir', 7)).toEqual({ start: 3, query: 'fir' });
    expect(tokenQuery('@org', 4)).toEqual({ start: 0, query: 'org' });
    // An email address is not a token request, nor is text after a finished word.
    expect(tokenQuery('mail me@home', 12)).toBeNull();
    expect(tokenQuery('Hi @first and then', 18)).toBeNull();
    expect(tokenQuery('Hi there', 8)).toBeNull();
  });

  it('matches labels and keys by word start', () => {
    expect(tokenMatches('fir').map((t) => t.key)).toEqual(['first_name']);
    expect(tokenMatches('name').map((t) => t.key)).toEqual(['first_name', 'last_name', 'full_name', 'preferred_name', 'org_name']);
    expect(tokenMatches('birth').map((t) => t.key)).toEqual(['dob', 'birthday']);
    expect(tokenMatches('')).toHaveLength(10);
  });

  it('replaces the @query with the token, spacing it from a following word', () => {
    expect(applyToken('Hi @fir', { start: 3, cursor: 7 }, '{{first_name}}')).toEqual({ text: 'Hi {{first_name}}', cursor: 17 });
    expect(applyToken('Hi @fir, see you', { start: 3, cursor: 7 }, '{{first_name}}')).toEqual({ text: 'Hi {{first_name}}, see you', cursor: 17 });
    expect(applyToken('Hi @fsee', { start: 3, cursor: 5 }, '{{first_name}}').text).toBe('Hi {{first_name}} see');
  });
});

describe('counts and cost on the rendered text', () => {
  it('counts what the sample patient reads, not the tokens as typed', () => {
    const s = renderedSummary('Hi {{full_name}} from {{org_name}}', 'Bayview', 100);
    expect(s.rendered).toBe('Hi Maria Garcia from Bayview');
    expect(s.characters).toBe(28);
    expect(s).toMatchObject({ segments: 1, encoding: 'GSM-7', cost: '$0.79' });
    expect(s.line).toBe('28 characters · 1 segment · GSM-7');
  });

  it('a token that fills in a long value can push the message into a second segment, and an emoji org name into UCS-2', () => {
    const body = `${'x'.repeat(150)} {{org_name}}`;
    expect(renderedSummary(body, 'Bay', 1).segments).toBe(1);
    expect(renderedSummary(body, 'Bayview Family Clinic', 1).segments).toBe(2);
    expect(renderedSummary('Hello from {{org_name}}', 'Sunny 🌞 Clinic', 1).encoding).toBe('UCS-2');
  });

  it('has no cost for an empty message or no recipients', () => {
    expect(renderedSummary('   ', 'Bayview', 10).cost).toBeNull();
    expect(renderedSummary('Hi', 'Bayview', 0).cost).toBeNull();
  });
});

describe('the sample patient without phone metadata', () => {
  it('reads every token as renderTemplate (with libphonenumber) renders it', () => {
    const all = '{{first_name}} {{last_name}} {{full_name}} {{preferred_name}} {{dob}} {{birthday}} {{phone}} {{email}} {{patient_id}} {{org_name}}';
    expect(renderSample(all, 'Bayview')).toBe(renderTemplate(all, samplePatient('Bayview')));
    expect(renderSample('{{phone}}', 'Bayview')).toBe('(415) 555-2671');
  });
});
