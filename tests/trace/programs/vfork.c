/* vfork + exec, and vfork + failed exec + _exit(errno): the hooks run in a child sharing our memory. */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int run(const char *path) {
    char *argv[] = {"echo", "from vfork child", NULL};
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        execve(path, argv, environ);
        _exit(errno);
    }
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}

int main(void) {
    errno = 0;
    printf("ok: %d\n", run("/bin/echo"));
    printf("missing: %d\n", run("/nonexistent/echo"));
    printf("errno in parent: %d\n", errno);
    return 0;
}
