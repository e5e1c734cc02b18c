/**
 * The Engine's architecture → Nova's architecture names (nova.objects.fields.
 * Architecture), for supported_instances and cpu_info. Docker reports `uname -m`
 * in /info ("x86_64", "aarch64") and Go's GOARCH in /version ("amd64", "arm64").
 */

const TO_NOVA: Readonly<Record<string, string>> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  x64: 'x86_64',
  i386: 'i686',
  i486: 'i686',
  i586: 'i686',
  i686: 'i686',
  '386': 'i686',
  x86: 'i686',
  aarch64: 'aarch64',
  arm64: 'aarch64',
  armv8l: 'aarch64',
  armv7l: 'armv7l',
  armv7: 'armv7l',
  armhf: 'armv7l',
  arm: 'armv7l',
  armv6l: 'armv6',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64el',
  mips64le: 'mips64el',
  loongarch64: 'loongarch64',
};

/** Nova's name for `arch`, or null when unknown (then no supported_instances can be reported). */
export function novaArchitecture(arch: string): string | null {
  return TO_NOVA[arch.trim().toLowerCase()] ?? null;
}
