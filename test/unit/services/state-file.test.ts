import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceConfigError } from '../../../local/services/errors.js';
import { type KafkaState, readState, updateState } from '../../../local/services/state-file.js';

const kafka: KafkaState = {
  mode: 'host',
  version: '3.9.2',
  brokers: ['127.0.0.1:9092'],
  clusterId: 'MAhZnoXaDKWt3Db4N-V_lw',
  pid: 1234,
  logFile: '/tmp/kafka.log',
  startedAt: '2026-11-23T10:40:10.003Z',
};

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'tributary-state-')), 'services.json');
}

describe('state file', () => {
  it('reads an absent file as no services', () => {
    expect(readState(tempFile())).toEqual({});
  });

  it('keeps the other service when one entry is set, and drops an entry set to undefined', () => {
    // Prepare
    const path = tempFile();
    updateState('kafka', kafka, path);
    updateState(
      'localstack',
      { ...kafka, endpoint: 'http://127.0.0.1:4566', version: '4.13.1', services: ['kinesis'] },
      path,
    );

    // Act
    updateState('localstack', undefined, path);

    // Assess
    expect(readState(path)).toEqual({ kafka });
    expect(JSON.parse(readFileSync(path, 'utf8'))).not.toHaveProperty('localstack');
  });

  it('rejects a file of the wrong shape, naming the file and the field', () => {
    // Prepare
    const path = tempFile();
    writeFileSync(path, JSON.stringify({ kafka: { ...kafka, brokers: ['no-port'] } }));

    // Act
    const act = () => readState(path);

    // Assess
    expect(act).toThrow(ServiceConfigError);
    expect(act).toThrow(/services\.json does not have the expected shape.*brokers/s);
  });

  it('rejects a file that is not JSON', () => {
    // Prepare
    const path = tempFile();
    writeFileSync(path, '{ half');

    // Act + Assess
    expect(() => readState(path)).toThrow(/is not JSON/);
  });
});
