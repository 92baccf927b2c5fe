import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {access, constants, mkdir, mkdtemp, readFile, realpath, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {after, before, type TestContext} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

/**
 * Small filesystem images mounted for tests (as root, as CI runs them), so a sync can be
 * tried on filesystems that keep less than ext4:
 * - `ext4-128`: `mkfs.ext4 -I 128`, loop-mounted: whole-second timestamps;
 * - `fat`: `mkfs.vfat` through `fusefat` (FUSE): 2-second timestamps, no modes, no
 *   symlinks, no hard links, case-insensitive, ASCII names only, inode numbers that change
 *   when the kernel forgets an entry and on every mount.
 * A missing tool fails the test with the Debian package to install: never a silent skip.
 */
export type ImageKind = 'ext4-128' | 'fat'

/** How to make and mount an image. */
export interface ImageOptions {
  /** Size of the (sparse) image file; 32 MiB by default. */
  sizeMiB?: number
  /** Mount it read-only. */
  readOnly?: boolean
}

/** A mounted image in its own temporary directory. */
export interface MountedImage {
  readonly kind: ImageKind
  /** Where it is mounted. ext4's root holds `lost+found`: sync into a folder below it. */
  readonly mountPoint: string
  /** The image file. */
  readonly image: string
  /** How long making the filesystem and mounting it took, in ms (the last mount only, after a remount). */
  readonly timings: {mkfsMs: number; mountMs: number}
  /** Unmounts it; `mountPoint` is then an empty folder of the temporary directory's filesystem. */
  unmount(): Promise<void>
  /** Mounts the same image again after `unmount` (read-only or not): new inode numbers on FAT. */
  mount(options?: {readOnly?: boolean}): Promise<void>
  /** Unmounts it if mounted and removes its temporary directory; safe to call twice. */
  remove(): Promise<void>
}

const DEFAULT_SIZE_MIB = 32
const run = promisify(execFile)

/** Which Debian package provides each tool the images need. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  'mkfs.ext4': 'e2fsprogs',
  'mkfs.vfat': 'dosfstools',
  fusefat: 'fusefat',
  fusermount: 'fuse',
  mount: 'mount',
  umount: 'mount',
}

/** The absolute path of a tool (sbin directories included), or an error naming its package. */
async function tool(name: string): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name)
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate
  }
  throw new Error(`${name} is not installed: the filesystem-image tests need the Debian package ${PACKAGE_OF[name]} (apt-get install ${PACKAGE_OF[name]})`)
}

/** True when something is mounted exactly at `dir` (a real path). */
async function isMountPoint(dir: string): Promise<boolean> {
  const escaped = dir.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  return text.split('\n').some((line) => line.split(' ')[4] === escaped)
}

/** Runs a command; an error carries what it printed. */
async function runTool(name: string, args: readonly string[]): Promise<void> {
  try {
    await run(await tool(name), args)
  } catch (error) {
    const {stderr, stdout} = error as {stderr?: string; stdout?: string}
    throw new Error(`${name} ${args.join(' ')} failed: ${(stderr || stdout || (error as Error).message).trim()}`)
  }
}

/**
 * Starts fusefat in the foreground (so its exit can be awaited) and waits for its mount.
 * It chatters on every write: its output goes to a file, since a pipe that a test's
 * blocking call keeps this process from draining would stall fusefat, and the test with it.
 */
async function startFusefat(image: string, mountPoint: string, readOnly: boolean): Promise<ChildProcess> {
  const log = `${image}.log`
  const output = openSync(log, 'a')
  // rw+: fusefat calls its write support experimental and refuses plain rw; -s: one thread.
  const child = spawn(await tool('fusefat'), ['-f', '-s', '-o', readOnly ? 'ro' : 'rw+', image, mountPoint], {stdio: ['ignore', output, output]})
  closeSync(output)
  let exited = false
  child.on('exit', () => (exited = true))
  for (let waited = 0; !(await isMountPoint(mountPoint)); waited += 10) {
    if (exited || waited > 5000) {
      child.kill()
      const said = (await readFile(log, 'utf8').catch(() => '')).slice(-2000).trim()
      throw new Error(`fusefat could not mount ${image} at ${mountPoint}: ${said || 'timed out'}`)
    }
    await sleep(10)
  }
  return child
}

