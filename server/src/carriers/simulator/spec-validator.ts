/**
 * Checks the simulator's traffic against Twilio's own OpenAPI specs (the vendored cut in spec/):
 * path, query and form parameters of each request, and each response body, so the simulator
 * cannot drift from the real API. Used by the tests; nothing in production imports it.
 *
 * Twilio's schemas are looser than its answers and, in places, contradict its own examples, so a
 * response schema is read with these rules (each one needed for Twilio's examples to pass, which
 * a test checks):
 *  - every declared property may be null (Lookup returns `"caller_name": null`, `"error_code": null`);
 *  - no undeclared properties (drift shows up as an unknown field);
 *  - a property is required when every example of that response has it (Twilio returns every
 *    field, null when unset), recursively into objects and array items;
 *  - `format: uri` also allows an absolute path (`"uri": "/2010-04-01/..."`);
 *  - `type: number` also allows a decimal string (`"latitude": "19.720000"`).
 * Requests are read as written, with form/query strings coerced to the declared types and no
 * undeclared parameters. Twilio's specs describe no error bodies; 4xx/5xx answers are checked
 * against Twilio's documented REST error shape below.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import type { SimulatorExchange } from './twilio-simulator.js';

type Schema = Record<string, any>;
type OpenApi = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };

export type SpecViolation = {
  operationId: string | null;
  method: string;
  path: string;
  part: 'operation' | 'path' | 'query' | 'form' | 'response';
  message: string;
};

export const SPEC_FILES = ['twilio_api_v2010.json', 'twilio_lookups_v2.json'] as const;

/** Works from src/ (tests) and dist/ (both are two levels below server/). */
const SPEC_DIR = new URL('../../../src/carriers/simulator/spec/', import.meta.url);

export function loadSpecs(): OpenApi[] {
  return SPEC_FILES.map((file) => JSON.parse(readFileSync(new URL(file, SPEC_DIR), 'utf8')) as OpenApi);
}

const TWILIO_ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['code', 'message', 'more_info', 'status'],
  additionalProperties: false,
  properties: { code: { type: 'integer' }, message: { type: 'string' }, more_info: { type: 'string', format: 'uri' }, status: { type: 'integer' } },
};

const KEPT = ['type', 'enum', 'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'required'] as const;

function deref(doc: OpenApi, node: any, stack: string[] = []): any {
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, stack));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (stack.includes(node.$ref)) throw new Error(`recursive $ref ${node.$ref}`);
    const name = node.$ref.replace('#/components/schemas/', '');
    return deref(doc, doc.components.schemas[name], [...stack, node.$ref]);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(doc, v, stack)]));
}

/** Marks as required what every example has, recursively (see the rules above). */
function requireFromExamples(schema: Schema, values: unknown[]) {
  const objects = values.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v));
  if (schema.properties && objects.length > 0) {
    const always = Object.keys(schema.properties).filter((key) => objects.every((o) => key in o));
    schema.required = [...new Set([...(schema.required ?? []), ...always])];
    for (const [key, property] of Object.entries<Schema>(schema.properties)) {
      requireFromExamples(property, objects.map((o) => o[key]).filter((v) => v !== null && v !== undefined));
    }
  }
  if (schema.items) requireFromExamples(schema.items, values.filter(Array.isArray).flat());
}

