/** Colours for human output; every function is the identity when colour is off. */
export interface Style {
  add(text: string): string
  change(text: string): string
  remove(text: string): string
  move(text: string): string
  warn(text: string): string
  bold(text: string): string
  dim(text: string): string
  enabled: boolean
}

const ansi =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`

/** A style with ANSI colours when `enabled`, plain text otherwise. */
export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const plain = (text: string): string => text
    return {add: plain, change: plain, remove: plain, move: plain, warn: plain, bold: plain, dim: plain, enabled}
  }
  return {
    add: ansi(32, 39),
    change: ansi(33, 39),
    remove: ansi(31, 39),
    move: ansi(36, 39),
    warn: ansi(33, 39),
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    enabled,
  }
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colourWanted(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}
