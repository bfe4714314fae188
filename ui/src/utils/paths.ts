// Field paths: Rust says `parties[0].id_number`; testids and error maps use `parties.0.id_number`.

export function normalizePath(path: string): string {
  return path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '')
}

/** `parties.0.id_number` -> `parties` */
export function topKey(path: string): string {
  return normalizePath(path).split('.')[0] ?? ''
}

export function fieldTestId(path: string): string {
  return `field-${normalizePath(path)}`
}

export function errorTestId(path: string): string {
  return `error-${normalizePath(path)}`
}
