/**
 * How the relative paths of a tree map onto the keys of one bucket under one prefix, as
 * rclone lays them out: a file `a/b.txt` under prefix `site` is the object `site/a/b.txt`;
 * a directory is the key prefix `site/a/`, and an empty one is held by a zero-byte marker
 * object with exactly that key. S3 itself has no directories: a "directory" exists while
 * some key starts with its prefix.
 */
export class S3Keys {
  /** The prefix every key of the tree starts with: `''` for a whole bucket, else `PREFIX/`. */
  readonly base: string

  constructor(
    readonly bucket: string,
    /** `/`-separated, no leading or trailing `/` (an `S3RootSpec`'s prefix); `''` for the whole bucket. */
    prefix: string,
  ) {
    if (prefix.startsWith('/') || prefix.endsWith('/')) throw new TypeError(`S3 prefix must not start or end with '/': ${prefix}`)
    this.base = prefix === '' ? '' : `${prefix}/`
  }

  /** The key of the object that holds file `path` (`''`, the root, has none). */
  fileKey(path: string): string {
    if (path === '') throw new TypeError('the root of an S3 tree is not an object')
    return this.base + path
  }

  /**
   * The key prefix of directory `path`, ending in `/` (the root's is `base`, which is `''`
   * for a whole bucket). It is also the key of the directory's marker object.
   */
  dirPrefix(path: string): string {
    return path === '' ? this.base : `${this.base}${path}/`
  }

  /** The key of directory `path`'s marker object; the root of a whole bucket has none. */
  markerKey(path: string): string | undefined {
    const key = this.dirPrefix(path)
    return key === '' ? undefined : key
  }

  /**
   * The name an object or common prefix found while listing directory `dir` has in it:
   * the key less the directory's prefix and a trailing `/`. Undefined for what is not one
   * entry of `dir` as a tree can hold it: the directory's own marker, a key outside the
   * prefix, and names a path cannot have (empty, `.`, `..`, or with a `/` inside, which
   * keys such as `a//b` produce). Such keys are left alone, never read or written.
   */
  nameIn(dir: string, key: string): string | undefined {
    const prefix = this.dirPrefix(dir)
    if (!key.startsWith(prefix)) return undefined
    const rest = key.slice(prefix.length)
    const name = rest.endsWith('/') ? rest.slice(0, -1) : rest
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return undefined
    return name
  }

  /** The root as a URL, for messages: `s3://bucket/prefix`. */
  get url(): string {
    return `s3://${this.bucket}${this.base === '' ? '' : `/${this.base.slice(0, -1)}`}`
  }
}
