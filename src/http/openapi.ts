import { z } from 'zod';
import { EXPORT_TARGETS } from '../export/types.js';
import { SCENARIO_SCHEMAS } from '../scenario/schema.js';
import type { HttpLimits } from './limits.js';

/**
 * GET /v1/openapi.json: request bodies are the scenario loader's own zod schemas
 * (src/scenario/schema.ts, the same ones `sinan schema` prints); answers are the CLI's --json objects.
 */
const schemaOf = (s: z.ZodType) => z.toJSONSchema(s, { unrepresentable: 'any', target: 'openapi-3.0' });

const issue = {
  type: 'object',
  required: ['code', 'path', 'message'],
  properties: {
    code: { type: 'string', description: 'unrecognized_key, invalid_type, missing_key, unknown_id, limit_exceeded, unsupported, ... (docs/scenarios.md)' },
    path: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
    message: { type: 'string' },
  },
  additionalProperties: true,
};
const errorObject = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['issues'], properties: { issues: { type: 'array', items: issue } } } },
};

function errors(limits: HttpLimits) {
  const e = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  return {
    '400': e('the scenario has problems: the issues name each one (as `sinan ... --json` exits 2)'),
    '413': e(`the body is over ${limits.bodyBytes} bytes`),
    '415': e('the body is not application/json or application/yaml'),
    '503': e(
      `the plan took longer than ${limits.timeLimitMs / 1000} s (it is stopped), or ${limits.workers} plans are running and ${limits.queue} are waiting`,
    ),
  };
}

export function openApi(limits: HttpLimits, version: string): Record<string, unknown> {
  const body = (kind: keyof typeof SCENARIO_SCHEMAS) => ({
    required: true,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${kind}Scenario` } }, 'application/yaml': { schema: { type: 'string' } } },
  });
  const ok = (description: string) => ({ '200': { description, content: { 'application/json': { schema: { type: 'object' } } } }, ...errors(limits) });
  const alternatives = { name: 'alternatives', in: 'query', schema: { type: 'integer', minimum: 0, maximum: limits.alternatives, default: 4 } };
  const post = (summary: string, kind: keyof typeof SCENARIO_SCHEMAS, description: string, parameters: unknown[] = []) => ({
    post: { summary, parameters, requestBody: body(kind), responses: ok(description) },
  });
  const get = (summary: string, parameters: unknown[] = []) => ({
    get: { summary, parameters, responses: { '200': { description: summary, content: { 'application/json': {} } } } },
  });
  return {
    openapi: '3.0.3',
    info: {
      title: 'Sinan planner API',
      version,
      description: `Scenario in, the CLI's --json object out (contract v2). Scenarios may name no server file (model and calibration paths and checkpoints are refused). Limits: body ${limits.bodyBytes} bytes, ${limits.timeLimitMs / 1000} s per request, ${limits.workers} plans at once, ${limits.queue} waiting.`,
    },
    paths: {
      '/v1/train': post('plan or search training (sinan train --json)', 'training', 'TrainingResult', [alternatives]),
      '/v1/serve': post(
        'plan or search serving (sinan serve --json; ?catalog=true: sinan serve --catalog --json)',
        'inference',
        'ServePlanResult or inference-search',
        [alternatives, { name: 'catalog', in: 'query', schema: { type: 'boolean' } }],
      ),
      '/v1/cluster': post('size a cluster fabric and its power (sinan cluster --json)', 'cluster', 'ClusterReport'),
      '/v1/goodput': post('failures, checkpoints, effective training time (sinan goodput --json)', 'goodput', 'GoodputReport'),
      '/v1/optimize': post(
        'the optimization manager planned from the config, format-typical errors (sinan optimize --json; a checkpoint is refused)',
        'inference',
        'OptimizationReport',
        [{ name: 'format', in: 'query', schema: { type: 'string', enum: ['gguf', 'compressed-tensors', 'bitsandbytes'] } }],
      ),
      '/v1/sweep': post('throughput against scale-up domain or device count (sinan sweep --json)', 'training', '{ kind: sweep, sweep, rows }', [
        { name: 'what', in: 'query', schema: { type: 'string', enum: ['scaleup', 'weak'] } },
        { name: 'domains', in: 'query', schema: { type: 'string' }, description: 'comma-separated (scaleup)' },
        { name: 'counts', in: 'query', schema: { type: 'string' }, description: 'comma-separated (weak)' },
      ]),
      '/v1/export': {
        post: {
          summary: 'the runnable command or config of the plan (sinan export --json)',
          parameters: [
            { name: 'to', in: 'query', required: true, schema: { type: 'string', enum: [...EXPORT_TARGETS] } },
            { name: 'version', in: 'query', schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [{ $ref: '#/components/schemas/trainingScenario' }, { $ref: '#/components/schemas/inferenceScenario' }] },
              },
            },
          },
          responses: ok('{ kind: export, target, version, command | files, plan }'),
        },
      },
      '/v1/export/targets': get('export targets, their plan kind and the versions Sinan has argument lists for'),
      '/v1/models': get('built-in models (sinan models --json)'),
      '/v1/hardware': get('the hardware catalog (sinan hardware --json)'),
      '/v1/calibration': get('calibration constants with sources (sinan calibration --json)'),
      '/v1/profiles': get('framework and engine profiles (sinan profiles --json)'),
      '/v1/validation': get('predicted against measured over the validation corpus (sinan validate --json)', [
        { name: 'kind', in: 'query', schema: { type: 'string', enum: ['training', 'inference'] } },
      ]),
      '/v1/openapi.json': get('this document'),
    },
    components: {
      schemas: {
        Error: errorObject,
        trainingScenario: schemaOf(SCENARIO_SCHEMAS.training),
        inferenceScenario: schemaOf(SCENARIO_SCHEMAS.inference),
        clusterScenario: schemaOf(SCENARIO_SCHEMAS.cluster),
        goodputScenario: schemaOf(SCENARIO_SCHEMAS.goodput),
      },
    },
  };
}
