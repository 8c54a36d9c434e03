/* Death by signal, and a handled signal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_usr1(int sig) { (void)sig; write(1, "handled\n", 8); }

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "abort") == 0) abort();
    if (strcmp(mode, "term") == 0) raise(SIGTERM);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    puts("after the handler");
    return 3;
}
