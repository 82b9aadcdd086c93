import picocolors from 'picocolors';

/**
 * Terminal styling for the CLI. Colour is a property of the stream being written, decided by
 * `run` for each call: on for a terminal, off for a pipe, a file or a test's captured output,
 * whatever the environment says about CI. NO_COLOR (https://no-color.org) turns it off and
 * FORCE_COLOR (other than 0) on.
 */
export let pc = picocolors.createColors(false);

/** Switches styling on or off for the output that follows. */
export function setColor(on: boolean): void {
  pc = picocolors.createColors(on);
}

/** Whether output to a stream with this TTY state should be coloured, under env. */
export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}
