/**
 * Settings: `zhian start` with several bad settings exits non-zero at once and names every
 * bad setting in one message; loadConfig() defaults and its rules (demo never in production).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { cleanup, cli, tempDir, type CliResult } from './support.js';

afterAll(cleanup, 60_000);

/** Runs the CLI from an empty temporary directory (its data directory inside), killing it after timeoutMs. */
async function runCli(args: string[], vars: Record<string, string>, timeoutMs = 60_000): Promise<CliResult & { cwd: string }> {
  const cwd = tempDir('zhian-config-');
  const r = await cli(args, { ZHIAN_DATA_DIR: path.join(cwd, 'data'), ZHIAN_DEMO: 'false', PORT: '0', HOST: '127.0.0.1', ...vars }, timeoutMs, { cwd });
  return { ...r, cwd };
}

describe('zhian start with bad settings', () => {
  it('exits non-zero and names every bad setting in one message', async () => {
    const r = await runCli(['start', '--no-build'], {
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      MAP_TILE_COORD_SYSTEM: 'mercator',
    });
    console.log(`[config] start with 4 bad settings: exit ${r.code}/${r.signal} after ${r.ms} ms\n${r.stderr}`);
    expect(r.signal, 'the process did not stop by itself').toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.code).toBe(2);
    // One message …
    expect(r.stderr.match(/Invalid configuration/g)).toHaveLength(1);
    const message = r.stderr.slice(r.stderr.indexOf('Invalid configuration'));
    // … naming each bad setting, with its value, on a line of its own.
    for (const [key, value] of [
      ['PORT', 'abc'],
      ['DATABASE_URL', 'mysql://x'],
      ['LOG_LEVEL', 'loud'],
      ['MAP_TILE_COORD_SYSTEM', 'mercator'],
    ]) {
      expect(message).toMatch(new RegExp(`^\\s*- ${key}=${JSON.stringify(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .+$`, 'm'));
    }
    expect(message.split('\n').filter((l) => /^\s*- /.test(l))).toHaveLength(4);
    // No stack trace, nothing started, nothing created.
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/listening|is serving|migrations applied/);
    expect(fs.existsSync(path.join(r.cwd, 'data'))).toBe(false);
  }, 120_000);

  it('other commands refuse bad settings the same way', async () => {
    const r = await runCli(['migrate'], { DATABASE_POOL_SIZE: '0', ZHIAN_DEMO: 'maybe' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\s*- DATABASE_POOL_SIZE="0": /m);
    expect(r.stderr).toMatch(/^\s*- ZHIAN_DEMO="maybe": /m);
    expect(r.stdout).not.toContain('database is up to date');
  }, 120_000);

  it('does not print the password of a rejected DATABASE_URL', async () => {
    const r = await runCli(['start', '--no-build'], { DATABASE_URL: 'mysql://zhian:S3cret-pw@db.example:3306/zhian' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr, 'the error message leaks the database password').not.toContain('S3cret-pw');
    // The rest of the URL is still shown, the password masked.
    expect(r.stderr).toMatch(/^\s*- DATABASE_URL="mysql:\/\/zhian:\*\*\*@db\.example:3306\/zhian": /m);
    expect(r.stdout).not.toContain('S3cret-pw');
  }, 120_000);
});

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 8080,
      ZHIAN_DATA_DIR: './data',
      DATABASE_POOL_SIZE: 10,
      LOG_LEVEL: 'info',
      ZHIAN_DEMO: true,
      ZHIAN_DEMO_SCALE: 1,
      SESSION_TTL_HOURS: 12,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_WINDOW_MINUTES: 15,
      BODY_LIMIT_BYTES: 1024 * 1024,
      UPLOAD_LIMIT_BYTES: 50 * 1024 * 1024,
      MAP_TILE_COORD_SYSTEM: 'wgs84',
      COOKIE_SECURE: false,
      TRUST_PROXY: false,
      demoEnabled: true,
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.MAP_TILE_URL).toBeUndefined();
    expect(c.dataDir).toBe(path.resolve('./data'));
  });

  it('never enables the demo in production', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).demoEnabled).toBe(false);
    for (const v of ['true', '1', 'yes']) {
      const c = loadConfig({ NODE_ENV: 'production', ZHIAN_DEMO: v });
      expect(c.ZHIAN_DEMO).toBe(true);
      expect(c.demoEnabled).toBe(false);
    }
    expect(loadConfig({ NODE_ENV: 'test', ZHIAN_DEMO: 'true' }).demoEnabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', ZHIAN_DEMO: 'false' }).demoEnabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', ZHIAN_DEMO: 'no' }).demoEnabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', ZHIAN_DEMO: '0' }).demoEnabled).toBe(false);
  });

  it('parses numbers, flags and URLs from strings', () => {
    const c = loadConfig({
      PORT: '0',
      DATABASE_URL: 'postgresql://u@h:5432/d',
      DATABASE_POOL_SIZE: '3',
      COOKIE_SECURE: 'yes',
      TRUST_PROXY: '1',
      MAP_TILE_URL: 'https://tiles.example/{z}/{x}/{y}.png',
      MAP_TILE_COORD_SYSTEM: 'gcj02',
      ZHIAN_DATA_DIR: '/var/lib/zhian',
    });
    expect(c).toMatchObject({
      PORT: 0,
      DATABASE_URL: 'postgresql://u@h:5432/d',
      DATABASE_POOL_SIZE: 3,
      COOKIE_SECURE: true,
      TRUST_PROXY: true,
      MAP_TILE_URL: 'https://tiles.example/{z}/{x}/{y}.png',
      MAP_TILE_COORD_SYSTEM: 'gcj02',
      dataDir: '/var/lib/zhian',
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://x/y' }).DATABASE_URL).toBe('postgres://x/y');
  });

  it('treats empty values as unset and ignores unknown variables', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '', MAP_TILE_URL: '', LOG_LEVEL: '', SOMETHING_ELSE: 'x' });
    expect(c.PORT).toBe(8080);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.MAP_TILE_URL).toBeUndefined();
    expect(c.LOG_LEVEL).toBe('info');
    expect(c).not.toHaveProperty('SOMETHING_ELSE');
  });

  it('reports every bad setting at once in a ConfigError', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', MAP_TILE_COORD_SYSTEM: 'mercator', HOST: 'ok' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'MAP_TILE_COORD_SYSTEM', 'PORT']);
    for (const p of problems) expect((err as ConfigError).message).toContain(p);
  });

  it('hides the password of a rejected URL in its message', () => {
    let err: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://zhian:S3cret-pw@db.example:3306/zhian', MAP_TILE_URL: 'https://tiles:T1le-pw@not a host/{z}' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).not.toMatch(/S3cret-pw|T1le-pw/);
    expect((err as ConfigError).problems.sort()).toEqual([
      'DATABASE_URL="mysql://zhian:***@db.example:3306/zhian": must be a postgres:// or postgresql:// URL',
      expect.stringMatching(/^MAP_TILE_URL="https:\/\/tiles:\*\*\*@not a host\/\{z\}": /),
    ]);
  });

  it('rejects out-of-range numbers', () => {
    for (const [k, v] of [
      ['PORT', '65536'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_POOL_SIZE', '201'],
      ['SESSION_TTL_HOURS', '0'],
      ['BODY_LIMIT_BYTES', '10'],
      ['ZHIAN_DEMO_SCALE', '1001'],
    ]) {
      expect(() => loadConfig({ [k]: v }), `${k}=${v}`).toThrow(ConfigError);
    }
  });
});
