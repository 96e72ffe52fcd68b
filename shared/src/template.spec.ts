import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate, TEMPLATE_TOKENS, unknownTokens, type TemplateData } from './template.js';

const maria: TemplateData = {
  patient: {
    id: 'pt_123',
    firstName: 'Maria',
    lastName: 'Garcia',
    preferredName: 'Mia',
    dob: '1990-01-15',
    phone: '+14155552671',
    email: 'maria@example.com',
  },
  org: { name: 'Sunrise Family Clinic' },
};
const bare: TemplateData = { patient: { id: 'pt_9' }, org: { name: 'Clinic' } };

describe('renderTemplate', () => {
  it('renders every token', () => {
    const all = TEMPLATE_TOKENS.map((t) => `${t.key}=${t.token}`).join('|');
    expect(renderTemplate(all, maria)).toBe(
      'first_name=Maria|last_name=Garcia|full_name=Maria Garcia|preferred_name=Mia|dob=January 15, 1990|' +
        'birthday=January 15|phone=(415) 555-2671|email=maria@example.com|patient_id=pt_123|org_name=Sunrise Family Clinic',
    );
  });

  it('tolerates whitespace inside the braces', () => {
    expect(renderTemplate('Hi {{ first_name }}, from {{org_name  }}', maria)).toBe('Hi Maria, from Sunrise Family Clinic');
  });

  it('preferred name falls back to first name (also when blank)', () => {
    const p = { ...maria.patient, preferredName: undefined };
    expect(renderTemplate('{{preferred_name}}', { ...maria, patient: p })).toBe('Maria');
    expect(renderTemplate('{{preferred_name}}', { ...maria, patient: { ...p, preferredName: '  ' } })).toBe('Maria');
  });

  it('missing values render empty and full_name has no stray spaces', () => {
    expect(renderTemplate('[{{first_name}}][{{full_name}}][{{dob}}][{{birthday}}][{{phone}}][{{email}}][{{preferred_name}}]', bare)).toBe(
      '[][][][][][][]',
    );
    expect(renderTemplate('[{{full_name}}]', { ...bare, patient: { id: 'x', lastName: 'Garcia' } })).toBe('[Garcia]');
    expect(renderTemplate('[{{full_name}}]', { ...bare, patient: { id: 'x', firstName: ' Maria ', lastName: '' } })).toBe('[Maria]');
  });

  it('leaves unknown tokens as written, and token names are case-sensitive', () => {
    expect(renderTemplate('Hi {{firstname}} {{ First_Name }} {{}} {{first_name}}', maria)).toBe('Hi {{firstname}} {{ First_Name }} {{}} Maria');
  });

  it('does not treat single braces or unclosed tokens as tokens', () => {
    expect(renderTemplate('{first_name} {{first_name', maria)).toBe('{first_name} {{first_name');
  });

  it('replaces every occurrence and does not re-render inserted values', () => {
    const sneaky = { ...maria, patient: { ...maria.patient, firstName: '{{email}}' } };
    expect(renderTemplate('{{first_name}} {{first_name}}', sneaky)).toBe('{{email}} {{email}}');
  });

  it('shows non-US phones internationally and passes through unparseable ones', () => {
    expect(renderTemplate('{{phone}}', { ...bare, patient: { id: 'x', phone: '+442079460958' } })).toBe('+44 20 7946 0958');
    expect(renderTemplate('{{phone}}', { ...bare, patient: { id: 'x', phone: 'unknown' } })).toBe('unknown');
  });

  describe('dates', () => {
    const dob = (value: string) => renderTemplate('{{dob}}|{{birthday}}', { ...bare, patient: { id: 'x', dob: value } });
    let savedTz: string | undefined;
    const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
    beforeAll(() => {
      savedTz = env.TZ;
      env.TZ = 'America/Los_Angeles';
    });
    afterAll(() => {
      if (savedTz === undefined) delete env.TZ;
      else env.TZ = savedTz;
    });

    it('has no time-zone shift west of UTC', () => {
      // The trap this guards against is live in this process:
      expect(new Date('1990-01-15').getDate()).toBe(14);
      expect(dob('1990-01-15')).toBe('January 15, 1990|January 15');
      expect(dob('2000-12-31')).toBe('December 31, 2000|December 31');
      expect(dob('1985-03-01')).toBe('March 1, 1985|March 1');
    });

    it('ignores a serialized time part', () => {
      expect(dob('1990-01-15T00:00:00.000Z')).toBe('January 15, 1990|January 15');
    });

    it('handles leap days and rejects impossible or malformed dates', () => {
      expect(dob('2000-02-29')).toBe('February 29, 2000|February 29');
      for (const bad of ['1990-02-29', '1990-13-01', '1990-00-10', '1990-04-31', '01/15/1990', '1990-1-5', 'soon']) {
        expect(dob(bad), bad).toBe('|');
      }
    });
  });
});

describe('TEMPLATE_TOKENS', () => {
  it('lists the ten contract tokens with labels and examples', () => {
    expect(TEMPLATE_TOKENS.map((t) => t.token)).toEqual([
      '{{first_name}}', '{{last_name}}', '{{full_name}}', '{{preferred_name}}', '{{dob}}',
      '{{birthday}}', '{{phone}}', '{{email}}', '{{patient_id}}', '{{org_name}}',
    ]);
    expect(TEMPLATE_TOKENS[0]).toMatchObject({ key: 'first_name', label: 'First name' });
    // The labels of the help page's "What you insert" column (the blast composer's @ menu shows them).
    expect(TEMPLATE_TOKENS.map((t) => t.label)).toEqual([
      'First name', 'Last name', 'Full name', 'Preferred name', 'Date of birth',
      'Birthday', 'Phone number', 'Email', 'Patient ID', 'Organization name',
    ]);
    for (const t of TEMPLATE_TOKENS) expect(t.example.length).toBeGreaterThan(0);
  });

  it('examples match what the renderer produces for the example patient', () => {
    const example: TemplateData = {
      patient: { id: 'pt_8f3k2', firstName: 'Maria', lastName: 'Garcia', preferredName: 'Mia', dob: '1990-01-15', phone: '+14155552671', email: 'maria@example.com' },
      org: { name: 'Sunrise Family Clinic' },
    };
    for (const t of TEMPLATE_TOKENS) expect(renderTemplate(t.token, example)).toBe(t.example);
  });
});

describe('unknownTokens', () => {
  it('returns unknown tokens as written, once each, in order', () => {
    expect(unknownTokens('Hi {{firstname}}, {{ first_name }} {{appt_time}} {{firstname}} {{ Org_Name }}')).toEqual([
      '{{firstname}}', '{{appt_time}}', '{{ Org_Name }}',
    ]);
  });

  it('is empty when every token is known or there are none', () => {
    expect(unknownTokens('Hi {{ preferred_name }}, see you at {{org_name}}.')).toEqual([]);
    expect(unknownTokens('No tokens, {single} braces')).toEqual([]);
  });

  it('agrees with renderTemplate: exactly these tokens survive rendering', () => {
    const tpl = '{{first_name}} {{nope}} {{ dob }} {{ also_nope }}';
    const out = renderTemplate(tpl, maria);
    for (const tok of unknownTokens(tpl)) expect(out).toContain(tok);
    expect(out).toBe('Maria {{nope}} January 15, 1990 {{ also_nope }}');
  });
});
