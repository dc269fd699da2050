// Names interned as small numbers, in order of first use: the same name always gets the same number, and
// `names[id]` gives it back. Used for the program columns' string table and the simulator's tokens and maps.
export class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  id(name: string): number {
    let k = this.ids.get(name);
    if (k === undefined) {
      k = this.names.length;
      this.names.push(name);
      this.ids.set(name, k);
    }
    return k;
  }
}
