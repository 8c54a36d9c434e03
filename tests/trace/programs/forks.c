/* fork without exec: children print, exit through exit() (atexit runs) or _exit(), parent collects. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

static void bye(void) { puts("atexit handler"); }

int main(void) {
    for (int i = 0; i < 5; i++) {
        fflush(stdout);
        errno = 77;
        pid_t pid = fork();
        if (pid == 0) {
            printf("child %d\n", i);
            fflush(stdout);
            if (i % 2) {
                atexit(bye);
                exit(i);
            }
            _exit(10 + i);
        }
        printf("errno after fork: %d\n", errno);
        int status;
        waitpid(pid, &status, 0);
        printf("child %d status %d\n", i, WEXITSTATUS(status));
    }
    return 0;
}
