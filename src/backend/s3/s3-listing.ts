import type {BackendEntry, ListedEntry} from '../backend.js'
import type {ObjectFacts} from './s3-entry.js'
import {dirEntry} from './s3-entry.js'
import type {S3Keys} from './s3-keys.js'
import type {DirectoryListing} from './s3-requests.js'

/**
 * The entries of directory `dir` from its listing (ListObjectsV2 with Delimiter `/`):
 * - every common prefix is a directory, whether a `sub/` marker holds it (an empty one)
 *   or keys below it do: the marker itself is never a file;
 * - every other object right under the prefix is a file, whose entry `entryOf` gives
 *   (from the metadata cache, or a HEAD: undefined when the object went meanwhile);
 * - the directory's own marker, and keys whose names a tree cannot hold (`a//b`, `.`,
 *   `..`), are left out (see `S3Keys.nameIn`);
 * - an object that has a directory's name (`a` beside `a/b`, which S3 allows and a tree
 *   cannot) is left out: the directory, which holds more, is listed.
 * Metadata is fetched for all files at once (`entryOf` limits the requests in flight).
 */
export async function entriesOfListing(
  keys: S3Keys,
  dir: string,
  listing: DirectoryListing,
  entryOf: (object: ObjectFacts & {key: string}) => Promise<BackendEntry | undefined>,
): Promise<ListedEntry[]> {
  const dirs = new Set<string>()
  for (const prefix of listing.prefixes) {
    const name = keys.nameIn(dir, prefix)
    if (name !== undefined) dirs.add(name)
  }
  const marker = keys.markerKey(dir)
  const files = listing.objects.flatMap((o) => {
    const name = o.key === marker || o.key.endsWith('/') ? undefined : keys.nameIn(dir, o.key)
    return name === undefined || dirs.has(name) ? [] : [{name, object: o}]
  })
  const entries: ListedEntry[] = [...dirs].map((name) => ({name, ...dirEntry()}))
  const read = await Promise.all(files.map(async ({name, object}) => {
    const entry = await entryOf(object)
    return entry && {name, ...entry}
  }))
  for (const entry of read) if (entry) entries.push(entry)
  return entries
}
