import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureCfnLint, runCfnLint } from '../../local/tools/cfn-lint.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { removeAssembly, SYNTH_TIMEOUT_MS } from './build-app.js';

const run = promisify(execFile);

// `npx cdk synth` as a user runs it, with no AWS credentials, profile or region in sight.
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

const reportSchema = z.object({
  pluginReports: z.array(
    z.object({
      pluginName: z.string(),
      violations: z.array(z.object({ ruleName: z.string(), severity: z.string(), description: z.string() })),
    }),
  ),
});

let outdir: string;
let synth: { stdout: string; stderr: string };
beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'tributary-cli-synth-'));
  synth = await run(
    join(projectRoot, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '--no-notices', '-o', outdir],
    {
      cwd: projectRoot,
      env: offlineEnv(),
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(outdir));

describe('npx cdk synth', () => {
  it('synthesizes the app of cdk.json without AWS credentials', () => {
    expect(readdirSync(outdir)).toContain('Tributary-dev.template.json');
    expect(synth.stderr).not.toMatch(/\bERROR\b/);
  });

  it('leaves cdk.out/validation-report.json free of errors', () => {
    const report = reportSchema.parse(
      JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')),
    );

    const errors = report.pluginReports.flatMap((p) =>
      p.violations
        .filter((v) => v.severity === 'error')
        .map((v) => `${p.pluginName} ${v.ruleName}: ${v.description}`),
    );
    expect(errors).toEqual([]);
  });
});

describe('cfn-lint', () => {
  beforeAll(() => {
    ensureCfnLint(); // ~15 s on a cold machine (pip install into .local/venvs/cfn-lint)
  }, 300_000);

  it('finds no errors in the synthesized templates', async () => {
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(outdir, f));

    const findings = await runCfnLint(templates, { regions: ['us-east-1', 'eu-west-1'] });

    expect(templates.length).toBeGreaterThan(0);
    expect(findings.filter((f) => f.level === 'Error')).toEqual([]);
  });
});
