import openapiTS, { astToString } from 'openapi-typescript';

/** Where the web app's generated API types live (checked in; openapi.test.ts keeps them fresh). */
export const WEB_API_TYPES_FILE = 'packages/web/src/api/openapi.gen.ts';

const HEADER = `/**
 * The HTTP contract of the Umeme server as TypeScript types, generated from docs/openapi.json by
 * openapi-typescript. Do not edit: \`npm run api:types\` rewrites it, and
 * tests/integration/openapi.test.ts fails when it is stale.
 */

`;

/** The web client's types for an OpenAPI document, exactly as the checked-in file holds them. */
export async function generateWebApiTypes(doc: unknown): Promise<string> {
  const ast = await openapiTS(doc as Parameters<typeof openapiTS>[0]);
  return HEADER + astToString(ast);
}
