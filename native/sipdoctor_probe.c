/*
 * sipdoctor probe: the library `sipdoctor trace` injects with LD_PRELOAD (Linux) or DYLD_INSERT_LIBRARIES
 * (macOS), exactly as a profiler injects its own. It only observes: it writes one line per event to
 * $SIPDOCTOR_TRACE_DIR/records.log and never changes what the program does.
 *
 * Events (the record format is parsed by sipdoctor/trace/records.py; keep the two in sync):
 *   every record:  kind \t pid \t ppid \t start \t cpu_us \t clock_ns
 *   load      + \t has_var \t exe \t execfn \t argc \t argv...   constructor: this image loaded the probe
 *   fork      (nothing more; cpu_us is 0: a new process has used none)   child side of fork()
 *   exec      + \t has_var \t path \t argc \t argv...            just before an exec call
 *   execfail  + \t errno                                          the exec call returned
 *   spawn     + \t has_var \t child_pid \t child_start \t path \t argc \t argv...   after posix_spawn*
 *   exit      (nothing more)                                       exit() or _exit()
 * `start` is the kernel's process start time on macOS (microseconds since the epoch, proc_pidinfo) and -1 on
 * Linux, where the tracer assigns it (see process_start); `clock_ns` is CLOCK_BOOTTIME on Linux, monotonic on
 * macOS. (pid, start) names a process even after pid reuse. `has_var` says whether the injection variable is
 * in the environment the image starts with. On Linux `exe` is the exec'd path resolved (a script's own path:
 * the tracer follows its #! line), or /proc/self/exe under --emulate-sip; it is left empty when `execfn` is
 * absolute, and the tracer resolves it (records.py): realpath() here costs ~5 us per process, a quarter of
 * the probe's whole cost on a `/bin/true` loop.
 * Fields are escaped: backslash, tab, newline and other control bytes become \xHH.
 *
 * Rules this file keeps, because the exec hooks may run in a vfork() or fork() child of a threaded program:
 *  - Async-signal-safe only on those paths: no malloc, no stdio, no locks. Records are formatted by hand
 *    into a stack buffer and written with open/write/close, all async-signal-safe syscalls (on Linux issued
 *    inline, so a record never touches errno).
 *  - A vfork child shares the parent's memory: the hooks write no global there except the real functions'
 *    addresses (the same in parent and child), and leave errno (shared with the parent thread) as it was.
 *  - The caller sees exactly the errno the real call left.
 *  - One record = one write() to a file opened with O_APPEND, and a record never exceeds RECORD_MAX
 *    (4096 = PIPE_BUF on Linux) so concurrent writers never interleave. The file is opened per record:
 *    keeping a descriptor open would collide with programs that close or dup2 over "their" descriptors.
 *  - The tracer creates records.log before it starts the command; the probe opens it without O_CREAT
 *    (a plain lookup, no directory lock). If it is missing or unwritable, open() fails and the probe stays
 *    silent.
 *
 * Cost: every process pays for loading the library and for its constructor and destructor, so on Linux
 * (measured with bench/bench_trace.py and a paired fork+exec loop on a 2-core VM; in a new process a page
 * fault or a lazy PLT binding costs 1.5-2 us, a system call 0.1-0.5 us):
 *  - the library is linked into two segments without RELRO (build.py): each extra segment or RELRO split
 *    is one more mapping to create, copy at fork and tear down at exit, ~10 us per process in all;
 *  - the record path calls nothing in libc: system calls inline, own string loops, no errno, so a new
 *    process binds no PLT entry and touches no libc page for us;
 *  - the real functions are looked up on a hook's first use, not in every constructor (see REAL below);
 *  - the mutable state is a few words and a short path, in the page the loader already wrote.
 * Tried and dropped, no gain above the noise: the fork record written by the parent after fork() returns
 * (it moves work off the child's path but not off the shell's, which waits for the child); a descriptor
 * kept open (~0.3-0.5 us saved per record, for an fd the program can see and close or dup2 over); a tmpfs
 * trace directory (open is slower there, write faster).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef __APPLE__
#include <libproc.h>
#include <sys/proc_info.h>
#define INJECT_VAR "DYLD_INSERT_LIBRARIES"
#else
#include <sys/auxv.h>
#include <sys/syscall.h>
#define INJECT_VAR "LD_PRELOAD"
#endif

#define TRACE_DIR_VAR "SIPDOCTOR_TRACE_DIR"   /* sipdoctor/trace/runner.py */
#define EMULATE_VAR "SIPDOCTOR_EMULATE_SIP"   /* sipdoctor/trace/emulate.py */
#define RECORDS_NAME "/records.log"           /* sipdoctor/trace/records.py */
#define RECORD_MAX 4096
#define ARG_ROOM 64 /* bytes kept free at the end of a record for the newline */

extern char **environ;

