import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { gatewayOpenApiDocument as openApiDocument } from '../../src/gateway/openapi-document.js';
import type { Reply } from './http-call.js';

/**
 * Checks an answer of the /auth endpoints against the OpenAPI document the gateway serves
 * (src/endpoints/openapi.ts), with ajv (JSON Schema 2020-12, what OpenAPI 3.1 uses). The test
 * helpers that talk to the endpoints (test/support/lifecycle.ts, gateway-process.ts) call it on
 * every answer they receive, so every endpoint suite is also a conformance test.
 */
const PREFIX = '/auth';
const DOC_ID = 'hlgw-openapi';
const doc = openApiDocument(PREFIX, 'test') as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: { $ref?: string } }> }> }>>;
  components: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: DOC_ID, ...doc });

const templates = Object.keys(doc.paths).map((p) => ({
  path: p,
  re: new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** Throws, saying what differs, when `reply` is not what the document promises for `method path`. */
export function assertConformsToOpenApi(method: string, path: string, reply: Reply): void {
  const pathOnly = path.split('?')[0]!;
  if (!pathOnly.startsWith(`${PREFIX}/`) && pathOnly !== PREFIX) return;
  // The portal's pages and SSO redirects are HTML for a browser; its JSON API (ui/api) is described.
  if (pathOnly === `${PREFIX}/ui` || (pathOnly.startsWith(`${PREFIX}/ui/`) && !pathOnly.startsWith(`${PREFIX}/ui/api/`))) return;
  const where = `${method} ${pathOnly} → ${reply.status}`;
  const template = templates.find((t) => t.re.test(pathOnly));
  const operation = template ? doc.paths[template.path]![method.toLowerCase()] : undefined;
  // Unknown paths and methods are answered 404/405 with the one error body.
  let response = operation?.responses[String(reply.status)];
  if (operation === undefined) response = { $ref: `#/components/responses/E${reply.status}` };
  if (response === undefined) throw new Error(`OpenAPI: ${where}: status not documented for this operation`);
  const resolved = response.$ref ? doc.components.responses[response.$ref.split('/').pop()!] : response;
  if (resolved === undefined) throw new Error(`OpenAPI: ${where}: no error response ${response.$ref} in components`);
  const content = resolved.content;
  if (content === undefined) {
    if (reply.body.length > 0) throw new Error(`OpenAPI: ${where}: documented without a body, got ${reply.body.length} bytes`);
    return;
  }
  const type = String(reply.headers['content-type'] ?? '').split(';')[0]!.trim();
  const media = content[type];
  if (media === undefined) throw new Error(`OpenAPI: ${where}: content-type ${type || '(none)'} not documented`);
  const ref = media.schema.$ref;
  const validate = ref ? ajv.getSchema(`${DOC_ID}${ref}`) : ajv.compile(media.schema);
  if (!validate) throw new Error(`OpenAPI: ${where}: cannot resolve ${ref}`);
  if (!validate(JSON.parse(reply.text))) throw new Error(`OpenAPI: ${where}: ${ajv.errorsText(validate.errors)}\n${reply.text.slice(0, 500)}`);
}
