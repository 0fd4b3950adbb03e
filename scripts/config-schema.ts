// Writes docs/perfgate.schema.json from the config validator (src/engine/config-schema.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { configSchema } from '../src/engine/config-schema';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'perfgate.schema.json'), `${JSON.stringify(configSchema(), null, 2)}\n`);
