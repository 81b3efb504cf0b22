// Reads what a native binary is built for from its header alone: ELF (Linux), Mach-O (macOS, also
// universal "fat" files) or PE (Windows), and the CPU architecture. For ELF it also tells glibc from
// musl by the program interpreter or libc named in the file (musl's is `ld-musl-*` / `libc.musl-*`).
// References: the ELF spec (e_ident, e_machine at 0x12: 0x3E x86-64, 0xB7 AArch64), <mach-o/loader.h>
// (MH_MAGIC_64 0xfeedfacf; CPU_TYPE_X86_64 0x01000007, CPU_TYPE_ARM64 0x0100000c; FAT_MAGIC 0xcafebabe),
// and Microsoft's PE format (e_lfanew at 0x3C, "PE\0\0", Machine 0x8664 AMD64, 0xAA64 ARM64).
import fs from 'node:fs';

/** @typedef {{ format: 'elf' | 'macho' | 'pe' | 'unknown', arch: 'x64' | 'arm64' | string, libc?: 'glibc' | 'musl' }} NativeFormat */

const ELF_MACHINE = { 0x3e: 'x64', 0xb7: 'arm64', 0x03: 'x86', 0x28: 'arm' };
const MACHO_CPU = { 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'x86', 12: 'arm' };
const PE_MACHINE = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'x86', 0x1c4: 'arm' };

/** @param {Buffer} b @returns {NativeFormat} */
export function nativeFormatOf(b) {
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const little = b[5] === 1;
    const machine = little ? b.readUInt16LE(0x12) : b.readUInt16BE(0x12);
    // The dynamic loader's or libc's name is in the file's strings (PT_INTERP / DT_NEEDED).
    const libc = b.includes('ld-musl-') || b.includes('libc.musl-') ? 'musl' : 'glibc';
    return { format: 'elf', arch: ELF_MACHINE[machine] ?? `elf-machine-0x${machine.toString(16)}`, libc };
  }
  if (b.length >= 8) {
    const magicLE = b.readUInt32LE(0);
    if (magicLE === 0xfeedfacf || magicLE === 0xfeedface) {
      const cpu = b.readUInt32LE(4);
      return { format: 'macho', arch: MACHO_CPU[cpu] ?? `macho-cpu-0x${cpu.toString(16)}` };
    }
    if (b.readUInt32BE(0) === 0xcafebabe) {
      // A fat file: report the architectures it holds, joined ("x64+arm64").
      const n = b.readUInt32BE(4);
      const archs = [];
      for (let i = 0; i < n && 8 + i * 20 + 4 <= b.length; i++) archs.push(MACHO_CPU[b.readUInt32BE(8 + i * 20)] ?? 'unknown');
      return { format: 'macho', arch: archs.join('+') };
    }
  }
  if (b.length >= 0x40 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (pe + 6 <= b.length && b.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = b.readUInt16LE(pe + 4);
      return { format: 'pe', arch: PE_MACHINE[machine] ?? `pe-machine-0x${machine.toString(16)}` };
    }
  }
  return { format: 'unknown', arch: 'unknown' };
}

/** @param {string} file */
export function nativeFormatOfFile(file) {
  return nativeFormatOf(fs.readFileSync(file));
}

/** Whether a file name is a native binary by its extension. */
export const isNativeFile = (name) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(name);
