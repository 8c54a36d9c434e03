/* Output on both streams, buffered and not, binary bytes, then a chosen exit status. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 0; i < 2000; i++) printf("line %d %s\n", i, argc > 1 ? argv[1] : "");
    fputs("to stderr\n", stderr);
    write(1, "raw\0bytes\xff\n", 11);
    fflush(stdout);
    return 7;
}
