/* Failing exec calls leave errno as libc sets it; the last one (execle with its own environment) succeeds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *what, int rc) { printf("%s: rc=%d errno=%d (%s)\n", what, rc, errno, strerror(errno)); }

int main(void) {
    char *argv[] = {"x", NULL};
    char *env[] = {"ONLY=this", NULL};
    show("execve missing", execve("/nonexistent/x", argv, env));
    show("execv directory", execv("/tmp", argv));
    show("execvp missing", execvp("no-such-program-xyz", argv));
    show("execl missing", execl("/nonexistent/x", "x", "a", "b", (char *)NULL));
    show("execlp missing", execlp("no-such-program-xyz", "x", (char *)NULL));
    fflush(stdout);
    execle("/usr/bin/env", "env", (char *)NULL, env);
    show("execle", -1);
    return 1;
}
