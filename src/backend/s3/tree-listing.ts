import {Limiter} from '../../util/limiter.js'
import type {DirectoryListing, S3Requests} from './s3-requests.js'

/**
 * A tree of more keys than this is listed folder by folder: a flat listing is held in
 * memory whole (about 150 bytes a key) before the first folder is served.
 */
export const TREE_LISTING_MAX_KEYS = 250_000
/** Flat listings of top-level folders in flight (each is a chain of pages, one at a time). */
const LISTINGS_IN_FLIGHT = 16

/**
 * The listings of every folder of a tree, cut from flat listings (ListObjectsV2 without
 * a delimiter) instead of one request per folder: a tree of 100,000 files in 5,000
 * folders is about 100 requests of 1,000 keys instead of 5,000 (rclone's `--fast-list`,
 * taken when a scan starts). S3's pages come one after another, so the root is listed by
 * folder first and each top-level folder flat, many at once: the requests are
 * ⌈keys / 1,000⌉ per top-level folder, plus one.
 *
 * Each folder's listing is served once (a scan lists each folder once); asked again, or
 * when the tree was too large or a request failed, `take` has nothing and the caller asks
 * the server for that folder, which then reports its own failure.
 */
export class TreeListing {
  private loaded: Promise<Map<string, DirectoryListing> | undefined> | undefined
  private readonly taken = new Set<string>()

  constructor(
    private readonly requests: S3Requests,
    /** The tree's key prefix (`S3Keys.base`). */
    private readonly base: string,
    private readonly maxKeys = TREE_LISTING_MAX_KEYS,
  ) {}

  /** Starts listing the whole tree (once). */
  start(): void {
    this.loaded ??= this.load().catch(() => undefined)
  }

  /**
   * The listing of the folder with key prefix `prefix`, as `S3Requests.listDirectory`
   * gives it (empty for a folder the tree does not have), once; undefined when there is
   * none to give.
   */
  async take(prefix: string): Promise<DirectoryListing | undefined> {
    if (!this.loaded || this.taken.has(prefix)) return undefined
    const folders = await this.loaded
    if (!folders || this.taken.has(prefix)) return undefined
    this.taken.add(prefix)
    const listing = folders.get(prefix) ?? {objects: [], prefixes: []}
    folders.delete(prefix)
    return listing
  }

  private async load(): Promise<Map<string, DirectoryListing> | undefined> {
    const root = await this.requests.listDirectory(this.base)
    const folders = new Map<string, DirectoryListing>([[this.base, root]])
    let budget = this.maxKeys - root.objects.length
    const limiter = new Limiter(LISTINGS_IN_FLIGHT)
    let tooLarge = false
    await Promise.all(
      root.prefixes.map((top) =>
        limiter.run(async () => {
          if (tooLarge) return
          const objects = await this.requests.listAll(top, budget)
          if (objects === undefined || (budget -= objects.length) < 0) {
            tooLarge = true
            return
          }
          for (const object of objects) place(folders, top, object)
        }),
      ),
    )
    return tooLarge ? undefined : folders
  }
}

/**
 * Files `object` under the folder listings as a listing with Delimiter `/` would show it:
 * an object of the folder its last `/` ends (a marker `a/b/` is an object of `a/b/`),
 * and each folder on the way a common prefix of its parent, below `top` (itself a common
 * prefix of the root's listing).
 */
function place(folders: Map<string, DirectoryListing>, top: string, object: DirectoryListing['objects'][number]): void {
  const key = object.key
  let parent = top
  for (let slash = key.indexOf('/', top.length); slash !== -1; slash = key.indexOf('/', slash + 1)) {
    const folder = key.slice(0, slash + 1)
    if (!folders.has(folder)) {
      folders.set(folder, {objects: [], prefixes: []})
      listingOf(folders, parent).prefixes.push(folder)
    }
    parent = folder
  }
  listingOf(folders, parent).objects.push(object)
}

function listingOf(folders: Map<string, DirectoryListing>, prefix: string): DirectoryListing {
  let listing = folders.get(prefix)
  if (!listing) folders.set(prefix, (listing = {objects: [], prefixes: []}))
  return listing
}
