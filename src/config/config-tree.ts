/**
 * The tree the ZConfig parser produces, before any schema is applied:
 * sections with their keys, every item remembering where it came from.
 */

/** Where something was written: a file (or `<string>`) and a 1-based line. */
export interface SourceLocation {
  /** The file as named by the caller or by the `%include` that read it; `<string>` for anonymous text. */
  readonly file: string;
  /** The 1-based line number. */
  readonly line: number;
}

/** One `KEY VALUE` line, after `$` substitution of the value. */
export interface ConfigValue {
  /** The key as written (keys are matched case-insensitively by schemas). */
  readonly key: string;
  /** The value after substitution; the empty string when the line has only a key. */
  readonly value: string;
  /** Where the line is. */
  readonly location: SourceLocation;
}

/** A `<type name>` … `</type>` section (or the implicit top-level section). */
export interface ConfigSection {
  /** The section type, lower-cased; the empty string for the top level. */
  readonly type: string;
  /** The section name, lower-cased, or `undefined` for an unnamed section. */
  readonly name: string | undefined;
  /** The key/value lines directly inside this section, in order (including those from `%include`d files). */
  readonly values: readonly ConfigValue[];
  /** The sections directly inside this section, in order. */
  readonly sections: readonly ConfigSection[];
  /** The line of the start tag (line 1 of the main file for the top level). */
  readonly location: SourceLocation;
  /** The line of the end tag (the start tag for `<type/>`, the last line for the top level). */
  readonly endLocation: SourceLocation;
  /** Position of the start tag among all start tags and `%import` directives, to tell what was imported before it. */
  readonly sequence: number;
}

/** A `%import PACKAGE` directive; the parser records it and schemas act on it. */
export interface ImportDirective {
  /** The package name after substitution, e.g. `zc.zkzeo`. */
  readonly packageName: string;
  /** Where the directive is. */
  readonly location: SourceLocation;
  /** Position among all start tags and `%import` directives. */
  readonly sequence: number;
}

/** A parsed configuration: the top-level section plus what the directives did. */
export interface ConfigDocument {
  /** The implicit top-level section holding everything. */
  readonly root: ConfigSection;
  /** Every `%import`, in order. */
  readonly imports: readonly ImportDirective[];
  /** The `%define`d variables (names lower-cased) after parsing. */
  readonly defines: ReadonlyMap<string, string>;
  /** The main file name (or `<string>`) followed by every included file, in the order they were read. */
  readonly files: readonly string[];
}
