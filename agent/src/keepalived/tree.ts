/**
 * The parsed keepalived.conf: one node per statement, blocks as children. Its own module so the
 * parser (which builds it) and the validator (which walks it) both import it without importing
 * each other.
 */
import type { Token } from './lexer.ts';

export interface ConfNode {
  keyword: Token;
  args: Token[];
  /** Present when the statement opened a `{ ... }` block. */
  children?: ConfNode[];
  /** The physical line before ended with `\\`, which keepalived does not join to this one. */
  afterBackslash?: boolean;
  open?: Token;
  close?: Token;
}
