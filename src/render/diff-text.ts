import type {FileDiff} from '../diff/update-diffs.js'
import {formatBytes} from './format-bytes.js'
import type {Style} from './style.js'

const INDENT = '      '

/** A file diff as indented lines to show under its `~` line. */
export function renderFileDiff(diff: FileDiff, style: Style): string {
  switch (diff.kind) {
    case 'binary':
      return `${INDENT}${style.dim('binary files differ')}\n`
    case 'too-large':
      return `${INDENT}${style.dim(`not diffed: larger than ${formatBytes(diff.maxBytes)} (raise --diff-max-bytes)`)}\n`
    case 'unreadable':
      return `${INDENT}${style.dim(`not diffed: ${diff.error}`)}\n`
    case 'text': {
      // Drop the "Index:"/"===" preamble createTwoFilesPatch adds; keep ---/+++ and hunks.
      const lines = diff.patch.split('\n').filter((l) => l !== '' && !l.startsWith('Index:') && !/^=+$/.test(l))
      return lines.map((l) => INDENT + paint(l, style)).join('\n') + '\n'
    }
  }
}

function paint(line: string, style: Style): string {
  if (line.startsWith('+++') || line.startsWith('---')) return style.bold(line)
  if (line.startsWith('+')) return style.add(line)
  if (line.startsWith('-')) return style.remove(line)
  if (line.startsWith('@@')) return style.move(line)
  return line
}
