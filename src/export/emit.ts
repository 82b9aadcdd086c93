import { acceptedNames, listKind } from './check.js';
import type { ArgInfo, NotEmitted, VersionData } from './types.js';

/**
 * Collects the options of one command (or the keys of one file) and drops every name the
 * version does not vouch for into `notEmitted`, with the reason: so a generated command never
 * carries a name its data cannot back.
 */
export class Emitter {
  readonly words: string[] = [];
  readonly names: string[] = [];
  readonly notEmitted: NotEmitted[] = [];
  private readonly ok: Set<string>;
  private readonly kind;

  constructor(
    private readonly v: VersionData | null,
    private readonly label: string,
    extra: Iterable<string> = [],
  ) {
    this.ok = new Set([...(v ? acceptedNames(v) : []), ...extra]);
    this.kind = listKind(v);
  }

  accepts(name: string): boolean {
    return this.ok.has(name);
  }

  arg(name: string): ArgInfo | undefined {
    return this.v?.args?.[name] ?? this.v?.yaml_keys?.[name];
  }

  /** Whether a value is among the name's listed choices (true when the data lists none). */
  allows(name: string, value: unknown): boolean {
    const a = this.arg(name);
    const choices = a?.choices ?? a?.allowed_values;
    if (String(value) === 'null' && /Optional|None/.test(a?.type ?? '')) return true;
    return !choices || choices.map(String).includes(String(value));
  }

  private reason(name: string): string {
    return this.kind === 'complete'
      ? `${this.label} has no option ${name}`
      : this.kind === 'known-good'
        ? `${name} is not on the names verified for ${this.label}`
        : `${name} is not among the names Sinan has for ${this.label}`;
  }

  /** Adds `name value` (or the bare switch when value is undefined); returns whether it was emitted. */
  flag(name: string, value: string | number | undefined, setting: string, sep: ' ' | '=' = ' '): boolean {
    const text = value === undefined ? name : `${name}${sep}${value}`;
    if (!this.accepts(name)) {
      this.notEmitted.push({ setting, suggestion: text, reason: this.reason(name) });
      return false;
    }
    if (value !== undefined && !this.allows(name, value)) {
      this.notEmitted.push({ setting, suggestion: text, reason: `${value} is not an accepted value of ${name} in ${this.label}` });
      return false;
    }
    this.words.push(text);
    this.names.push(name);
    return true;
  }

  /** Records a setting that no name expresses. */
  skip(setting: string, suggestion: string, reason: string): void {
    this.notEmitted.push({ setting, suggestion, reason });
  }
}
