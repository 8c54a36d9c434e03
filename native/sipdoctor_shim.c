/*
 * sipdoctor shim: the restore half of `sipdoctor run` (docs/reinjection.md). One multi-call program, linked
 * into a shim directory under the names of the programs a benchmark reaches by a PATH lookup after a
 * SIP-protected hop. dyld prunes only variables whose names begin with DYLD_, and only as a restricted
 * process starts (dyld/DyldProcessConfig.cpp pruneEnvVars), so `sipdoctor run` saves each one as
 * SIPDOCTOR_SAVED_<NAME>. On each exec, the shim:
 *   1. takes the name it was run as (the path given to exec, not argv[0], which callers may set freely);
 *   2. finds the real program by PATH search, skipping its own directory, any file that is itself (inode)
 *      and any other copy of a sipdoctor shim (marker below), so masquerade directories cannot loop;
 *      a pyenv/rbenv/nodenv/asdf shim found there is resolved to the real interpreter, as the version
 *      manager would, because those shims run through /usr/bin/env and bash, which strip again;
 *   3. puts back every saved variable missing from its environment, byte for byte, unless the target is
 *      protected (it would prune them again), cannot load the inserted libraries (architecture), or is on
 *      the skip list; a live variable refreshes its saved copy;
 *   4. appends one event line to $SIPDOCTOR_REINJECT_LOG;
 *   5. execve()s the target in place: same pid, stdio, signals and exit status; never through /usr/bin/env.
 * Built ad-hoc signed without the hardened runtime on macOS, so dyld keeps DYLD_* in the shim itself.
 *
 * Event line (parsed by sipdoctor/trace/shim_events.py; keep the two in sync), fields escaped as in the probe:
 *   shim \t pid \t ppid \t clock_ns \t name \t target \t outcome \t detail
 * outcome: restored (detail: the names put back), present (nothing was missing), skipped (detail: why),
 * nothing-saved, not-found, exec-failed (detail: the error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef __APPLE__
#include <mach-o/dyld.h>
#include <sys/sysctl.h>
#define INJECT_VAR "DYLD_INSERT_LIBRARIES"
#define SF_RESTRICTED_FLAG 0x00080000 /* <sys/stat.h> SF_RESTRICTED */
#else
#include <sys/auxv.h>
#define INJECT_VAR "LD_PRELOAD"
#endif

#define SAVED_PREFIX "SIPDOCTOR_SAVED_"    /* sipdoctor/reinject/environment.py */
#define DIR_VAR "SIPDOCTOR_REINJECT"       /* the shim directory */
#define LOG_VAR "SIPDOCTOR_REINJECT_LOG"   /* where events go */
#define SKIP_VAR "SIPDOCTOR_REINJECT_SKIP" /* program names to leave alone, ':'-separated */
#define SEEN_VAR "SIPDOCTOR_SHIM_SEEN"     /* pid:name:index of the PATH entry this process already ran */
#define EMULATE_VAR "SIPDOCTOR_EMULATE_SIP" /* Linux --emulate-sip: the protected-path list */
#define HEAD_MAX 4096
#define MARKER_SCAN_MAX (512 * 1024) /* a shim is a few tens of KB; real programs are larger or not scanned */

/* Any copy of this program carries the marker, however it was linked or copied. */
__attribute__((used)) static const char SHIM_MARKER[] = "sipdoctor-reinject-shim-marker-1";

extern char **environ;

struct shim {
    const char *name;       /* the name we were run as */
    char own_dir[PATH_MAX]; /* realpath of the shim directory */
    struct stat self;       /* our own executable */
    char target[PATH_MAX];
    int target_index;       /* PATH entry the target was found in, -1 if not from PATH */
    char via[PATH_MAX];     /* a version manager's shim resolved past, or empty */
};

/* ---------------------------------------------------------------------------------------------------
 * Small helpers
 */