/* ---------------------------------------------------------------------------------------------------
 * The system calls a record needs, returning -errno on failure. Linux: issued inline. The first call of a
 * libc function costs a new process its lazy PLT binding (~1.5 us measured, more than the call itself) and
 * each one would set errno, which the hooks would then have to save and restore through another binding.
 * macOS: libc (raw system calls are not a stable interface there); the hooks keep errno around them.
 */
#ifdef __APPLE__
static long sys_result(long rc) { return rc < 0 ? -errno : rc; }
static pid_t sys_getpid(void) { return getpid(); }
static pid_t sys_getppid(void) { return getppid(); }
static int sys_getrusage(int who, struct rusage *ru) { return (int)sys_result(getrusage(who, ru)); }
static int sys_clock_gettime(clockid_t id, struct timespec *ts) { return (int)sys_result(clock_gettime(id, ts)); }
static int sys_open(const char *path, int flags) { return (int)sys_result(open(path, flags)); }
static long sys_write(int fd, const void *buf, size_t n) { return sys_result(write(fd, buf, n)); }
static int sys_close(int fd) { return (int)sys_result(close(fd)); }
static int sys_access(const char *path, int mode) { return (int)sys_result(access(path, mode)); }
#define ERRNO_SAVE(var) int var = errno
#define ERRNO_RESTORE(var) (errno = var)
#else
#if defined(__x86_64__)
static long linux_syscall(long n, long a, long b, long c, long d) {
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static long linux_syscall(long n, long a, long b, long c, long d) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
#else
/* Other architectures: libc's wrapper, with errno put back as the inline versions leave it. */
static long linux_syscall(long n, long a, long b, long c, long d) {
    int saved = errno;
    long rc = syscall(n, a, b, c, d);
    if (rc == -1) rc = -errno;
    errno = saved;
    return rc;
}
#endif
#define SYSCALL(n, a, b, c, d) linux_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d))
static pid_t sys_getpid(void) { return (pid_t)SYSCALL(SYS_getpid, 0, 0, 0, 0); }
static pid_t sys_getppid(void) { return (pid_t)SYSCALL(SYS_getppid, 0, 0, 0, 0); }
static int sys_getrusage(int who, struct rusage *ru) { return (int)SYSCALL(SYS_getrusage, who, ru, 0, 0); }
static int sys_clock_gettime(clockid_t id, struct timespec *ts) {
    return (int)SYSCALL(SYS_clock_gettime, id, ts, 0, 0); /* the vDSO's first use faults in its vvar page */
}
static int sys_open(const char *path, int flags) { /* SYS_open does not exist on arm64 */
    return (int)SYSCALL(SYS_openat, AT_FDCWD, path, flags, 0);
}
static long sys_write(int fd, const void *buf, size_t n) { return SYSCALL(SYS_write, fd, buf, n, 0); }
static int sys_close(int fd) { return (int)SYSCALL(SYS_close, fd, 0, 0, 0); }
static int sys_access(const char *path, int mode) { return (int)SYSCALL(SYS_faccessat, AT_FDCWD, path, mode, 0); }
static long sys_readlink(const char *path, char *buf, size_t size) {
    return SYSCALL(SYS_readlinkat, AT_FDCWD, path, buf, size);
}
#define ERRNO_SAVE(var) ((void)0) /* nothing on the record path touches errno */
#define ERRNO_RESTORE(var) ((void)0)
#endif

/* ---------------------------------------------------------------------------------------------------
 * String helpers: byte loops instead of libc's strlen/memcpy/strncmp, which would each cost a lazy binding
 * (and an IFUNC resolver call) in every new process. Records are short; speed per byte does not matter.
 * GCC and clang recognise such loops and turn them back into strlen/memcpy calls; OPAQUE hides the loop
 * variable from that analysis (tests/trace check the library's imports).
 */
#define OPAQUE(var) __asm__("" : "+r"(var))

static size_t text_len(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
        OPAQUE(n);
    }
    return n;
}

static void copy_bytes(char *to, const char *from, size_t n) {
    while (n--) {
        *to++ = *from++;
        OPAQUE(to);
    }
}

static int has_prefix(const char *s, const char *prefix) {
    while (*prefix)
        if (*s++ != *prefix++) return 0;
    return 1;
}

#ifndef __APPLE__
static int same_bytes(const char *a, const char *b, size_t n) {
    while (n--)
        if (*a++ != *b++) return 0;
    return 1;
}
#endif