/** OpenAPI 3.0 schema (dereferenced) -> plain JSON Schema for Ajv. */
function toJsonSchema(node: Schema, mode: 'request' | 'response'): Schema {
  if (!node || Object.keys(node).length === 0) return {};
  const out: Schema = {};
  for (const key of KEPT) if (node[key] !== undefined) out[key] = node[key];
  if (node.properties) {
    out.type ??= 'object';
    out.properties = Object.fromEntries(
      Object.entries<Schema>(node.properties).map(([key, property]) => {
        const converted = toJsonSchema(property, mode);
        return [key, mode === 'response' && Object.keys(converted).length > 0 ? { anyOf: [{ type: 'null' }, converted] } : converted];
      }),
    );
    out.additionalProperties = false;
  }
  if (node.items) out.items = toJsonSchema(node.items, mode);
  if (out.type !== 'string' && out.format) delete out.format; // Twilio tags objects with formats (uri-map); they say nothing to a validator
  if (mode === 'response' && out.format === 'uri') out.format = 'uri-or-path';
  let result = out;
  if (mode === 'response' && out.type === 'number') result = { anyOf: [out, { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' }] };
  if (node.nullable) result = { anyOf: [{ type: 'null' }, result] };
  return result;
}

function addTwilioFormats(ajv: Ajv) {
  (ajvFormats.default as unknown as (ajv: Ajv) => Ajv)(ajv);
  // Twilio's "phone-number" covers E.164, national formats ("(415) 555-0100") and channel addresses.
  ajv.addFormat('phone-number', /^(?:[a-z]+:)?[+(]?\d[\d\s().-]*$/);
  ajv.addFormat('iso-country-code', /^[A-Z]{2}$/);
  ajv.addFormat('currency', /^[A-Za-z]{3}$/);
  ajv.addFormat('http-method', /^(GET|POST|PUT|PATCH|DELETE|HEAD)$/);
  ajv.addFormat('date-time-rfc-2822', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
  ajv.addFormat('uri-or-path', (value: string) => value.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(value));
}

type CompiledOperation = {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  pathNames: string[];
  pathParams: ValidateFunction;
  query: ValidateFunction;
  form: ValidateFunction | null;
  responses: Map<number, ValidateFunction | 'empty'>;
};

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${e.params.additionalProperty}'` : ''}`).join('; ');
}

type CompiledSpecs = { operations: CompiledOperation[]; errorBody: ValidateFunction };

function compileSpecs(specs: OpenApi[]): CompiledSpecs {
  const operations: CompiledOperation[] = [];
  // Requests arrive as strings: coerce them to the declared types. Responses are JSON: no coercion.
  const requestAjv = new Ajv({ allErrors: true, coerceTypes: 'array', strict: true });
  const responseAjv = new Ajv({ allErrors: true, strict: true });
  addTwilioFormats(requestAjv);
  addTwilioFormats(responseAjv);
  const errorBody = responseAjv.compile(TWILIO_ERROR_SCHEMA);

  for (const doc of specs) {
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!op || typeof op !== 'object' || !op.operationId) continue;
        const params: Schema[] = deref(doc, op.parameters ?? []);
        const group = (where: string) => {
          const list = params.filter((p) => p.in === where);
          return requestAjv.compile({
            type: 'object',
            properties: Object.fromEntries(list.map((p) => [p.name, toJsonSchema(p.schema ?? {}, 'request')])),
            required: list.filter((p) => p.required).map((p) => p.name),
            additionalProperties: false,
          });
        };
        const formSchema = op.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
        const responses = new Map<number, ValidateFunction | 'empty'>();
        for (const [code, response] of Object.entries<any>(op.responses ?? {})) {
          const json = response.content?.['application/json'];
          if (!json) {
            responses.set(Number(code), 'empty');
            continue;
          }
          const schema = deref(doc, json.schema);
          requireFromExamples(schema, Object.values<any>(json.examples ?? {}).map((e) => e.value));
          responses.set(Number(code), responseAjv.compile(toJsonSchema(schema, 'response')));
        }
        const pathNames = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
        operations.push({
          operationId: op.operationId,
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '([^/]+)')}$`),
          pathNames,
          pathParams: group('path'),
          query: group('query'),
          form: formSchema ? requestAjv.compile(toJsonSchema(deref(doc, formSchema), 'request')) : null,
          responses,
        });
      }
    }
  }
  return { operations, errorBody };
}

let vendored: CompiledSpecs | null = null;

export class SpecValidator {
  readonly violations: SpecViolation[] = [];
  /** operationIds the validator has seen traffic for. */
  readonly seen = new Set<string>();
  private readonly operations: CompiledOperation[];
  private readonly errorBody: ValidateFunction;

  /** Compiling takes a while: the vendored specs are compiled once and shared. */
  constructor(specs?: OpenApi[]) {
    const compiled = specs ? compileSpecs(specs) : (vendored ??= compileSpecs(loadSpecs()));
    this.operations = compiled.operations;
    this.errorBody = compiled.errorBody;
  }

  /** Every operationId in the vendored specs. */
  get operationIds(): string[] {
    return this.operations.map((o) => o.operationId);
  }

  /** Validates one exchange; records and returns its violations. */
  check(exchange: SimulatorExchange): SpecViolation[] {
    const found: SpecViolation[] = [];
    const add = (operationId: string | null, part: SpecViolation['part'], message: string) =>
      found.push({ operationId, method: exchange.method, path: exchange.path, part, message });

    let match: RegExpExecArray | null = null;
    const op = this.operations.find((o) => o.method === exchange.method && (match = o.pattern.exec(exchange.path)));
    if (!op || !match) {
      add(null, 'operation', `no ${exchange.method} ${exchange.path} in Twilio's spec`);
    } else {
      this.seen.add(op.operationId);
      const pathValues = Object.fromEntries(op.pathNames.map((name, i) => [name, decodeURIComponent((match as RegExpExecArray)[i + 1]!)]));
      if (!op.pathParams(pathValues)) add(op.operationId, 'path', describe(op.pathParams.errors));
      if (!op.query(structuredClone(exchange.query))) add(op.operationId, 'query', describe(op.query.errors));
      const form = structuredClone(exchange.form);
      if (op.form) {
        if (!op.form(form)) add(op.operationId, 'form', describe(op.form.errors));
      } else if (Object.keys(form).length > 0) {
        add(op.operationId, 'form', `takes no form body, got ${Object.keys(form).join(', ')}`);
      }
      found.push(...this.responseViolations(op, exchange.status, exchange.body).map((message) => ({ operationId: op.operationId, method: exchange.method, path: exchange.path, part: 'response' as const, message })));
    }
    this.violations.push(...found);
    return found;
  }

  /** Checks a response body for an operation; returns what is wrong (empty when it conforms). */
  checkResponse(operationId: string, status: number, body: unknown): string[] {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId}`);
    return this.responseViolations(op, status, body);
  }

  private responseViolations(op: CompiledOperation, status: number, body: unknown): string[] {
    if (status >= 400) return this.errorBody(body) ? [] : [`error body: ${describe(this.errorBody.errors)}`];
    const validate = op.responses.get(status);
    if (!validate) return [`HTTP ${status} is not a documented answer of ${op.operationId}`];
    if (validate === 'empty') return body === null || body === undefined || body === '' ? [] : [`HTTP ${status} must have an empty body`];
    return validate(body) ? [] : [describe(validate.errors)];
  }
}
