/**
 * Runs async tasks one at a time, in call order: the per-partition serialization of
 * writes, fsyncs, rolls' file work, retention and close (DESIGN.md section 3: "Appends
 * and fsyncs are serialized per partition"). A failed task does not stop later ones.
 */
export class SerialQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.last.then(task);
    this.last = result.catch(() => undefined);
    return result;
  }
}
