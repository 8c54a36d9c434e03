/* execl with 10,000 arguments from a thread whose stack is 128 KiB: the call itself puts the 80 KB of
 * arguments on that stack, so the probe must not size a second array of them there (glibc's own execl does,
 * and crashes here; the probe's execl goes to execv without it). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define A10(x) x, x, x, x, x, x, x, x, x, x
#define A100(x) A10(x), A10(x), A10(x), A10(x), A10(x), A10(x), A10(x), A10(x), A10(x), A10(x)
#define A1000(x) A100(x), A100(x), A100(x), A100(x), A100(x), A100(x), A100(x), A100(x), A100(x), A100(x)
#define A10000(x) A1000(x), A1000(x), A1000(x), A1000(x), A1000(x), A1000(x), A1000(x), A1000(x), A1000(x), A1000(x)

static void *worker(void *arg) {
    (void)arg;
    execl("/bin/true", "true", A10000("x"), (char *)NULL);
    perror("execl");
    return NULL;
}

int main(void) {
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    if (pthread_create(&thread, &attr, worker, NULL) != 0) return 3;
    pthread_join(thread, NULL);
    return 2; /* execl returned */
}
