export * from './schemas.js';
export * from './sms-segments.js';
export * from './phone.js';
export * from './template.js';
export * from './opt-keywords.js';
export * from './sms-cost.js';
export * from './patient-csv.js';
