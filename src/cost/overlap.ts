/**
 * Time a communication of `comm` seconds adds when it runs beside `window` seconds of
 * compute: the part that does not fit in the window, plus the slowdown the overlapped part
 * inflicts on compute (communication kernels take SMs and memory bandwidth).
 */
export function overlapped(comm: number, window: number, slowdown: number): number {
  const o = Math.min(comm, window);
  return comm - o + (slowdown - 1) * o;
}
