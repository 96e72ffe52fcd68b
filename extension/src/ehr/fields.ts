/** Field extraction lives in shared (the adapter preview in the web app reads pages the same way). */
export { contextFrom, dobValue, emailValue, fieldValue, phoneValue, selectText, splitName, textOf } from '@caretext/shared/ehr-extract';
