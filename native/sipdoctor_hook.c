/*
 * sipdoctor exec hook: the opt-in library of `sipdoctor run --hook` (docs/reinjection.md). It is added to the
 * inserted libraries, so it loads wherever the profiler's library loads, and interposes execve, execv,
 * execvp, (Linux) execvpe, posix_spawn and posix_spawnp:
 *  - every variable saved as SIPDOCTOR_SAVED_<NAME> that is missing from the child's environment is put
 *    back (the saved bytes themselves; no allocation), and a child started with a clean environment gets the
 *    saved copies this process started with;
 *  - a variable this process started with and then removed itself (scalene pops DYLD_INSERT_LIBRARIES
 *    before it starts a browser) is a deliberate unset: it is not put back, and its saved copy is dropped
 *    from that child so no shim below resurrects it;
 *  - with SIPDOCTOR_HOOK_SHELL set, an exec of /bin/sh or /bin/bash by absolute path (node's shell: true,
 *    Python's shell=True, system(), popen()) runs that unprotected shell instead: SIP would strip at
 *    /bin/sh, and no PATH lookup follows that a shim could catch.
 * An exec by a sipdoctor shim (SIPDOCTOR_SHIM_SEEN names this pid) is passed through untouched: the shim
 * has already decided what to restore and what to skip (protected targets, architecture mismatches).
 *
 * The hooks may run in a vfork child: they allocate nothing (arrays on the stack), take no lock, and
 * leave errno as the real call leaves it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAVED_PREFIX "SIPDOCTOR_SAVED_" /* native/sipdoctor_shim.c */
#define SHELL_VAR "SIPDOCTOR_HOOK_SHELL"
#define SEEN_VAR "SIPDOCTOR_SHIM_SEEN"
#define MAX_SAVED 32
#ifdef __APPLE__
#define INJECT_VAR "DYLD_INSERT_LIBRARIES"
#else
#include <sys/auxv.h>
#define INJECT_VAR "LD_PRELOAD"
#endif
#define EMULATE_VAR "SIPDOCTOR_EMULATE_SIP" /* native/sipdoctor_probe.c */

extern char **environ;

/* What this process started with, copied by the constructor (before main: one thread, malloc is fine). */
static char *g_saved[MAX_SAVED]; /* "SIPDOCTOR_SAVED_NAME=value" */
static int g_started_with[MAX_SAVED]; /* NAME itself was set too */
static int g_count;
static char *g_shell;
static int g_inert; /* --emulate-sip: a process macOS protects, where dyld would not load this library */

#ifndef __APPLE__
/* The probe's --emulate-sip test (native/sipdoctor_probe.c emulated_protected): the path as executed or the
 * executable is in the list. */
static int emulated_protected(void) {
    const char *list = getenv(EMULATE_VAR);
    FILE *in = list && *list ? fopen(list, "re") : NULL;
    if (!in) return 0;
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    char exe[PATH_MAX], line[PATH_MAX + 2];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    int hit = 0;
    while (!hit && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        hit = strcmp(line, exe) == 0 || (execfn && strcmp(line, execfn) == 0);
    }
    fclose(in);
    return hit;
}
#endif

static size_t name_len(const char *entry) { return strcspn(entry, "="); }

static const char *env_find(char *const envp[], const char *name, size_t len) {
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=') return envp[i];
    return NULL;
}

__attribute__((constructor)) static void hook_load(void) {
#ifndef __APPLE__
    g_inert = emulated_protected();
    if (g_inert) return;
#endif
    size_t plen = sizeof SAVED_PREFIX - 1;
    for (size_t i = 0; environ && environ[i] && g_count < MAX_SAVED; i++) {
        if (strncmp(environ[i], SAVED_PREFIX, plen) != 0) continue;
        const char *original = environ[i] + plen;
        g_started_with[g_count] = env_find(environ, original, name_len(original)) != NULL;
        g_saved[g_count] = strdup(environ[i]);
        if (g_saved[g_count]) g_count++;
    }
    const char *shell = getenv(SHELL_VAR);
    if (shell && *shell == '/') g_shell = strdup(shell);
}

/* This process removed NAME itself after starting with it. */
static int unset_on_purpose(const char *original) {
    size_t len = name_len(original);
    for (int i = 0; i < g_count; i++) {
        const char *mine = g_saved[i] + sizeof SAVED_PREFIX - 1;
        if (name_len(mine) == len && strncmp(mine, original, len) == 0)
            return g_started_with[i] && !env_find(environ, original, len);
    }
    return 0;
}

static int active(void) { return !g_inert; }

static int from_shim(char *const envp[]) {
    const char *seen = env_find(envp, SEEN_VAR, sizeof SEEN_VAR - 1);
    return seen && strtol(seen + sizeof SEEN_VAR, NULL, 10) == (long)getpid();
}

