// `npm run reference`: writes the JSON Schema of the cluster configs and the README's field
// reference from the settings in src/contract/settings.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { JSON_SCHEMA_PATH, jsonSchemaText, withReference } from '../src/config/config-reference.ts';

writeFileSync(JSON_SCHEMA_PATH, jsonSchemaText());
writeFileSync('README.md', withReference(readFileSync('README.md', 'utf8')));
console.log(`reference: wrote ${JSON_SCHEMA_PATH} and the README's config reference`);
