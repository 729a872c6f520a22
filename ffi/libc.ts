/**
 * glibc's malloc_trim through Deno.dlopen, for MEMORY PURGE: V8 allocates ArrayBuffers with
 * malloc, and glibc keeps freed chunks below its mmap threshold in each thread's arena until
 * asked to give them back (Redis's MEMORY PURGE asks jemalloc the same). Where libc.so.6 is not
 * there (not Linux, or not glibc) it does nothing.
 */

type Libc = Deno.DynamicLibrary<{ malloc_trim: { parameters: ["usize"]; result: "i32" } }>;

let libc: Libc | null | undefined;

/** Returns memory freed by malloc to the system; false where that is not available. */
export function mallocTrim(): boolean {
  if (libc === undefined) {
    try {
      libc = Deno.build.os === "linux"
        ? Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } })
        : null;
    } catch {
      libc = null;
    }
  }
  if (libc === null) return false;
  libc.symbols.malloc_trim(0n);
  return true;
}
