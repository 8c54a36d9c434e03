/* Threads that compute and start processes at the same time (the probe's hooks run concurrently). */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;
static int results[8];

static void *worker(void *arg) {
    int id = (int)(long)arg;
    long sum = 0;
    for (long i = 0; i < 2000000; i++) sum += i % (id + 2);
    char *argv[] = {"true", NULL};
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0) waitpid(pid, &status, 0);
    results[id] = (int)(sum % 1000) + status;
    return NULL;
}

int main(void) {
    pthread_t threads[8];
    for (long i = 0; i < 8; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    for (int i = 0; i < 8; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < 8; i++) printf("thread %d: %d\n", i, results[i]);
    return 0;
}
