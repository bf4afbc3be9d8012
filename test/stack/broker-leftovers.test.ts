// The reaper must kill a broker whose owner died, spare one whose owner lives, and never kill
// an unrelated process that happens to have a recycled pid.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAlive, reapLeftoverBrokers, writePidRecord } from './broker-leftovers.js';

// A stand-in JVM: an idle process whose command line names the broker's data dir, as java's does.
function fakeJvm(dataDir: string): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', dataDir], { stdio: 'ignore' });
}

// A pid that certainly belonged to a process that has exited.
async function deadPid(): Promise<number> {
  const proc = spawn('true');
  await new Promise((r) => proc.once('exit', r));
  return proc.pid!;
}

describe('reapLeftoverBrokers', () => {
  const base = mkdtempSync(join(tmpdir(), 'reap-test-'));
  const procs: ChildProcess[] = [];
  after(() => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  it('kills the broker of a dead owner and removes its dir', async () => {
    const dir = join(base, 'orphan');
    mkdirSync(dir);
    const jvm = fakeJvm(dir);
    procs.push(jvm);
    const exited = new Promise((r) => jvm.once('exit', r));
    writePidRecord(dir, { jvmPid: jvm.pid!, ownerPid: await deadPid(), dataDir: dir });

    const result = reapLeftoverBrokers(base);
    assert.deepEqual(result.killed, [jvm.pid]);
    assert.deepEqual(result.removed, [dir]);
    await exited;
    assert.equal(existsSync(dir), false);
  });

  it('leaves a broker whose owner is alive', () => {
    const dir = join(base, 'owned');
    mkdirSync(dir);
    const jvm = fakeJvm(dir);
    procs.push(jvm);
    writePidRecord(dir, { jvmPid: jvm.pid!, ownerPid: process.ppid, dataDir: dir });

    const result = reapLeftoverBrokers(base);
    assert.deepEqual(result, { killed: [], removed: [] });
    assert.ok(isAlive(jvm.pid!));
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not kill a recycled pid that is not this broker', async () => {
    const dir = join(base, 'recycled');
    mkdirSync(dir);
    const stranger = fakeJvm(join(base, 'somewhere-else'));
    procs.push(stranger);
    writePidRecord(dir, { jvmPid: stranger.pid!, ownerPid: await deadPid(), dataDir: dir });

    const result = reapLeftoverBrokers(base);
    assert.deepEqual(result.killed, []);
    assert.deepEqual(result.removed, [dir]);
    assert.ok(isAlive(stranger.pid!));
  });

  it('spares a fresh dir without a pid record (a start in progress), not an abandoned one', () => {
    const dir = join(base, 'starting');
    mkdirSync(dir);
    assert.deepEqual(reapLeftoverBrokers(base), { killed: [], removed: [] });
    // An hour later nobody is formatting it any more: it is abandoned.
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(dir, anHourAgo, anHourAgo);
    assert.deepEqual(reapLeftoverBrokers(base).removed, [dir]);
  });
});
