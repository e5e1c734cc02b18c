/**
 * Docker container state → Nova power state (nova/compute/power_state.py).
 *
 * | Docker status | Nova state | why |
 * |---|---|---|
 * | running | RUNNING (1) | |
 * | paused | PAUSED (3), or SUSPENDED (7) when the instance was suspended | suspend is a pause plus a marker file in the instance's state dir (Docker has no stable checkpoint/restore) |
 * | created | SHUTDOWN (4) | never started (spawn with power_on=false) |
 * | exited | SHUTDOWN (4) | stopped, or the command ended; Nova's power sync then stops the instance |
 * | dead | CRASHED (6) | Docker failed to remove or stop it |
 * | restarting | NOSTATE (0) | transient (a restart policy is cycling it); NOSTATE makes Nova's sync wait instead of acting |
 * | removing | NOSTATE (0) | transient: about to disappear |
 * | anything else | NOSTATE (0) | unknown to this table; logged by the caller |
 */

export const POWER_STATE = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;

export type PowerState = (typeof POWER_STATE)[keyof typeof POWER_STATE];

export interface PowerStateResult {
  readonly state: PowerState;
  /** False when the Docker status is not in the table (caller logs it). */
  readonly known: boolean;
}

const TABLE: Readonly<Record<string, PowerState>> = {
  running: POWER_STATE.RUNNING,
  paused: POWER_STATE.PAUSED,
  created: POWER_STATE.SHUTDOWN,
  exited: POWER_STATE.SHUTDOWN,
  dead: POWER_STATE.CRASHED,
  restarting: POWER_STATE.NOSTATE,
  removing: POWER_STATE.NOSTATE,
};

export function powerStateFor(dockerStatus: string, suspended: boolean): PowerStateResult {
  const state = TABLE[dockerStatus];
  if (state === undefined) return { state: POWER_STATE.NOSTATE, known: false };
  if (state === POWER_STATE.PAUSED && suspended) return { state: POWER_STATE.SUSPENDED, known: true };
  return { state, known: true };
}