/* The first `c` in s[0..end), or NULL. */
static const char *find_byte(const char *s, const char *end, char c) {
    for (; s < end; s++)
        if (*s == c) return s;
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------
 * State set once by the constructor (before main, single-threaded) and only read afterwards.
 */
static int g_enabled;       /* the trace directory was named: record events */
static int g_exit_recorded; /* written only by the destructor, never in a vfork child */
/* Short enough to share the page with the loader's own writes: a larger buffer would spill .bss into one
 * more mapping (sipdoctor/trace/runner.py keeps its trace directories shorter than TRACE_DIR_MAX). */
#define TRACE_DIR_MAX 512
static char g_records_path[TRACE_DIR_MAX + sizeof RECORDS_NAME];

/* ---------------------------------------------------------------------------------------------------
 * Real functions. Linux: the next definition after ours (dlsym RTLD_NEXT). macOS: dyld's __interpose
 * tuples (bottom of the file) route every other image to our hooks while calls from this image reach the
 * originals, so REAL(f) is just f.
 *
 * Linux looks them all up on the first hook call of the process, not in the constructor: most processes
 * never call a hook (a leaf like /bin/true only loads and exits) and nine lookups cost ~3 us each time.
 * dlsym takes the loader lock, which is safe where a hook can first run:
 *  - in the process itself, or a vfork child (it shares the parent's memory and lock; the lock's holder, if
 *    any, is another thread that keeps running and releases it);
 *  - in a child of fork(): our fork hook resolves in the parent first, and glibc's fork() (posix/fork.c)
 *    re-initialises GL(dl_load_lock) in every child anyway, which covers the library functions that fork
 *    internally (daemon()).
 * Two cases remain: a child made with a raw clone() or _Fork() by a multithreaded program, whose first hook
 * call is an exec, could find the lock held by a thread that no longer exists there (such programs bypass
 * libc's exec too as a rule: Go); and a program whose very first fork() or exec runs in a signal handler that
 * interrupted the loader in the same thread would look up symbols mid-update (the lock is recursive).
 * Racing stores write the same pointers, so atomic stores suffice; g_resolved is published last.
 */
#ifdef __APPLE__
#define HOOK(name) probe_##name
#define REAL(name) name
#define RESOLVE_REAL() ((void)0)
#else
#define HOOK(name) name
#define REAL(name) real_##name
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execv)(const char *, char *const[]);
static int (*real_execvp)(const char *, char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                               const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                                const posix_spawnattr_t *, char *const[], char *const[]);
static pid_t (*real_fork)(void);
static void (*real__exit)(int) __attribute__((noreturn));
static void (*real__Exit)(int) __attribute__((noreturn));

static int g_resolved;

/* What a hook calls when the loader has no next definition (the probe linked into a static program, a C
 * library without the function): the system call where there is one, else ENOSYS; never a jump to NULL. */
static int missing_execve(const char *path, char *const argv[], char *const envp[]) {
    errno = (int)-SYSCALL(SYS_execve, path, argv, envp, 0);
    return -1;
}
static int missing_execv(const char *path, char *const argv[]) { return missing_execve(path, argv, environ); }
static int missing_execvp(const char *file, char *const argv[]) {
    (void)file, (void)argv;
    errno = ENOSYS;
    return -1;
}
static int missing_execvpe(const char *file, char *const argv[], char *const envp[]) {
    (void)envp;
    return missing_execvp(file, argv);
}
static int missing_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                               const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    (void)pid, (void)path, (void)actions, (void)attr, (void)argv, (void)envp;
    return ENOSYS;
}
#define missing_posix_spawnp missing_posix_spawn
static pid_t missing_fork(void) {
    errno = ENOSYS;
    return -1;
}
__attribute__((noreturn)) static void missing__exit(int status) {
    for (;;) SYSCALL(SYS_exit_group, status, 0, 0, 0);
}
#define missing__Exit missing__exit

#define RESOLVE(name)                                                                                      \
    do {                                                                                                   \
        void *found_ = dlsym(RTLD_NEXT, #name);                                                            \
        __atomic_store_n(&real_##name, found_ ? (__typeof__(real_##name))found_ : missing_##name,          \
                         __ATOMIC_RELAXED);                                                                \
    } while (0)

static void resolve_real_functions(void) {
    if (__atomic_load_n(&g_resolved, __ATOMIC_ACQUIRE)) return;
    int saved = errno;
    RESOLVE(execve);
    RESOLVE(execv);
    RESOLVE(execvp);
    RESOLVE(execvpe);
    RESOLVE(posix_spawn);
    RESOLVE(posix_spawnp);
    RESOLVE(fork);
    RESOLVE(_exit);
    RESOLVE(_Exit);
    __atomic_store_n(&g_resolved, 1, __ATOMIC_RELEASE);
    errno = saved;
}
#define RESOLVE_REAL() resolve_real_functions()
#endif

/* ---------------------------------------------------------------------------------------------------
 * Record building: a fixed stack buffer, hand-written formatting (snprintf is not async-signal-safe).
 */
struct record {
    size_t len;
    int full; /* an argument did not fit: later fields are dropped, argc still tells the real count */
    char data[RECORD_MAX]; /* last: a short record touches one stack page, not the buffer's both ends */
};

static void put_raw(struct record *r, const char *s, size_t n) {
    if (r->full || r->len + n > RECORD_MAX - ARG_ROOM) {
        r->full = 1;
        return;
    }
    copy_bytes(r->data + r->len, s, n);
    r->len += n;
}

static void put_tab(struct record *r) { put_raw(r, "\t", 1); }

static void put_text(struct record *r, const char *s) {
    static const char hex[] = "0123456789abcdef";
    char esc[4] = {'\\', 'x', 0, 0};
    if (!s) s = "";
    size_t start = r->len;
    for (; *s && !r->full; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\') {
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 15];
            put_raw(r, esc, 4);
        } else {
            put_raw(r, (const char *)&c, 1);
        }
    }
    if (r->full) r->len = start; /* never leave half a field */
}