/* Fill `out` (room for 2 * count(envp) + 2 * MAX_SAVED + 1) with the child's environment. */
static char *const *fixed_env(char *const envp[], char **out) {
    size_t n = 0, plen = sizeof SAVED_PREFIX - 1;
    if (!envp || from_shim(envp) || !active()) return envp;
    for (size_t i = 0; envp[i]; i++) {
        if (strncmp(envp[i], SAVED_PREFIX, plen) == 0 && unset_on_purpose(envp[i] + plen)) continue;
        out[n++] = envp[i];
    }
    out[n] = NULL; /* env_find reads `out` up to its NULL */
    for (int i = 0; i < g_count; i++) /* a clean environment: the copies this process started with */
        if (!env_find(out, g_saved[i], name_len(g_saved[i])) && !unset_on_purpose(g_saved[i] + plen)) {
            out[n++] = g_saved[i];
            out[n] = NULL;
        }
    for (size_t i = 0, end = n; i < end; i++) {
        if (strncmp(out[i], SAVED_PREFIX, plen) != 0) continue;
        const char *original = out[i] + plen;
        if (strchr(original, '=') && !env_find(out, original, name_len(original))) {
            out[n++] = (char *)original;
            out[n] = NULL;
        }
    }
    return out;
}

static size_t env_count(char *const envp[]) {
    size_t n = 0;
    while (envp && envp[n]) n++;
    return n;
}

static const char *shell_for(const char *path) {
    if (g_shell && path && active() && env_find(environ, INJECT_VAR, sizeof INJECT_VAR - 1) && (strcmp(path, "/bin/sh") == 0 || strcmp(path, "/bin/bash") == 0)) return g_shell;
    return path;
}

#define ROOM(envp) (2 * env_count(envp) + 2 * MAX_SAVED + 1)

#ifdef __APPLE__
#define HOOK(name) hook_##name
#define REAL(name) name
#else
#define HOOK(name) name
#define REAL(name) real_##name()
#define NEXT(name, type)                                                                                   \
    static type real_##name(void) {                                                                        \
        static type fn;                                                                                    \
        if (!fn) fn = (type)dlsym(RTLD_NEXT, #name);                                                       \
        return fn;                                                                                         \
    }
typedef int (*execve_t)(const char *, char *const[], char *const[]);
typedef int (*spawn_t)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                       char *const[], char *const[]);
NEXT(execve, execve_t)
NEXT(execvpe, execve_t)
NEXT(posix_spawn, spawn_t)
NEXT(posix_spawnp, spawn_t)
#endif

int HOOK(execve)(const char *path, char *const argv[], char *const envp[]) {
    char *room[ROOM(envp)];
    return REAL(execve)(shell_for(path), argv, fixed_env(envp, room));
}

int HOOK(execv)(const char *path, char *const argv[]) { return HOOK(execve)(path, argv, environ); }

#ifdef __APPLE__
/* macOS has no execvpe: execvp's PATH search (with its ENOEXEC fallback to /bin/sh) done here, each try an
 * execve with the fixed environment. `environ` is never swapped: in a vfork child that would leave the
 * parent's `environ` pointing into this frame. */
int HOOK(execvp)(const char *file, char *const argv[]) {
    char *room[ROOM(environ)];
    char *const *envp = fixed_env(environ, room);
    if (!file || !*file) {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/')) return REAL(execve)(shell_for(file), argv, envp);
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    int denied = 0;
    size_t flen = strlen(file);
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        char candidate[PATH_MAX];
        if (dlen + flen + 2 <= sizeof candidate) {
            if (dlen == 0) candidate[0] = '.', dlen = 1;
            else memcpy(candidate, p, dlen);
            candidate[dlen] = '/';
            memcpy(candidate + dlen + 1, file, flen + 1);
            REAL(execve)(candidate, argv, envp);
            if (errno == ENOEXEC) { /* a script without #!: run by the shell, as execvp does */
                size_t argc = 0;
                while (argv[argc]) argc++;
                char *sh_argv[argc + 2];
                sh_argv[0] = (char *)"sh";
                sh_argv[1] = candidate;
                for (size_t i = 1; i <= argc; i++) sh_argv[i + 1] = argv[i];
                return REAL(execve)(shell_for("/bin/sh"), sh_argv, envp);
            }
            if (errno == EACCES) denied = 1;
            else if (errno != ENOENT && errno != ENOTDIR) return -1;
        }
        if (!end) break;
        p = end + 1;
    }
    errno = denied ? EACCES : ENOENT;
    return -1;
}
#else
int HOOK(execvpe)(const char *file, char *const argv[], char *const envp[]) {
    char *room[ROOM(envp)];
    return REAL(execvpe)(strchr(file, '/') ? shell_for(file) : file, argv, fixed_env(envp, room));
}

int HOOK(execvp)(const char *file, char *const argv[]) { return HOOK(execvpe)(file, argv, environ); }
#endif

int HOOK(posix_spawn)(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                      const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    char *room[ROOM(envp)];
    return REAL(posix_spawn)(pid, shell_for(path), actions, attr, argv, fixed_env(envp, room));
}

int HOOK(posix_spawnp)(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                       const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    char *room[ROOM(envp)];
    return REAL(posix_spawnp)(pid, strchr(file, '/') ? shell_for(file) : file, actions, attr, argv,
                              fixed_env(envp, room));
}

#ifdef __APPLE__
/* dyld interposing (mach-o/dyld-interposing.h): pairs of (replacement, original) in __DATA,__interpose. */
#define INTERPOSE(name)                                                                                    \
    __attribute__((used)) static const struct {                                                            \
        const void *replacement;                                                                           \
        const void *original;                                                                              \
    } interpose_##name __attribute__((section("__DATA,__interpose"))) = {(const void *)&hook_##name,       \
                                                                         (const void *)&name}
INTERPOSE(execve);
INTERPOSE(execv);
INTERPOSE(execvp);
INTERPOSE(posix_spawn);
INTERPOSE(posix_spawnp);
#endif
