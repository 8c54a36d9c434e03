/* Runs argv[1..] as a child and returns its status. Built dynamically (the setuid test copies it) and with
   -static (no dynamic loader reads LD_PRELOAD there, but its environment keeps it for the child). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
}