static const char *env_get(char **envp, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=') return envp[i] + n + 1;
    return NULL;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int in_list(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

static int read_head(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t got = read(fd, buf, size - 1);
    close(fd);
    if (got < 0) return -1;
    buf[got] = 0;
    return (int)got;
}

static int executable_file(const char *path, struct stat *st) {
    return stat(path, st) == 0 && S_ISREG(st->st_mode) && access(path, X_OK) == 0;
}

/* ---------------------------------------------------------------------------------------------------
 * Events
 */
static void put_field(FILE *out, const char *s) {
    fputc('\t', out);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\') fprintf(out, "\\x%02x", c);
        else fputc(c, out);
    }
}

static void log_event(char **envp, const struct shim *sh, const char *outcome, const char *detail) {
    const char *path = env_get(envp, LOG_VAR);
    if (!path || !*path) return;
    char line[8192];
    FILE *out = fmemopen(line, sizeof line - 1, "w");
    if (!out) return;
    struct timespec ts;
#ifdef __APPLE__
    clock_gettime(CLOCK_MONOTONIC, &ts);
#else
    clock_gettime(CLOCK_BOOTTIME, &ts);
#endif
    fprintf(out, "shim\t%ld\t%ld\t%lld", (long)getpid(), (long)getppid(),
            (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    put_field(out, sh->name);
    put_field(out, sh->target);
    put_field(out, outcome);
    put_field(out, detail);
    fputc('\n', out);
    long len = ftell(out);
    fclose(out);
    if (len <= 0 || line[len - 1] != '\n') return; /* cut by the buffer: drop rather than tear a line */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ssize_t rc;
    do rc = write(fd, line, (size_t)len); /* one write, O_APPEND: lines of concurrent shims never mix */
    while (rc < 0 && errno == EINTR);
    close(fd);
}

/* ---------------------------------------------------------------------------------------------------
 * Who we are
 */
static void own_identity(struct shim *sh, int argc, char **argv, char **apple) {
    const char *execfn = NULL;
#ifdef __APPLE__
    for (size_t i = 0; apple && apple[i]; i++) /* the path as passed to exec */
        if (strncmp(apple[i], "executable_path=", 16) == 0) execfn = apple[i] + 16;
    char self[PATH_MAX];
    uint32_t size = sizeof self;
    if (_NSGetExecutablePath(self, &size) != 0 || stat(self, &sh->self) != 0) memset(&sh->self, 0, sizeof sh->self);
#else
    (void)apple;
    execfn = (const char *)getauxval(AT_EXECFN);
    if (stat("/proc/self/exe", &sh->self) != 0) memset(&sh->self, 0, sizeof sh->self);
#endif
    if (!execfn || !*execfn) execfn = argc > 0 ? argv[0] : "";
    sh->name = base_name(execfn);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", execfn);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    const char *named = env_get(environ, DIR_VAR);
    if (!realpath(named && *named ? named : dir, sh->own_dir)) sh->own_dir[0] = 0;
}

/* A file that is this shim: the same inode, or another copy of a sipdoctor shim (a second shim directory on
 * PATH, a copy made where hard links fail). */
static int is_a_shim(const struct shim *sh, const char *path, const struct stat *st) {
    if (st->st_dev == sh->self.st_dev && st->st_ino == sh->self.st_ino) return 1;
    if (st->st_size <= 0 || st->st_size > MARKER_SCAN_MAX) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char *buf = malloc((size_t)st->st_size);
    ssize_t got = buf ? read(fd, buf, (size_t)st->st_size) : -1;
    close(fd);
    int found = got > 0 && memmem(buf, (size_t)got, SHIM_MARKER, sizeof SHIM_MARKER - 1) != NULL;
    free(buf);
    return found;
}

/* ---------------------------------------------------------------------------------------------------
 * PATH search. `skip_dir` (a version manager's shims directory) is passed over too. Entries before
 * `from` are not considered (a process that re-enters a shim continues after the entry it ran).
 */
static int same_dir(const char *entry, const char *resolved) {
    char real[PATH_MAX];
    return resolved && *resolved && realpath(entry, real) && strcmp(real, resolved) == 0;
}

static int path_search(const struct shim *sh, const char *name, const char *skip_dir, int from, char *out,
                       int *index) {
    const char *path = env_get(environ, "PATH");
    if (!path) path = "/usr/bin:/bin";
    int i = 0;
    for (const char *p = path;; i++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char dir[PATH_MAX];
        if (len < sizeof dir) {
            memcpy(dir, p, len);
            dir[len] = 0;
            if (len == 0) snprintf(dir, sizeof dir, "."); /* an empty entry is the current directory */
            struct stat st;
            if (i >= from && !same_dir(dir, sh->own_dir) && !same_dir(dir, skip_dir) &&
                (size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX && executable_file(out, &st) &&
                !is_a_shim(sh, out, &st)) {
                *index = i;
                return 1;
            }
        }
        if (!end) return 0;
        p = end + 1;
    }
}

/* ---------------------------------------------------------------------------------------------------
 * Version managers: pyenv/rbenv/nodenv shims (`exec "$ROOT/libexec/pyenv" exec "$program" "$@"`, pyenv
 * libexec/pyenv-rehash) and asdf shims (`exec asdf exec "python3" "$@"`, asdf command-reshim) are bash
 * scripts started by /usr/bin/env: both strip. Resolve them as the manager does (sipdoctor/chains/versions.py
 * predicts the same): the version variable, else the version file upwards from the working directory, else
 * the root's global `version` file, else "system" (the next program on PATH after the manager's shims).
 */
struct manager {
    const char *tool, *root_var, *default_root, *version_var, *version_file;
};

static const struct manager MANAGERS[] = {
    {"pyenv", "PYENV_ROOT", ".pyenv", "PYENV_VERSION", ".python-version"},
    {"rbenv", "RBENV_ROOT", ".rbenv", "RBENV_VERSION", ".ruby-version"},
    {"nodenv", "NODENV_ROOT", ".nodenv", "NODENV_VERSION", ".node-version"},
};

/* The value of `export VAR="value"` in a script head, copied into out. */
static int exported_value(const char *head, const char *var, char *out, size_t size) {
    char key[64];
    snprintf(key, sizeof key, "export %s=\"", var);
    const char *at = strstr(head, key);
    if (!at) return 0;
    at += strlen(key);
    const char *end = strchr(at, '"');
    if (!end || (size_t)(end - at) >= size) return 0;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = 0;
    return 1;
}

static void home_path(char *out, size_t size, const char *rest) {
    const char *home = env_get(environ, "HOME");
    snprintf(out, size, "%s/%s", home ? home : "", rest);
}

/* The first file named `name` in `start` or a parent; its words go to `words`. */
static int version_words(const char *start, const char *name, char *words, size_t size) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", start);
    for (;;) {
        char file[PATH_MAX];
        if ((size_t)snprintf(file, sizeof file, "%s/%s", dir, name) < sizeof file && read_head(file, words, size) > 0)
            return 1;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            if (strcmp(dir, "/") == 0) return 0;
            snprintf(dir, sizeof dir, "/");
            continue;
        }
        *slash = 0;
    }
}

static int resolve_rbenv_like(struct shim *sh, const struct manager *m, const char *head, const char *script) {
    char root[PATH_MAX], words[HEAD_MAX], shims[PATH_MAX], cwd[PATH_MAX];
    const char *env_root = env_get(environ, m->root_var);
    if (!exported_value(head, m->root_var, root, sizeof root)) {
        if (env_root && *env_root) snprintf(root, sizeof root, "%s", env_root);
        else home_path(root, sizeof root, m->default_root);
    }
    const char *pinned = env_get(environ, m->version_var);
    if (pinned && *pinned) snprintf(words, sizeof words, "%s", pinned);
    else if (!(getcwd(cwd, sizeof cwd) && version_words(cwd, m->version_file, words, sizeof words))) {
        char global[PATH_MAX];
        if ((size_t)snprintf(global, sizeof global, "%s/version", root) >= sizeof global ||
            read_head(global, words, sizeof words) <= 0)
            snprintf(words, sizeof words, "system");
    }
    snprintf(shims, sizeof shims, "%s", script);
    char *slash = strrchr(shims, '/');
    if (slash) *slash = 0;
    for (char *save = NULL, *v = strtok_r(words, " \t\r\n:", &save); v; v = strtok_r(NULL, " \t\r\n:", &save)) {
        char candidate[PATH_MAX];
        struct stat st;
        int index;
        if (strcmp(v, "system") == 0) {
            if (path_search(sh, sh->name, shims, 0, candidate, &index)) {
                memcpy(sh->target, candidate, sizeof candidate);
                return 1;
            }
        } else if ((size_t)snprintf(candidate, sizeof candidate, "%s/versions/%s/bin/%s", root, v, sh->name) <
                       sizeof candidate && executable_file(candidate, &st)) {
            memcpy(sh->target, candidate, sizeof candidate);
            return 1;
        }
    }
    return 0;
}

static int tool_versions_in(const char *start, const char *data, const char *name, char *out) {
    char text[HEAD_MAX * 4];
    if (!version_words(start, ".tool-versions", text, sizeof text)) return 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char tool[256], version[256];
        struct stat st;
        if (sscanf(line, "%255s %255s", tool, version) == 2 &&
            (size_t)snprintf(out, PATH_MAX, "%s/installs/%s/%s/bin/%s", data, tool, version, name) < PATH_MAX &&
            executable_file(out, &st))
            return 1;
    }
    return 0;
}

static int resolve_asdf(struct shim *sh) {
    char data[PATH_MAX], cwd[PATH_MAX], home[PATH_MAX];
    const char *env_data = env_get(environ, "ASDF_DATA_DIR");
    if (env_data && *env_data) snprintf(data, sizeof data, "%s", env_data);
    else home_path(data, sizeof data, ".asdf");
    home_path(home, sizeof home, "");
    return (getcwd(cwd, sizeof cwd) && tool_versions_in(cwd, data, sh->name, sh->target)) ||
           tool_versions_in(home, data, sh->name, sh->target);
}

/* When sh->target is a version manager's shim, replace it by the program it would run. */
static void resolve_manager(struct shim *sh) {
    char head[HEAD_MAX];
    if (read_head(sh->target, head, sizeof head) < 2 || strncmp(head, "#!", 2) != 0) return;
    char script[PATH_MAX];
    memcpy(script, sh->target, sizeof script);
    for (size_t i = 0; i < sizeof MANAGERS / sizeof MANAGERS[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "/libexec/%s", MANAGERS[i].tool);
        const char *at = strstr(head, needle);
        if (at && strstr(at, " exec ") && resolve_rbenv_like(sh, &MANAGERS[i], head, script)) {
            snprintf(sh->via, sizeof sh->via, "%s shim %s", MANAGERS[i].tool, script);
            return;
        }
    }
    if (strstr(head, "asdf exec \"") && resolve_asdf(sh))
        snprintf(sh->via, sizeof sh->via, "asdf shim %s", script);
}

/* ---------------------------------------------------------------------------------------------------
 * Whether restoring makes sense for the target
 */

/* The protected test of --emulate-sip (Linux), the same as the probe's: the path as executed or resolved
 * is in the list. */
static int emulated_protected(const char *path) {
    const char *list = env_get(environ, EMULATE_VAR);
    if (!list || !*list) return 0;
    FILE *in = fopen(list, "re");
    if (!in) return 0;
    char real[PATH_MAX], line[PATH_MAX + 2];
    if (!realpath(path, real)) real[0] = 0;
    int hit = 0;
    while (!hit && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        hit = strcmp(line, path) == 0 || (real[0] && strcmp(line, real) == 0);
    }
    fclose(in);
    return hit;
}

/* Why the target would strip the variables again, or NULL: SIP's SF_RESTRICTED flag (macOS), setuid or
 * setgid (secure execution on both systems), --emulate-sip's list. */
static const char *protected_reason(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
#ifdef __APPLE__
    if (st.st_flags & SF_RESTRICTED_FLAG) return "protected: SIP-restricted file";
#endif
    if (st.st_mode & (S_ISUID | S_ISGID)) return "protected: setuid/setgid";
    if (emulated_protected(path)) return "protected: a macOS system binary (--emulate-sip)";
    return NULL;
}

/* The interpreter of a `#!` script (first word), or NULL. */
static int script_interpreter(const char *path, char *out, size_t size) {
    char head[512];
    if (read_head(path, head, sizeof head) < 3 || strncmp(head, "#!", 2) != 0) return 0;
    const char *p = head + 2;
    while (*p == ' ' || *p == '\t') p++;
    size_t len = strcspn(p, " \t\r\n");
    if (len == 0 || len >= size) return 0;
    memcpy(out, p, len);
    out[len] = 0;
    return 1;
}

/* Architectures: one (cputype, subtype) per Mach-O slice, (EI_CLASS, e_machine) for ELF. */
struct arches {
    int count;
    uint32_t cpu[8], sub[8];
    int elf;
};

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint32_t le32(const unsigned char *p) { return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0]; }

