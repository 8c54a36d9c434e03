/* posix_spawn and posix_spawnp: success, not found, and errno around them. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

static void report(const char *what, int rc, pid_t pid) {
    int status = -1;
    int err = errno;
    if (rc == 0) waitpid(pid, &status, 0);
    printf("%s: rc=%d errno=%d status=%d\n", what, rc, err, rc == 0 ? WEXITSTATUS(status) : -1);
    fflush(stdout);
}

int main(void) {
    char *echo[] = {"echo", "spawned", NULL};
    char *no[] = {"no-such-program-xyz", NULL};
    char *true_argv[] = {"true", NULL};
    pid_t pid = 0;
    int rc;
    errno = 5;
    fflush(stdout);
    rc = posix_spawn(&pid, "/bin/echo", NULL, NULL, echo, environ);
    report("spawn", rc, pid);
    errno = 6;
    rc = posix_spawnp(&pid, "echo", NULL, NULL, echo, environ);
    report("spawnp", rc, pid);
    errno = 7;
    rc = posix_spawn(&pid, "/nonexistent/x", NULL, NULL, no, environ);
    report("missing", rc, pid);
    errno = 8;
    rc = posix_spawnp(&pid, "no-such-program-xyz", NULL, NULL, no, environ);
    report("missing-p", rc, pid);
    rc = posix_spawn(NULL, "/bin/true", NULL, NULL, true_argv, environ);
    printf("null-pid: rc=%d\n", rc);
    return 0;
}
