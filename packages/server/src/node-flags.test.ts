import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './node-flags';

const root = join(import.meta.dirname, '..', '..', '..');
const scripts = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('the node flags the server runs with', () => {
  it.each(['start', 'start:prod'])('npm run %s passes every one of them to node', (name) => {
    const command = scripts[name]!;
    const nodeCall = command.slice(command.lastIndexOf('node '));
    for (const flag of SERVER_NODE_FLAGS) expect(nodeCall.split(/\s+/)).toContain(flag);
  });

  it('the container and the systemd unit start the server through npm run start:prod', () => {
    expect(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8')).toMatch(
      /CMD \["npm", "run", "start:prod"\]/,
    );
    expect(readFileSync(join(root, 'deploy', 'systemd', 'umeme.service'), 'utf8')).toMatch(
      /ExecStart=\S*npm run start:prod/,
    );
  });
});
