import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  AUDIENCE_DEFINITION_FILE,
  AUDIENCES_AREA,
  type AudienceDefinition,
  AudienceDefinitionSchema,
  audienceFolder,
} from '../domain/contract/audiences';

/** The local audiences' definitions (`<lake>/audiences/customer_id=<id>/audience=<name>/audience.json`). */
export const definitionFile = (lakeRoot: string, customer: string, name: string) =>
  join(lakeRoot, audienceFolder(customer, name), AUDIENCE_DEFINITION_FILE);

export function readDefinition(
  lakeRoot: string,
  customer: string,
  name: string,
): AudienceDefinition | undefined {
  const file = definitionFile(lakeRoot, customer, name);
  if (!existsSync(file)) return undefined;
  return v.parse(AudienceDefinitionSchema, JSON.parse(readFileSync(file, 'utf8')));
}

/** Every audience of a customer (or of all customers), by name. */
export function listDefinitions(lakeRoot: string, customer?: string): AudienceDefinition[] {
  const root = join(lakeRoot, AUDIENCES_AREA);
  if (!existsSync(root)) return [];
  const customers = readdirSync(root)
    .filter((d) => d.startsWith('customer_id='))
    .map((d) => d.slice('customer_id='.length))
    .filter((c) => customer === undefined || c === customer);
  return customers.flatMap((c) =>
    readdirSync(join(root, `customer_id=${c}`))
      .filter((d) => d.startsWith('audience='))
      .map((d) => readDefinition(lakeRoot, c, d.slice('audience='.length)))
      .filter((d): d is AudienceDefinition => d !== undefined),
  );
}