/** Unmounts `mountPoint`, retrying while it is busy (a test's file may close a moment late). */
async function unmountAt(mountPoint: string, fuse: ChildProcess | undefined): Promise<void> {
  const exited = fuse && fuse.exitCode === null ? new Promise((resolve) => fuse.once('exit', resolve)) : undefined
  for (let attempt = 1; await isMountPoint(mountPoint); attempt++) {
    try {
      await (fuse ? runTool('fusermount', ['-u', mountPoint]) : runTool('umount', [mountPoint]))
    } catch (error) {
      if (attempt >= 20) throw error
      await sleep(50)
    }
  }
  // fusefat writes the image until it exits: wait, so a remount reads what it wrote.
  await exited
}

/** Makes a sparse image of `kind` in a fresh temporary directory and mounts it. */
export async function mountImage(kind: ImageKind, options: ImageOptions = {}): Promise<MountedImage> {
  if (process.getuid?.() !== 0) throw new Error(`mounting a ${kind} image needs root (loop devices, FUSE): run the tests as root, as CI does`)
  const mkfs = kind === 'fat' ? 'mkfs.vfat' : 'mkfs.ext4'
  await Promise.all([tool(mkfs), ...(kind === 'fat' ? [tool('fusefat'), tool('fusermount')] : [tool('mount'), tool('umount')])])
  // Real path: mountinfo names mount points without symlinks.
  const dir = await realpath(await mkdtemp(join(tmpdir(), `treesync-${kind}-`)))
  const image = join(dir, `${kind}.img`)
  const mountPoint = join(dir, 'mnt')
  let fuse: ChildProcess | undefined
  const timings = {mkfsMs: 0, mountMs: 0}
  const mount = async (readOnly: boolean): Promise<void> => {
    const started = performance.now()
    if (kind === 'fat') fuse = await startFusefat(image, mountPoint, readOnly)
    else await runTool('mount', ['-o', readOnly ? 'loop,ro' : 'loop', image, mountPoint])
    timings.mountMs = performance.now() - started
  }
  try {
    await mkdir(mountPoint)
    await writeFile(image, '', {flag: 'wx'})
    await truncate(image, (options.sizeMiB ?? DEFAULT_SIZE_MIB) * 1024 * 1024)
    const started = performance.now()
    await runTool(mkfs, kind === 'fat' ? [image] : ['-q', '-F', '-I', '128', image])
    timings.mkfsMs = performance.now() - started
    await mount(options.readOnly ?? false)
  } catch (error) {
    await rm(dir, {recursive: true, force: true}).catch(() => undefined)
    throw error
  }
  let mounted = true
  let removed = false
  const unmount = async (): Promise<void> => {
    if (mounted) await unmountAt(mountPoint, fuse)
    mounted = false
  }
  return {
    kind,
    mountPoint,
    image,
    timings,
    unmount,
    async mount(again = {}) {
      if (mounted || removed) throw new Error(`the ${kind} image ${image} is ${removed ? 'removed' : 'already mounted'}`)
      await mount(again.readOnly ?? false)
      mounted = true
    },
    async remove() {
      await unmount()
      if (!removed) await rm(dir, {recursive: true, force: true})
      removed = true
    },
  }
}

/** A fresh image for one test, unmounted and removed when it ends. */
export async function mountImageForTest(t: TestContext, kind: ImageKind, options: ImageOptions = {}): Promise<MountedImage> {
  const image = await mountImage(kind, options)
  t.after(() => image.remove())
  return image
}

/**
 * One image shared by the tests of the enclosing `describe` (mounted before the first,
 * removed after the last). Returns a getter, since the image exists only once they run.
 */
export function imageForSuite(kind: ImageKind, options: ImageOptions = {}): () => MountedImage {
  let image: MountedImage | undefined
  before(async () => {
    image = await mountImage(kind, options)
  })
  after(() => image?.remove())
  return () => {
    if (!image) throw new Error(`the ${kind} image is not mounted: use it inside a test of its describe`)
    return image
  }
}
