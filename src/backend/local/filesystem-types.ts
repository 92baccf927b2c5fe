import {FULL_CAPABILITIES, type Capabilities} from '../capabilities.js'

/**
 * What a local root keeps, told by its filesystem type alone: used only when the root
 * cannot be probed (the process cannot write it: a read-only source, a read-only mount).
 * Types are as `/proc/self/mountinfo` names them.
 *
 * | type                                   | mtime  | modes | symlinks | case-sensitive |
 * | -------------------------------------- | ------ | ----- | -------- | -------------- |
 * | vfat, msdos, fat, fuse.fusefat, fuse.fatfs | 2 s | no   | no       | no             |
 * | exfat, fuse.exfat                      | 10 ms  | no    | no       | no             |
 * | ntfs, ntfs3, fuse.ntfs-3g              | 100 ns | no    | yes      | yes            |
 * | fuseblk                                | 10 ms  | no    | no       | no             |
 * | hfsplus                                | 1 s    | yes   | yes      | no             |
 * | iso9660, squashfs                      | 1 s    | yes   | yes      | yes            |
 * | udf                                    | 1 µs   | yes   | yes      | yes            |
 * | anything else (ext4, xfs, btrfs, tmpfs, nfs, …) | 1 ns | yes | yes  | yes            |
 *
 * `fuseblk` is what both ntfs-3g and exfat-fuse mount as, so it gets what both keep.
 * The table cannot see an ext2/3/4 filesystem's inode size: a read-only one made with
 * `mkfs.ext4 -I 128` keeps whole seconds but is taken for nanoseconds here.
 */
const LIMITED_TYPES: ReadonlyMap<string, Partial<Capabilities>> = new Map(
  (
    [
      [['vfat', 'msdos', 'fat', 'fuse.fusefat', 'fuse.fatfs'], {mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false}],
      [['exfat', 'fuse.exfat', 'fuseblk'], {mtimePrecisionNs: 10_000_000, modes: false, symlinks: false, caseSensitive: false}],
      [['ntfs', 'ntfs3', 'fuse.ntfs-3g'], {mtimePrecisionNs: 100, modes: false}],
      [['hfsplus'], {mtimePrecisionNs: 1e9, caseSensitive: false}],
      [['iso9660', 'squashfs'], {mtimePrecisionNs: 1e9}],
      [['udf'], {mtimePrecisionNs: 1_000}],
    ] as const
  ).flatMap(([types, limits]) => types.map((type) => [type, limits] as [string, Partial<Capabilities>])),
)

/** The capabilities the table above gives a filesystem type (full ones for a type it does not list). */
export function capabilitiesOfFilesystemType(fsType: string): Capabilities {
  return {...FULL_CAPABILITIES, ...LIMITED_TYPES.get(fsType)}
}
