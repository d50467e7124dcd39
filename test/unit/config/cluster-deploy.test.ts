/**
 * The shipped cluster files agree with each other and with the schema: the README's store recipe and the
 * compose nodes' configurations validate, and the Kamailio dispatcher list names exactly the nodes' SIP ports.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/index.js';
import { readmeRecipe } from '../../helpers/readme-recipes.js';

const DEPLOY = resolve(import.meta.dirname, '../../../deploy');

describe('cluster deployment files', () => {
  it("the README's store recipe is a valid config", () => {
    expect(parseConfig(readmeRecipe('cluster-store-config')).store).toEqual({
      type: 'postgres',
      url: 'postgres://trunkbridge@db.internal:5432/trunkbridge',
      nodeId: 'node-a',
      apiUrl: 'http://10.0.0.5:9464',
    });
  });

  it('compose starts one node per deploy/cluster file; each validates and is listed in dispatcher.list', () => {
    const compose = parse(readFileSync(join(DEPLOY, 'docker-compose.cluster.yml'), 'utf8')) as { services: Record<string, { command?: string[] }> };
    const files = Object.values(compose.services)
      .map((s) => s.command?.[s.command.indexOf('--config') + 1])
      .filter((f): f is string => typeof f === 'string' && f.startsWith('/etc/trunkbridge/'));
    expect(files.sort()).toEqual(['/etc/trunkbridge/node-a.yaml', '/etc/trunkbridge/node-b.yaml']);
    const ports = files.map((f) => {
      const config = parseConfig(readFileSync(join(DEPLOY, 'cluster', f.split('/').pop()!), 'utf8'));
      expect(config.store?.type).toBe('postgres');
      // Each node has its own id, and forwarded call commands reach its own /v1 listener.
      expect(config.store?.nodeId).toBe(f.split('/').pop()!.replace('.yaml', ''));
      expect(config.store?.apiUrl).toBe(`http://127.0.0.1:${config.metrics.port}`);
      return config.sip.listen[0].port;
    });
    const listed = readFileSync(join(DEPLOY, 'kamailio', 'dispatcher.list'), 'utf8')
      .split('\n')
      .filter((l) => /^\d/.test(l))
      .map((l) => Number(/:(\d+)$/.exec(l.split(/\s+/)[1])?.[1]));
    expect(listed.sort()).toEqual(ports.sort());
  });
});
