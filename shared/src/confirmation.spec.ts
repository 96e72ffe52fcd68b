import { describe, expect, it } from 'vitest';
import { confirmationReply } from './opt-keywords.js';
import { confirmationRequestText, withConfirmationRequest } from './confirmation.js';

describe('confirmation request text', () => {
  it('names the first confirm and decline word of the org, which the server then recognises', () => {
    const words = { confirm: ['SI', 'C'], decline: ['NO'] };
    expect(confirmationRequestText(words)).toBe('Reply SI to confirm or NO to decline.');
    expect(confirmationReply('si', words)).toBe('confirmed');
    expect(confirmationReply('No', words)).toBe('declined');
  });

  it('is added once, after the sentence, and not again when the body already ends with it', () => {
    expect(withConfirmationRequest('See you Tuesday at 3pm')).toBe('See you Tuesday at 3pm. Reply C to confirm or N to decline.');
    expect(withConfirmationRequest('See you Tuesday at 3pm!  ')).toBe('See you Tuesday at 3pm! Reply C to confirm or N to decline.');
    const once = withConfirmationRequest('See you Tuesday.');
    expect(withConfirmationRequest(once)).toBe(once);
    expect(withConfirmationRequest('')).toBe('Reply C to confirm or N to decline.');
  });
});
