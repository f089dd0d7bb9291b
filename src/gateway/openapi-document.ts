import { openApiDocument } from '../endpoints/openapi.js';
import { portalOpenApiPaths } from '../portal/portal-openapi.js';

/** Version of the endpoints' contract (info.version of {prefix}/openapi.json): bump on a change. */
const API_VERSION = '1.0.0';

/**
 * The OpenAPI description served at `{prefix}/openapi.json`: the /auth API's paths and the
 * portal's JSON API beside them. Assembled here, above both, so neither imports the other.
 */
export function gatewayOpenApiDocument(prefix: string, version = API_VERSION): Record<string, unknown> {
  return openApiDocument(prefix, version, portalOpenApiPaths);
}