static void put_i64(struct record *r, long long v) {
    char buf[24];
    size_t i = sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[--i] = '-';
    put_raw(r, buf + i, sizeof buf - i);
}

/* argc is the real count, which may exceed the entries in argv (Linux: /proc/self/cmdline beyond the
 * buffer); the parser tells a cut record by argc > fields. */
static void put_argv_counted(struct record *r, char *const argv[], long long argc) {
    put_tab(r);
    put_i64(r, argc);
    for (long long i = 0; i < argc && argv[i] && !r->full; i++) {
        size_t before = r->len;
        put_tab(r);
        put_text(r, argv[i]);
        if (r->full) r->len = before;
    }
}

static void put_argv(struct record *r, char *const argv[]) {
    long long argc = 0;
    while (argv && argv[argc]) argc++;
    put_argv_counted(r, argv, argc);
}

/* ---------------------------------------------------------------------------------------------------
 * Facts about the calling process, each readable from a vfork child: syscalls and stack buffers only.
 */
static long long cpu_microseconds(void) {
    struct rusage ru;
    if (sys_getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

/* Linux: CLOCK_BOOTTIME, the clock /proc/<pid>/stat's start times count in, so the tracer can tell which
 * process a record belongs to (a system call on Linux: see sys_clock_gettime). */
static long long clock_ns(void) {
    struct timespec ts;
#ifdef __APPLE__
    if (sys_clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return -1;
#else
    if (sys_clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return -1;
#endif
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#ifdef __APPLE__
static long long process_start(pid_t pid) {
    struct proc_bsdinfo info;
    if (proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &info, sizeof info) != (int)sizeof info) return -1;
    return (long long)info.pbi_start_tvsec * 1000000LL + (long long)info.pbi_start_tvusec;
}
#else
/* Not read on Linux: the first /proc access of a new process costs about 10 microseconds, the largest part
 * of the probe's cost, so the tracer assigns start times from its observations and the records' clock
 * (sipdoctor/trace/records.py assign_starts). */
static long long process_start(pid_t pid) {
    (void)pid;
    return -1;
}
#endif

/* Our own lookups in `environ`: programs such as bash define their own getenv/unsetenv, which would
 * interpose on ours and answer from state that does not exist yet while constructors run. */

/* The value of `entry` if it is NAME=value, else NULL. A byte loop: most entries differ at the first byte. */
static const char *env_value(const char *entry, const char *name) {
    while (*name && *entry == *name) {
        entry++;
        name++;
    }
    return *name == 0 && *entry == '=' ? entry + 1 : NULL;
}

/* What the constructor needs from the environment, found in one pass. */
struct startup_env {
    const char *trace_dir;    /* TRACE_DIR_VAR: record events there */
    const char *emulate_list; /* EMULATE_VAR (Linux): the protected-path list for --emulate-sip */
    int has_var;              /* INJECT_VAR is still set */
};

static void scan_environment(struct startup_env *env) {
    const char *value;
    env->trace_dir = env->emulate_list = NULL;
    env->has_var = 0;
    for (size_t i = 0; environ && environ[i]; i++) { /* the first of duplicates wins, as in getenv */
        if ((value = env_value(environ[i], TRACE_DIR_VAR))) {
            if (!env->trace_dir) env->trace_dir = value;
        } else if (env_value(environ[i], INJECT_VAR)) {
            env->has_var = 1;
#ifndef __APPLE__
        } else if ((value = env_value(environ[i], EMULATE_VAR))) {
            if (!env->emulate_list && *value) env->emulate_list = value;
#endif
        }
    }
}

static const char *env_lookup(const char *name) {
    const char *value = NULL;
    for (size_t i = 0; environ && environ[i] && !value; i++) value = env_value(environ[i], name);
    return value;
}

#ifndef __APPLE__
/* Remove the injection variable and every DYLD_* entry in place, as dyld's pruneEnvVars removes every
 * DYLD_* entry: no allocation, and the process sees the change through `environ` and main's envp alike. */
static void env_prune(void) {
    size_t out = 0;
    for (size_t i = 0; environ && environ[i]; i++)
        if (!env_value(environ[i], INJECT_VAR) && !has_prefix(environ[i], "DYLD_")) environ[out++] = environ[i];
    if (environ) environ[out] = NULL;
}
#endif

static int env_has_var(char *const envp[]) {
    static const char key[] = INJECT_VAR "=";
    for (size_t i = 0; envp && envp[i]; i++)
        if (has_prefix(envp[i], key)) return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------
 * Writing: one record, one write().
 */
static void begin(struct record *r, const char *kind, long long cpu_us) {
    pid_t pid = sys_getpid();
    r->len = 0;
    r->full = 0;
    put_raw(r, kind, text_len(kind));
    put_tab(r);
    put_i64(r, pid);
    put_tab(r);
    put_i64(r, sys_getppid());
    put_tab(r);
    put_i64(r, process_start(pid));
    put_tab(r);
    put_i64(r, cpu_us);
    put_tab(r);
    put_i64(r, clock_ns());
}

static void emit(struct record *r) {
    r->data[r->len++] = '\n'; /* ARG_ROOM guarantees the space */
    int fd = sys_open(g_records_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    while (sys_write(fd, r->data, r->len) == -EINTR) {
    }
    sys_close(fd);
}

static void record_exit(void) {
    struct record r;
    begin(&r, "exit", cpu_microseconds());
    emit(&r);
}

/* The child side of fork(): its CPU time is 0, so no getrusage. */
static void record_fork(void) {
    struct record r;
    begin(&r, "fork", 0);
    emit(&r);
}

static void record_exec(const char *path, char *const argv[], char *const envp[]) {
    struct record r;
    begin(&r, "exec", cpu_microseconds());
    put_tab(&r);
    put_i64(&r, env_has_var(envp));
    put_tab(&r);
    put_text(&r, path);
    put_argv(&r, argv);
    emit(&r);
}

static void record_execfail(int err) {
    struct record r;
    begin(&r, "execfail", cpu_microseconds());
    put_tab(&r);
    put_i64(&r, err);
    emit(&r);
}

static void record_spawn(pid_t child, const char *path, char *const argv[], char *const envp[]) {
    struct record r;
    begin(&r, "spawn", cpu_microseconds());
    put_tab(&r);
    put_i64(&r, env_has_var(envp));
    put_tab(&r);
    put_i64(&r, child);
    put_tab(&r);
    put_i64(&r, process_start(child));
    put_tab(&r);
    put_text(&r, path);
    put_argv(&r, argv);
    emit(&r);
}

/* execvp and posix_spawnp search PATH themselves; to record the program that will run, repeat the search
 * with access(), which is async-signal-safe. Writes into `out` (PATH_MAX) and returns it, or `file`. */
static const char *search_path(const char *file, char *out) {
    size_t flen = file ? text_len(file) : 0;
    if (flen == 0 || find_byte(file, file + flen, '/')) return file;
    const char *path = env_lookup("PATH"); /* no lock, no allocation */
    if (!path) path = "/bin:/usr/bin";
    while (*path) {
        const char *end = find_byte(path, path + text_len(path), ':');
        size_t dlen = end ? (size_t)(end - path) : text_len(path);
        out[0] = 0; /* every branch below that builds no candidate leaves it empty, never unread */
        if (dlen == 0) {
            if (flen + 1 < PATH_MAX) copy_bytes(out, file, flen + 1);
        } else if (dlen + 1 + flen + 1 <= PATH_MAX) {
            copy_bytes(out, path, dlen);
            out[dlen] = '/';
            copy_bytes(out + dlen + 1, file, flen + 1);
        } else {
            out[0] = 0;
        }
        if (out[0] && sys_access(out, X_OK) == 0) return out;
        if (!end) break;
        path = end + 1;
    }
    return file;
}

/* ---------------------------------------------------------------------------------------------------
 * --emulate-sip (Linux only): a process whose executable macOS ships in a SIP-protected directory gets
 * what dyld gives it on a Mac: the injection variable and every DYLD_* variable are removed from its
 * environment and the library does nothing else there (dyld's pruneEnvVars, dyld/DyldProcessConfig.cpp; see
 * docs/macos-facts.md#prune). The list file holds one absolute path per line.
 */
#ifndef __APPLE__
static int list_contains(const char *list, size_t size, const char *path) {
    size_t plen = text_len(path);
    const char *p = list, *end = list + size;
    while (p < end) {
        const char *nl = find_byte(p, end, '\n');
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len == plen && same_bytes(p, path, plen)) return 1;
        p += len + 1;
    }
    return 0;
}

/* The path as executed (AT_EXECFN: /bin/bash) and as resolved (/proc/self/exe: /usr/bin/bash on Debian,
 * where /bin links to /usr/bin) are both checked. */
static int emulated_protected(const char *list_path, const char *exe, const char *execfn) {
    int saved = errno; /* --emulate-sip only: plain libc calls */
    int fd = open(list_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return 0;
    }
    struct stat st;
    int hit = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            hit = list_contains(map, (size_t)st.st_size, exe) ||
                  (execfn && execfn[0] == '/' && list_contains(map, (size_t)st.st_size, execfn));
            munmap(map, (size_t)st.st_size);
        }
    }
    close(fd);
    errno = saved;
    return hit;
}
#endif

/* ---------------------------------------------------------------------------------------------------
 * Load and exit.
 */
#ifdef __APPLE__
static void own_executable(char *exe, size_t size) {
    if (proc_pidpath(getpid(), exe, (uint32_t)size) <= 0) exe[0] = 0;
}
#else
/* The kernel's answer, /proc/self/exe, costs a cold /proc access (~9 us here); the exec'd path resolved is
 * the same file, or the script the kernel handed to its interpreter, which the tracer follows. An absolute
 * exec'd path is left for the tracer to resolve (exe stays empty: realpath's readlink per component costs
 * ~5 us); a relative one, or a name that only means something inside this process (/dev/fd/N after
 * fexecve, /proc/self/...), is resolved here with realpath(). --emulate-sip asks the kernel: it must see the
 * interpreter itself. Constructor context only (realpath may allocate). */
static int process_relative(const char *path) {
    return has_prefix(path, "/dev/") || has_prefix(path, "/proc/");
}

static void own_executable(char *exe, size_t size, const char *execfn, int exact) {
    exe[0] = 0;
    if (!exact && execfn && execfn[0] == '/' && !process_relative(execfn)) return;
    if (!exact && execfn && size >= PATH_MAX) {
        int saved = errno; /* realpath is libc's: relative exec'd paths are rare */
        const char *resolved = realpath(execfn, exe);
        errno = saved;
        if (resolved) return;
    }
    long n = sys_readlink("/proc/self/exe", exe, size - 1);
    exe[n > 0 ? n : 0] = 0;
}
#endif

#if !defined(__APPLE__) && !defined(__GLIBC__)
/* /proc/self/cmdline as an argv array pointing into `buf`: glibc passes argc/argv to constructors,
 * other C libraries (musl) do not. Arguments past the buffer are dropped; the record is capped anyway. */
static long long own_argv(char *buf, size_t size, char **argv, size_t max_args) {
    size_t n = 0;
    long long argc = 0;
    int saved = errno; /* not glibc: plain libc calls */
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd < 0 ? 0 : read(fd, buf, size - 1);
    if (got < 0) got = 0;
    buf[got] = 0;
    for (ssize_t i = 0; i < got; i += (ssize_t)text_len(buf + i) + 1) {
        if (i + (ssize_t)text_len(buf + i) >= got) break; /* cut by the buffer: counted below */
        if (n + 1 < max_args) argv[n++] = buf + i;
        argc++;
    }
    argv[n] = NULL;
    char rest[1024]; /* count the arguments past the buffer without keeping them */
    ssize_t more;
    while (fd >= 0 && got == (ssize_t)size - 1 && (more = read(fd, rest, sizeof rest)) > 0)
        for (ssize_t i = 0; i < more; i++) argc += rest[i] == 0;
    if (fd >= 0) close(fd);
    errno = saved;
    return argc;
}
#endif

/* The load record. Runs in the constructor: before main, one thread, so realpath and a large stack buffer
 * are fine here. */
static void record_load(const struct startup_env *env, const char *exe, const char *execfn, long long argc,
                        char *const argv[]) {
    size_t dlen = env->trace_dir ? text_len(env->trace_dir) : 0;
    if (dlen == 0 || dlen >= TRACE_DIR_MAX) return;
    copy_bytes(g_records_path, env->trace_dir, dlen);
    copy_bytes(g_records_path + dlen, RECORDS_NAME, sizeof RECORDS_NAME);
    g_enabled = 1;
    struct record r;
    begin(&r, "load", cpu_microseconds());
    put_tab(&r);
    put_i64(&r, env->has_var);
    put_tab(&r);
    put_text(&r, exe);
    put_tab(&r);
    put_text(&r, execfn);
    put_argv_counted(&r, argv, argc);
    emit(&r);
}

/* Each platform's constructor gathers argv, the path as executed and the executable, then records. A
 * process outside a trace (neither variable set) returns after one pass over the environment. */
#ifdef __APPLE__
__attribute__((constructor)) static void probe_load(int argc, char **argv, char **envp, char **apple) {
    (void)envp;
    int saved = errno;
    struct startup_env env;
    scan_environment(&env);
    if (env.trace_dir) {
        const char *execfn = "";
        for (size_t i = 0; apple && apple[i]; i++) /* apple[] carries the path as passed to exec */
            if (has_prefix(apple[i], "executable_path=")) execfn = apple[i] + 16;
        char exe[PROC_PIDPATHINFO_MAXSIZE];
        own_executable(exe, sizeof exe);
        record_load(&env, exe, execfn, argc, argv);
    }
    errno = saved;
}
#else
/* glibc passes argc/argv to constructors; other C libraries (musl) do not: read /proc/self/cmdline. */
#ifdef __GLIBC__
__attribute__((constructor)) static void probe_load(int argc, char **argv, char **envp) {
    (void)envp;
#define OWN_ARGV() ((void)0)
#else
__attribute__((constructor)) static void probe_load(void) {
    char argbuf[RECORD_MAX];
    char *argv[RECORD_MAX / 8];
    long long argc = 0;
#define OWN_ARGV() (argc = own_argv(argbuf, sizeof argbuf, argv, sizeof argv / sizeof argv[0]))
#endif
    struct startup_env env;
    scan_environment(&env);
    if (!env.trace_dir && !env.emulate_list) return;
    const char *execfn = (const char *)getauxval(AT_EXECFN); /* always there since Linux 2.6.26 */
    int emulating = env.emulate_list != NULL;
    char exe[PATH_MAX];
    own_executable(exe, sizeof exe, execfn, emulating);
    if (emulating && emulated_protected(env.emulate_list, exe, execfn)) {
        env_prune(); /* g_enabled stays 0: no record, no hooks */
        return;
    }
    OWN_ARGV();
    record_load(&env, exe, execfn, (long long)argc, argv);
}
#undef OWN_ARGV
#endif

__attribute__((destructor)) static void probe_unload(void) {
    if (!g_enabled || g_exit_recorded) return;
    ERRNO_SAVE(saved);
    g_exit_recorded = 1;
    record_exit();
    ERRNO_RESTORE(saved);
}

/* ---------------------------------------------------------------------------------------------------
 * Hooks. Each one records, calls the real function, records its failure and leaves errno exactly as the
 * real function did (on macOS the records' libc calls are bracketed by ERRNO_SAVE/ERRNO_RESTORE).
 */
static int exec_failed(int rc) {
    int err = errno;
    if (g_enabled) record_execfail(err);
    errno = err;
    return rc;
}

int HOOK(execve)(const char *path, char *const argv[], char *const envp[]) {
    RESOLVE_REAL();
    ERRNO_SAVE(saved);
    if (g_enabled) record_exec(path, argv, envp);
    ERRNO_RESTORE(saved);
    return exec_failed(REAL(execve)(path, argv, envp));
}

int HOOK(execv)(const char *path, char *const argv[]) {
    RESOLVE_REAL();
    ERRNO_SAVE(saved);
    if (g_enabled) record_exec(path, argv, environ);
    ERRNO_RESTORE(saved);
    return exec_failed(REAL(execv)(path, argv));
}

int HOOK(execvp)(const char *file, char *const argv[]) {
    RESOLVE_REAL();
    ERRNO_SAVE(saved);
    char found[PATH_MAX];
    if (g_enabled) record_exec(search_path(file, found), argv, environ);
    ERRNO_RESTORE(saved);
    return exec_failed(REAL(execvp)(file, argv));
}

#ifndef __APPLE__
int HOOK(execvpe)(const char *file, char *const argv[], char *const envp[]) {
    RESOLVE_REAL();
    ERRNO_SAVE(saved);
    char found[PATH_MAX];
    if (g_enabled) record_exec(search_path(file, found), argv, envp);
    ERRNO_RESTORE(saved);
    return exec_failed(REAL(execvpe)(file, argv, envp));
}
#endif

/* execl, execlp, execle: collect the variadic arguments into an array (on the stack up to STACK_ARGS, else an
 * anonymous mapping: a caller's argument count must not size a stack array, a thread's stack can be small)
 * and go through the matching hook above, which records and calls the real function. Never malloc. */
#define STACK_ARGS 256

static char **collect_args(const char *first, va_list *ap, char **on_stack, size_t *mapped) {
    va_list count_ap;
    va_copy(count_ap, *ap);
    size_t n_args = 1;
    while (va_arg(count_ap, char *)) n_args++;
    va_end(count_ap);
    char **args = on_stack;
    *mapped = 0;
    if (n_args + 1 > STACK_ARGS) {
        *mapped = (n_args + 1) * sizeof(char *);
        void *area = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
        if (area == MAP_FAILED) return NULL;
        args = area;
    }
    args[0] = (char *)first;
    for (size_t i = 1; i < n_args; i++) args[i] = va_arg(*ap, char *);
    args[n_args] = va_arg(*ap, char *); /* the terminating NULL, consumed so execle finds envp next */
    return args;
}

static int release_args(char **args, size_t mapped, int rc) {
    if (mapped) {
        ERRNO_SAVE(saved);
        munmap(args, mapped);
        ERRNO_RESTORE(saved);
    }
    return rc;
}

int HOOK(execl)(const char *path, const char *arg, ...) {
    char *on_stack[STACK_ARGS];
    size_t mapped;
    va_list ap;
    va_start(ap, arg);
    char **args = collect_args(arg, &ap, on_stack, &mapped);
    va_end(ap);
    if (!args) return errno = E2BIG, -1;
    return release_args(args, mapped, HOOK(execv)(path, args));
}

int HOOK(execlp)(const char *file, const char *arg, ...) {
    char *on_stack[STACK_ARGS];
    size_t mapped;
    va_list ap;
    va_start(ap, arg);
    char **args = collect_args(arg, &ap, on_stack, &mapped);
    va_end(ap);
    if (!args) return errno = E2BIG, -1;
    return release_args(args, mapped, HOOK(execvp)(file, args));
}

int HOOK(execle)(const char *path, const char *arg, ...) {
    char *on_stack[STACK_ARGS];
    size_t mapped;
    va_list ap;
    va_start(ap, arg);
    char **args = collect_args(arg, &ap, on_stack, &mapped);
    char **envp = args ? va_arg(ap, char **) : NULL;
    va_end(ap);
    if (!args) return errno = E2BIG, -1;
    return release_args(args, mapped, HOOK(execve)(path, args, envp));
}

#ifdef __APPLE__
/* POSIX_SPAWN_SETEXEC turns posix_spawn into an exec of the calling process. */
static int spawn_is_exec(const posix_spawnattr_t *attr) {
    short flags = 0;
    return attr && posix_spawnattr_getflags(attr, &flags) == 0 && (flags & POSIX_SPAWN_SETEXEC);
}
#else
static int spawn_is_exec(const posix_spawnattr_t *attr) {
    (void)attr;
    return 0;
}
#endif

/* posix_spawn reports failure in its return value; a spawn that succeeds is recorded with the child's pid,
 * and the path and argv the parent passed, which hold even if the child is stripped the moment it starts. */
static int spawn_common(int search, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    ERRNO_SAVE(saved);
    char found[PATH_MAX];
    const char *shown = search ? search_path(path, found) : path;
    int as_exec = g_enabled && spawn_is_exec(attr);
    if (as_exec) record_exec(shown, argv, envp);
    ERRNO_RESTORE(saved);
    pid_t local = 0;
    pid_t *out = pid ? pid : &local;
    int rc = search ? REAL(posix_spawnp)(out, path, actions, attr, argv, envp)
                    : REAL(posix_spawn)(out, path, actions, attr, argv, envp);
    ERRNO_SAVE(after);
    if (g_enabled && as_exec) record_execfail(rc);
    else if (g_enabled && rc == 0) record_spawn(*out, shown, argv, envp);
    ERRNO_RESTORE(after);
    return rc;
}

int HOOK(posix_spawn)(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                      const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    RESOLVE_REAL();
    return spawn_common(0, pid, path, actions, attr, argv, envp);
}

int HOOK(posix_spawnp)(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                       const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    RESOLVE_REAL();
    return spawn_common(1, pid, file, actions, attr, argv, envp);
}

/* fork: the child runs the same image with the probe already loaded, so it is profiled from here on. */
pid_t HOOK(fork)(void) {
    RESOLVE_REAL();
    pid_t pid = REAL(fork)();
    if (pid == 0 && g_enabled) {
        ERRNO_SAVE(saved);
        record_fork();
        ERRNO_RESTORE(saved);
    }
    return pid;
}

/* _exit skips destructors (fork children, os._exit), so it records the CPU time itself. It may run in a
 * vfork child that shares our memory, so it reads g_exit_recorded but never writes it. */
void HOOK(_exit)(int status) {
    RESOLVE_REAL();
    if (g_enabled && !g_exit_recorded) record_exit();
    REAL(_exit)(status);
}

void HOOK(_Exit)(int status) {
    RESOLVE_REAL();
    if (g_enabled && !g_exit_recorded) record_exit();
    REAL(_Exit)(status);
}

#ifdef __APPLE__
/* dyld interposing (mach-o/dyld-interposing.h): pairs of (replacement, original) in __DATA,__interpose. */
#define INTERPOSE(name)                                                                                    \
    __attribute__((used)) static const struct {                                                            \
        const void *replacement;                                                                           \
        const void *original;                                                                              \
    } interpose_##name __attribute__((section("__DATA,__interpose"))) = {(const void *)&probe_##name,      \
                                                                         (const void *)&name}

INTERPOSE(execve);
INTERPOSE(execv);
INTERPOSE(execvp);
INTERPOSE(execl);
INTERPOSE(execlp);
INTERPOSE(execle);
INTERPOSE(posix_spawn);
INTERPOSE(posix_spawnp);
INTERPOSE(fork);
INTERPOSE(_exit);
INTERPOSE(_Exit);
#endif
