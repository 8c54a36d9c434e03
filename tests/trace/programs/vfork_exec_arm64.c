#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc;
    pid_t pid = vfork();
    if (pid == 0) {
        char *child[] = {"true", "from-arm64", 0};
        execv(argv[1], child);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) + 3 : 1;
}