static int read_arches(const char *path, struct arches *a) {
    unsigned char h[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    a->count = 0;
    a->elf = 0;
    if (n >= 20 && memcmp(h, "\177ELF", 4) == 0) {
        a->elf = 1;
        a->count = 1;
        a->cpu[0] = h[4]; /* EI_CLASS */
        a->sub[0] = h[5] == 2 ? (uint32_t)(h[18] << 8 | h[19]) : (uint32_t)(h[19] << 8 | h[18]); /* e_machine */
        return 1;
    }
    if (n < 8) return 0;
    uint32_t magic = be32(h);
    if (magic == 0xCAFEBABE || magic == 0xCAFEBABF) { /* fat: big-endian fat_arch(_64) entries */
        uint32_t count = be32(h + 4);
        size_t entry = magic == 0xCAFEBABE ? 20 : 32;
        for (uint32_t i = 0; i < count && i < 8 && 8 + (i + 1) * entry <= (size_t)n; i++) {
            a->cpu[a->count] = be32(h + 8 + i * entry);
            a->sub[a->count++] = be32(h + 12 + i * entry) & 0x00FFFFFF;
        }
        return a->count > 0;
    }
    if (magic == 0xCFFAEDFE || magic == 0xCEFAEDFE) { /* thin, little-endian */
        a->cpu[0] = le32(h + 4);
        a->sub[0] = le32(h + 8) & 0x00FFFFFF;
        a->count = 1;
        return 1;
    }
    return 0;
}

#define CPU_X86_64 0x01000007u
#define CPU_ARM64 0x0100000Cu
#define SUB_ARM64E 2u

static int has_arch(const struct arches *a, uint32_t cpu, int arm64e) {
    for (int i = 0; i < a->count; i++)
        if (a->cpu[i] == cpu && (cpu != CPU_ARM64 || (a->sub[i] == SUB_ARM64E) == arm64e)) return 1;
    return 0;
}

/* The slice the kernel will run: the machine's own (arm64 before arm64e on Apple silicon, which runs
 * third-party arm64e only with a boot argument: libfaketime README.OSX), else x86_64 under Rosetta. */
static int running_slice(const struct arches *target, uint32_t *cpu, int *arm64e) {
    int apple_silicon = 0;
#ifdef __APPLE__
    int value = 0;
    size_t size = sizeof value;
    apple_silicon = sysctlbyname("hw.optional.arm64", &value, &size, NULL, 0) == 0 && value == 1;
#elif defined(__aarch64__)
    apple_silicon = 1;
#endif
    if (apple_silicon && has_arch(target, CPU_ARM64, 0)) *cpu = CPU_ARM64, *arm64e = 0;
    else if (apple_silicon && has_arch(target, CPU_ARM64, 1)) *cpu = CPU_ARM64, *arm64e = 1;
    else if (has_arch(target, CPU_X86_64, 0)) *cpu = CPU_X86_64, *arm64e = 0;
    else return 0;
    return 1;
}

/* A library the target cannot load (dyld: "terminating because inserted dylib ... could not be loaded":
 * an arm64 library in an arm64e or x86_64 process; ld.so: a library of another ELF class or machine). */
static const char *arch_mismatch(const char *target, const char *libraries, char *why, size_t size) {
    struct arches t, l;
    char interp[PATH_MAX];
    if (script_interpreter(target, interp, sizeof interp)) target = interp;
    if (!libraries || !read_arches(target, &t)) return NULL;
    char list[8192];
    snprintf(list, sizeof list, "%s", libraries);
    for (char *save = NULL, *lib = strtok_r(list, t.elf ? ": " : ":", &save); lib;
         lib = strtok_r(NULL, t.elf ? ": " : ":", &save)) {
        if (!read_arches(lib, &l) || l.elf != t.elf) continue;
        int ok;
        if (t.elf) {
            ok = l.cpu[0] == t.cpu[0] && l.sub[0] == t.sub[0];
        } else {
            uint32_t cpu;
            int arm64e;
            ok = !running_slice(&t, &cpu, &arm64e) || has_arch(&l, cpu, arm64e);
        }
        if (!ok) {
            snprintf(why, size, "architecture: %s cannot load %s", target, lib);
            return why;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------
 * The environment handed on
 */
static int prunable(const char *entry) {
    return strncmp(entry, "DYLD_", 5) == 0 || strncmp(entry, INJECT_VAR "=", sizeof INJECT_VAR) == 0;
}

static int has_name(char **envp, size_t count, const char *entry) {
    size_t n = strcspn(entry, "=");
    for (size_t i = 0; i < count; i++)
        if (strncmp(envp[i], entry, n) == 0 && envp[i][n] == '=') return 1;
    return 0;
}

/* Build the child's environment into `out` (room for 2 * environ + 8 entries); `restored` lists the names
 * put back. skip != NULL: nothing is put back. */
static char **child_env(char **out, const char *skip, char *restored, size_t rsize, const char *seen) {
    size_t n = 0, saved_len = strlen(SAVED_PREFIX);
    restored[0] = 0;
    for (size_t i = 0; environ[i]; i++)
        if (strncmp(environ[i], SEEN_VAR "=", sizeof SEEN_VAR) != 0) out[n++] = environ[i];
    size_t live = n;
    /* A live variable refreshes its saved copy: it is what an unprotected parent handed on. */
    for (size_t i = 0; i < live; i++) {
        if (!prunable(out[i])) continue;
        size_t len = strlen(out[i]);
        char *copy = malloc(saved_len + len + 1);
        if (!copy) continue;
        memcpy(copy, SAVED_PREFIX, saved_len);
        memcpy(copy + saved_len, out[i], len + 1);
        size_t name_len = strcspn(out[i], "=");
        size_t j;
        for (j = 0; j < n; j++)
            if (strncmp(out[j], copy, saved_len + name_len + 1) == 0) break;
        if (j < n) out[j] = copy;
        else out[n++] = copy;
    }
    for (size_t i = 0; i < n && !skip; i++) {
        if (strncmp(out[i], SAVED_PREFIX, saved_len) != 0) continue;
        const char *original = out[i] + saved_len; /* "NAME=value": the saved bytes themselves */
        if (!strchr(original, '=') || has_name(out, live, original)) continue;
        out[n++] = (char *)original;
        size_t used = strlen(restored);
        snprintf(restored + used, rsize - used, "%s%.*s", used ? "," : "", (int)strcspn(original, "="), original);
    }
    out[n] = NULL; /* env_get reads up to the NULL */
#ifdef __APPLE__
    /* Copies profilers keep themselves (samply's __XPC_ prefix, CodSpeed's SAMPLY_): used when nothing of
     * ours was saved, e.g. when `sipdoctor run` wraps the profiler instead of running under it. */
    if (!skip && !has_name(out, n, INJECT_VAR "=")) {
        const char *foreign = env_get(out, "SAMPLY_DYLD_INSERT_LIBRARIES");
        if (!foreign) foreign = env_get(out, "__XPC_DYLD_INSERT_LIBRARIES");
        char *entry = foreign ? malloc(strlen(foreign) + sizeof INJECT_VAR + 1) : NULL;
        if (entry) {
            sprintf(entry, INJECT_VAR "=%s", foreign);
            out[n++] = entry;
            size_t used = strlen(restored);
            snprintf(restored + used, rsize - used, "%s" INJECT_VAR, used ? "," : "");
        }
    }
#endif
    if (seen) out[n++] = (char *)seen;
    out[n] = NULL;
    return out;
}

/* ---------------------------------------------------------------------------------------------------
 * Main
 */

/* Where a process that already ran a shim under this name (an in-place re-exec: a ccache-style masquerade
 * directory, a wrapper that execs the same name) continues its PATH search. */
static int resume_index(const char *name) {
    const char *seen = env_get(environ, SEEN_VAR);
    long pid, index;
    int at = 0;
    if (!seen || sscanf(seen, "%ld:%ld:%n", &pid, &index, &at) != 2 || pid != (long)getpid()) return 0;
    return strcmp(seen + at, name) == 0 ? (int)index + 1 : 0;
}

static int find_target(struct shim *sh) {
    sh->target_index = -1;
    int from = resume_index(sh->name);
    if (!path_search(sh, sh->name, NULL, from, sh->target, &sh->target_index) &&
        !(from > 0 && path_search(sh, sh->name, NULL, 0, sh->target, &sh->target_index)))
        return 0;
    resolve_manager(sh);
    return 1;
}

static int shim_main(int argc, char **argv, char **apple) {
    struct shim sh;
    memset(&sh, 0, sizeof sh);
    own_identity(&sh, argc, argv, apple);
    if (!find_target(&sh)) {
        log_event(environ, &sh, "not-found", "no other program of this name on PATH");
        fprintf(stderr, "sipdoctor shim: %s: command not found (outside the shim directory %s)\n", sh.name,
                sh.own_dir);
        return 127;
    }
    char why[PATH_MAX + 64];
    const char *skip = NULL;
    const char *skip_list = env_get(environ, SKIP_VAR);
    if (in_list(skip_list, sh.name)) skip = "skip list ([tool.sipdoctor] reinject-skip)";
    if (!skip) skip = protected_reason(sh.target);
    char interp[PATH_MAX];
    if (!skip && script_interpreter(sh.target, interp, sizeof interp) && protected_reason(interp)) {
        snprintf(why, sizeof why, "protected interpreter %s (a shim below it restores)", interp);
        skip = why;
    }
    /* Both loaders' lists are read (each library is judged only against a target of its own format), so the
     * Mach-O test also runs, and is tested, on Linux. */
    static const char *const lists[][2] = {{"DYLD_INSERT_LIBRARIES", SAVED_PREFIX "DYLD_INSERT_LIBRARIES"},
                                           {"LD_PRELOAD", SAVED_PREFIX "LD_PRELOAD"}};
    for (size_t i = 0; !skip && i < sizeof lists / sizeof lists[0]; i++) {
        const char *libraries = env_get(environ, lists[i][0]);
        if (!libraries) libraries = env_get(environ, lists[i][1]);
        skip = arch_mismatch(sh.target, libraries, why, sizeof why);
    }

    size_t count = 0;
    while (environ[count]) count++;
    char **env = malloc((2 * count + 8) * sizeof *env);
    char seen[PATH_MAX + 64], restored[1024];
    snprintf(seen, sizeof seen, SEEN_VAR "=%ld:%d:%s", (long)getpid(), sh.target_index, sh.name);
    if (!env) {
        perror("sipdoctor shim");
        return 126;
    }
    child_env(env, skip, restored, sizeof restored, sh.target_index >= 0 ? seen : NULL);
    int any_saved = 0;
    for (size_t i = 0; env[i]; i++) any_saved |= strncmp(env[i], SAVED_PREFIX, sizeof SAVED_PREFIX - 1) == 0;
    char detail[sizeof why + PATH_MAX + 32];
    const char *suffix = sh.via[0] ? sh.via : "";
    if (skip) snprintf(detail, sizeof detail, "%s%s%s", skip, *suffix ? "; via " : "", suffix);
    else snprintf(detail, sizeof detail, "%s%s%s", restored, *suffix ? (*restored ? "; via " : "via ") : "", suffix);
    const char *outcome = skip ? "skipped" : restored[0] ? "restored" : any_saved ? "present" : "nothing-saved";
    log_event(environ, &sh, outcome, detail);

    execve(sh.target, argv, env);
    if (errno == ENOEXEC) { /* a script without #!: what execvp does, /bin/sh runs it */
        char **sh_argv = malloc(((size_t)argc + 2) * sizeof *sh_argv);
        if (sh_argv) {
            sh_argv[0] = (char *)"sh";
            sh_argv[1] = sh.target;
            for (int i = 1; i <= argc; i++) sh_argv[i + 1] = argv[i];
            execve("/bin/sh", sh_argv, env);
        }
    }
    int err = errno;
    log_event(environ, &sh, "exec-failed", strerror(err));
    fprintf(stderr, "sipdoctor shim: %s: %s\n", sh.target, strerror(err));
    return err == ENOENT ? 127 : 126;
}

#ifdef __APPLE__
int main(int argc, char **argv, char **envp, char **apple) {
    (void)envp;
    return shim_main(argc, argv, apple);
}
#else
int main(int argc, char **argv) { return shim_main(argc, argv, NULL); }
#endif
