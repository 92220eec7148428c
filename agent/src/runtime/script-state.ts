/**
 * keepalived's vrrp_script result logic, pure: a script is OK until `fall` consecutive
 * failures make it FAILED, and FAILED until `rise` consecutive successes make it OK again.
 * A timeout counts as a failure. Starts OK (keepalived's default without `init_fail`).
 */
export interface ScriptState {
  up: boolean;
  /** Consecutive results against the current state. */
  streak: number;
}

export const initialScriptState = (): ScriptState => ({ up: true, streak: 0 });

export function scriptResult(s: ScriptState, success: boolean, rise: number, fall: number): ScriptState {
  if (success === s.up) return { up: s.up, streak: 0 };
  const streak = s.streak + 1;
  const needed = s.up ? fall : rise;
  return streak >= needed ? { up: !s.up, streak: 0 } : { up: s.up, streak };
}
