import { describe, expect, it } from 'vitest';
import { POWER_STATE, powerStateFor, type PowerStateResult } from '../../../src/compute/power-state.js';

describe('powerStateFor', () => {
  it('uses Nova\'s numeric codes', () => {
    expect(POWER_STATE).toEqual({ NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 });
  });

  const table: Array<[string, boolean, PowerStateResult]> = [
    ['running', false, { state: 1, known: true }],
    ['running', true, { state: 1, known: true }], // a stale marker does not make a running container suspended
    ['paused', false, { state: 3, known: true }],
    ['paused', true, { state: 7, known: true }],
    ['created', false, { state: 4, known: true }],
    ['exited', false, { state: 4, known: true }],
    ['exited', true, { state: 4, known: true }],
    ['dead', false, { state: 6, known: true }],
    ['restarting', false, { state: 0, known: true }],
    ['removing', false, { state: 0, known: true }],
    ['', false, { state: 0, known: false }],
    ['hibernating', false, { state: 0, known: false }],
    ['RUNNING', false, { state: 0, known: false }],
  ];
  it.each(table)('%j (suspended marker: %s)', (status, suspended, want) => {
    expect(powerStateFor(status, suspended)).toEqual(want);
  });
});
